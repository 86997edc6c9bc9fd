"""The panel's security events page: the technical log's events, filtered by kind, day and
pseudonym, for the privacy officer (the audit log's role) only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from freezegun import freeze_time

from privet.telemetry import pseudonyms
from privet.telemetry.recorder import Entry, flush, recorder

from .conftest import sign_in

pytestmark = pytest.mark.django_db

ALICE, BOB = "203.0.113.5", "198.51.100.9"


@pytest.fixture(autouse=True)
def the_next_day():
    """The events happen yesterday and today: a day's key is made no later than the next day."""
    with freeze_time("2026-03-11 12:00"):
        yield


def event(kind: str, ip: str, at: str, **details) -> None:
    recorder.add(Entry(at=datetime.fromisoformat(at).replace(tzinfo=UTC), kind=kind, ip=ip,
                       route="panel:login", details=details))


@pytest.fixture
def events(db):
    event("sign_in_failed", ALICE, "2026-03-10 09:00", stage="password")
    event("sign_in_failed", ALICE, "2026-03-10 09:01", stage="totp")
    event("sign_in_locked", ALICE, "2026-03-10 09:02")
    event("rate_limited", BOB, "2026-03-10 10:00", limit="rights")
    event("verification_refused", BOB, "2026-03-11 10:00", link="verification")
    event("request", BOB, "2026-03-11 10:00")  # a request, not an event: never listed
    flush()


def rows(response) -> int:
    return response.content.decode().count('<td data-label="When">')


def test_the_officer_sees_every_event_newest_first(officer_client, events):
    page = officer_client.get("/panel/security/")
    html = page.content.decode()
    assert page.status_code == 200 and rows(page) == 5
    kind = '<td data-label="Kind">'
    assert html.index(kind + "Verification link refused") < html.index(kind + "Rate limit reached")
    assert "203.0.113.0/24" in html and ALICE not in html and BOB not in html
    assert 'href="/panel/security/"' in html  # in the navigation


def test_filters_by_kind_day_and_pseudonym(officer_client, events):
    assert rows(officer_client.get("/panel/security/?kind=sign_in_failed")) == 2
    assert rows(officer_client.get("/panel/security/?day=2026-03-11")) == 1
    alice = pseudonyms.pseudonym(ALICE, datetime(2026, 3, 10).date())
    page = officer_client.get(f"/panel/security/?pseudonym={alice}")
    assert rows(page) == 3
    assert '<td data-label="Kind">Rate limit reached' not in page.content.decode()
    both = officer_client.get(f"/panel/security/?pseudonym={alice}&kind=sign_in_locked")
    assert rows(both) == 1


def test_a_filter_that_is_not_valid_is_said_beside_its_field(officer_client, events):
    page = officer_client.get("/panel/security/?pseudonym=not-hex&day=yesterday&kind=nope")
    html = page.content.decode()
    assert page.status_code == 400 and rows(page) == 0
    assert "A pseudonym is 32 characters" in html and "Enter a date like" in html


def test_pages_of_fifty(officer_client, db):
    for n in range(51):
        event("rate_limited", BOB, f"2026-03-10 10:{n % 60:02d}", limit="consent")
    flush()
    first = officer_client.get("/panel/security/?kind=rate_limited")
    assert rows(first) == 50 and "?kind=rate_limited&amp;page=2" in first.content.decode()
    assert rows(officer_client.get("/panel/security/?kind=rate_limited&page=2")) == 1


def test_an_operator_is_refused_and_not_shown_the_link(operator_client, events):
    assert operator_client.get("/panel/security/").status_code == 403
    assert 'href="/panel/security/"' not in operator_client.get("/panel/").content.decode()


def test_signed_out_goes_to_sign_in(events):
    answer = Client().get("/panel/security/")
    assert answer.status_code == 302 and "/panel/login/" in answer.url


def test_administrators_see_it_too(make_operator, events):
    client = sign_in(Client(), make_operator("ada", "administrator"))
    assert client.get("/panel/security/").status_code == 200
