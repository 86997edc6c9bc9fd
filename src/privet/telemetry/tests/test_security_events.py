"""Security events: failed and locked sign-ins, refused links, rate-limit hits and (later)
refused webhooks, in the technical log with the client pseudonymised like a request's."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from privet.telemetry import pseudonyms
from privet.telemetry.models import REQUEST, TechnicalRecord
from privet.telemetry.recorder import flush
from privet.telemetry.services import UnknownKind, record_security_event

pytestmark = pytest.mark.django_db

ADDRESS = "198.51.100.23"


def events(kind: str) -> list[TechnicalRecord]:
    flush()
    return list(TechnicalRecord.objects.filter(kind=kind).order_by("id"))


def visitor() -> Client:
    return Client(REMOTE_ADDR=ADDRESS)


def test_a_failed_sign_in_is_an_event_without_the_username(db):
    visitor().post("/panel/login/", {"username": "ghost@example.com", "password": "wrong one 1"})
    (event,) = events("sign_in_failed")
    assert event.details == {"stage": "password"} and event.route == "panel:login"
    assert event.network == "198.51.100.0/24"
    assert event.pseudonym == pseudonyms.pseudonym(ADDRESS, pseudonyms.local_day(event.at))
    assert "ghost" not in json.dumps(list(TechnicalRecord.objects.values()), default=str)


def test_a_lockout_is_an_event(db, settings):
    client = visitor()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/panel/login/", {"username": "olga", "password": "guess guess"})
    assert response.status_code == 429
    assert len(events("sign_in_locked")) == 1
    assert len(events("sign_in_failed")) == settings.AXES_FAILURE_LIMIT
    # one pseudonym for all of them: the attempts of one client can be counted within the day
    assert len(set(TechnicalRecord.objects.exclude(kind=REQUEST)
                   .values_list("pseudonym", flat=True))) == 1


@pytest.mark.parametrize(("path", "link"), [
    ("/privacy/requests/verify/?t=forged", "verification"),
    ("/privacy/requests/status/?s=forged", "status"),
    ("/privacy/requests/download/?t=forged", "download"),
])
def test_a_refused_link_is_an_event_and_the_token_is_not_kept(published, path, link):
    visitor().get(path)
    (event,) = events("verification_refused")
    assert event.details == {"link": link}
    assert "forged" not in json.dumps(list(TechnicalRecord.objects.values()), default=str)


def test_a_rate_limit_hit_is_an_event_naming_the_limit(published, settings):
    settings.PRIVET_RIGHTS_RATE_LIMIT = 0
    client = visitor()
    assert client.post("/privacy/requests/", {"right": "access"}).status_code == 429
    assert client.post("/api/rights/requests", "{}",
                       content_type="application/json").status_code == 429
    hits = events("rate_limited")
    assert [e.details for e in hits] == [{"limit": "rights"}] * 2
    assert [e.route for e in hits] == ["rights:portal", "api:create_request"]


def test_the_contact_form_and_consent_limits_are_events_too(published, settings):
    settings.PRIVET_ENQUIRY_RATE_LIMIT = 0
    settings.PRIVET_CONSENT_RATE_LIMIT = 1
    client = visitor()
    assert client.post("/contact/", {}).status_code == 429
    for _ in range(2):
        answer = client.post("/api/consent/receipts", "{}", content_type="application/json")
    assert answer.status_code == 429
    assert sorted(e.details["limit"] for e in events("rate_limited")) == ["consent", "enquiry"]


def test_a_refused_webhook_has_its_kind_already(db):
    record_security_event("webhook_refused", source="tiktok", reason="bad_signature")
    (event,) = events("webhook_refused")
    assert event.details == {"source": "tiktok", "reason": "bad_signature"}
    assert (event.network, event.pseudonym) == ("", "")  # no request, no client


def test_details_keep_only_codes_never_what_a_person_typed(db):
    record_security_event("rate_limited", limit="rights", email="anna@example.com",
                          typed="Anna Nowak", attempts=3, known=False)
    (event,) = events("rate_limited")
    assert event.details == {"limit": "rights", "attempts": 3, "known": False}


def test_an_unknown_kind_is_refused():
    with pytest.raises(UnknownKind):
        record_security_event("request")
