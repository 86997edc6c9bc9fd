"""The panel's consent page: per-day rates from real receipts, and one visitor's receipts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from privet.consent.services import record_consent
from privet.panel.roles import OPERATOR

from .conftest import sign_in

pytestmark = pytest.mark.django_db
VISITOR = "ab" * 16


def receipt(policy, visitor: str, **choices: bool):
    return record_consent(site="softcode", visitor_id=visitor, choices=choices, method="custom",
                          policy_hash=policy.content_hash, gpc=False, banner_version="2",
                          language="en")


def test_rates_per_day_and_a_visitors_receipts(officer_client, published):
    yesterday = timezone.now() - timedelta(days=1)
    with freeze_time(yesterday):
        receipt(published, VISITOR, analytics=True, marketing=False)
    receipt(published, VISITOR, analytics=False, marketing=False)  # withdrawn today
    receipt(published, "cd" * 16, analytics=True, marketing=True)

    page = officer_client.get("/panel/consent/")
    assert page.status_code == 200
    text = page.content.decode()
    today = timezone.localdate().isoformat()
    day_before = timezone.localtime(yesterday).date().isoformat()
    rows = text.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert today in rows[0] and '<td class="num">2</td>' in rows[0]  # newest day first
    assert "50% <span" in rows[0]  # analytics allowed by one of today's two receipts
    assert day_before in rows[1] and "100% <span" in rows[1]

    found = officer_client.get(f"/panel/consent/?visitor={VISITOR.upper()}").content.decode()
    lookup = found.split("<tbody>")[1].split("</tbody>")[0]
    newest, older = lookup.split("<tr>")[1:]
    assert "<td>Essential</td>" in newest  # the withdrawal in force comes first
    assert "<td>Essential, Analytics</td>" in older  # by the purposes' names, not their ids
    assert "<td>Saved settings</td>" in newest  # the method in words
    assert published.short_hash in lookup


def test_a_malformed_visitor_id_is_explained(officer_client, published):
    text = officer_client.get("/panel/consent/?visitor=not-an-id").content.decode()
    assert "A visitor id is 32 hexadecimal characters" in text
    assert 'aria-invalid="true"' in text


def test_operators_cannot_see_it_and_it_is_not_in_their_navigation(make_operator, published):
    client = sign_in(Client(), make_operator("olga", OPERATOR))
    assert client.get("/panel/consent/").status_code == 403
    assert "/panel/consent/" not in client.get("/panel/").content.decode()
