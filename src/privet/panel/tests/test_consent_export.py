"""The consent receipts of a period as CSV, for the privacy officer: the admin's columns, no IP
address, days checked, and nothing a spreadsheet would run."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from privet.audit.models import AuditEvent
from privet.consent.models import ConsentReceipt
from privet.consent.services import record_consent
from privet.panel.roles import OPERATOR

from .conftest import sign_in

pytestmark = pytest.mark.django_db


def receipt(policy, visitor: str, method: str, **choices: bool) -> ConsentReceipt:
    return record_consent(site="softcode", visitor_id=visitor, choices=choices, method=method,
                          policy_hash=policy.content_hash, gpc=False, banner_version="2",
                          language="pl")


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_the_receipts_of_a_period_with_the_admins_columns(officer_client, published):
    today = timezone.localdate()
    with freeze_time(timezone.now() - timedelta(days=3)):
        receipt(published, "ab" * 16, "accept_all", analytics=True, marketing=True)  # outside
    mine = receipt(published, "cd" * 16, "reject_all", analytics=False, marketing=False)
    response = officer_client.get("/panel/consent/receipts.csv",
                                  {"start": (today - timedelta(days=1)).isoformat(),
                                   "end": today.isoformat()})
    assert response["Content-Disposition"] == (
        f'attachment; filename="privet-consent-{today - timedelta(days=1)}-{today}.csv"')
    header, *rows = rows_of(response)
    assert header == ["Receipt", "When", "Site", "Visitor id", "Choice", "Choice (in words)",
                      "Allowed", "GPC", "Policy version", "Banner version", "Language", "Browser"]
    assert rows == [[str(mine.pk), timezone.localtime(mine.created_at).isoformat(timespec="seconds"),
                     "softcode", "cd" * 16, "reject_all", "Reject all", "essential", "false",
                     published.content_hash, "2", "pl", mine.user_agent_family]]
    assert not any("ip" in h.lower().split() for h in header)
    event = AuditEvent.objects.get(action="consent.receipts_period_exported")
    assert json.loads(event.details) == {"from": str(today - timedelta(days=1)), "to": str(today)}


def test_a_hostile_value_is_not_a_formula(officer_client, published):
    # A site id written straight into the table, past record_consent's checks.
    ConsentReceipt.objects.create(site="=cmd|'/C calc'!A0", visitor_id="ef" * 16, choices={},
                                  method="custom", gpc=True, policy_hash="-" + "0" * 63,
                                  banner_version="@1", language="en", user_agent_family="+x")
    today = timezone.localdate().isoformat()
    _header, row = rows_of(officer_client.get("/panel/consent/receipts.csv",
                                              {"start": today, "end": today}))
    assert row[2] == "'=cmd|'/C calc'!A0"
    assert (row[7], row[8][:2], row[9], row[11]) == ("true", "'-", "'@1", "'+x")


@pytest.mark.parametrize(("query", "field", "message"), [
    ({"start": "2026-10-03", "end": "2026-10-01"}, "end", "The period cannot end before it starts."),
    ({"start": "0001-01-01", "end": "2026-10-01"}, "start", "Enter a day from 2000-01-01 on."),
    ({"start": "2026-10-01", "end": "9999-12-31"}, "end", "The date cannot be in the future."),
    ({"start": "2026-10-01"}, "end", "Enter the day."),
    ({"start": "1.10.2026", "end": "2026-10-01"}, "start", "Enter a date like 2025-06-30."),
])
def test_bad_days_are_explained_beside_the_field_and_nothing_is_exported(
        officer_client, published, query, field, message):
    response = officer_client.get("/panel/consent/receipts.csv", query)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    text = response.content.decode()
    assert f'<p class="error" role="alert" id="id_{field}_error">{message}' in text
    assert not AuditEvent.objects.filter(action="consent.receipts_period_exported").exists()


def test_operators_cannot_export_receipts(make_operator, published):
    client = sign_in(Client(), make_operator("olga", OPERATOR))
    today = timezone.localdate().isoformat()
    assert client.get("/panel/consent/receipts.csv", {"start": today, "end": today}).status_code == 403
