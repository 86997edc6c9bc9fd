"""Legal holds keep expired records at every scope and in every store that can be held that
way; a hold whose end date passed lets its records go on the next run; a second run does
nothing."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from axes.models import AccessAttempt
from freezegun import freeze_time

from privet.audit.models import AuditEvent
from privet.consent.services import record_consent
from privet.enquiries import services as enquiries
from privet.registry import registry
from privet.retention import engine, holds
from privet.retention.models import HoldReason, HoldScope, LegalHold
from privet.rights import services as rights

pytestmark = pytest.mark.django_db
MADE = datetime(2030, 3, 15, 10, 0, tzinfo=UTC)
LATER = datetime(2035, 1, 10, 12, 0, tzinfo=UTC)  # every record made at MADE has expired
EXPIRY_ACTIONS = ("enquiry.expired", "consent.receipts_expired", "rights.requests_expired",
                  "security.sign_in_records_expired", "retention.partition_dropped")


@pytest.fixture
def client_holdable(monkeypatch):
    """Enquiries held for a client by their company: no real store records a client yet, so
    the test's own copy of the enquiries target names the field a client hold matches."""
    name = "enquiries.without_offer"
    monkeypatch.setitem(registry.targets, name,
                        dataclasses.replace(registry.targets[name], client_field="company"))


def closed_enquiry(email: str, company: str = ""):
    made = enquiries.log_enquiry(
        data={"name": "Anna Kowalska", "company": company, "email": email, "phone": "",
              "project_type": "web_app", "message": "A booking panel, please."},
        actor="test", received_at=MADE - timedelta(days=5))
    enquiries.change_status(enquiry=made, to_status="closed", actor="test", at=MADE)
    return made


def receipt(published, visitor: str):
    return record_consent(site="softcode", visitor_id=visitor, choices={}, method="reject_all",
                          policy_hash=published.content_hash, gpc=False, banner_version="1",
                          language="en")


def withdrawn_request(email: str):
    request = rights.log_request(right="access", email=email, actor="test", channel="email",
                                 verified=True, verification_note="Known address.")
    return rights.withdraw(request=request, actor="test")


def sign_in(username: str):
    return AccessAttempt.objects.create(user_agent="Firefox", ip_address="192.0.2.0",
                                        username=username, http_accept="*/*",
                                        path_info="/panel/login/", get_data="", post_data="",
                                        failures_since_start=1)


def alive(*records) -> set:
    return {r for r in records if type(r)._default_manager.filter(pk=r.pk).exists()}


def expiry_events() -> int:
    return AuditEvent.objects.filter(action__in=EXPIRY_ACTIONS).count()


def test_holds_keep_a_person_a_record_and_a_client_in_every_store(published, client_holdable):
    with freeze_time(MADE):
        anna, bob, acme, free = (closed_enquiry("anna@example.com"),
                                 closed_enquiry("bob@example.com"),
                                 closed_enquiry("cleo@example.com", company="Acme"),
                                 closed_enquiry("dan@example.com"))
        held_receipt, free_receipt = receipt(published, "a" * 32), receipt(published, "b" * 32)
        held_request, free_request = (withdrawn_request("anna@example.com"),
                                      withdrawn_request("dan@example.com"))
        held_sign_in, free_sign_in = sign_in("anna"), sign_in("dan")
    with freeze_time(MADE + timedelta(days=1)):
        for kwargs in (
            {"scope": HoldScope.PERSON, "email": "anna@example.com"},  # her enquiry and request
            {"scope": HoldScope.PERSON, "visitor_id": "a" * 32},
            {"scope": HoldScope.CLIENT, "client": "Acme"},
            {"scope": HoldScope.RECORD, "target": "enquiries.without_offer",
             "record_key": str(bob.pk), "ends_on": date(2035, 1, 10)},
            {"scope": HoldScope.RECORD, "target": "panel.accessattempt",
             "record_key": str(held_sign_in.pk)},
        ):
            holds.place_hold(reason=HoldReason.CLAIM, actor="test", **kwargs)
    everything = (anna, bob, acme, free, held_receipt, free_receipt, held_request, free_request,
                  held_sign_in, free_sign_in)

    with freeze_time(LATER):
        run = engine.sweep()
    kept = {anna, bob, acme, held_receipt, held_request, held_sign_in}
    assert alive(*everything) == kept
    held = {name: counts["held"] for name, counts in run.counts.items() if counts["held"]}
    assert held == {"enquiries.without_offer": 3, "consent.receipts": 1, "rights.requests": 1,
                    "panel.accessattempt": 1}

    # A second run on the same day: nothing more to expire, nothing audited as expired.
    events = expiry_events()
    with freeze_time(LATER + timedelta(hours=1)):
        again = engine.sweep()
    assert again.total("expired") == 0 and again.total("held") == 6
    assert alive(*everything) == kept and expiry_events() == events

    # The record hold ended on 10 January: the next day's run lets Bob's enquiry go, and only it.
    record_hold = LegalHold.objects.get(scope=HoldScope.RECORD, record_key=str(bob.pk))
    with freeze_time(LATER + timedelta(days=1)):
        engine.sweep()
    assert alive(*everything) == kept - {bob}
    record_hold.refresh_from_db()
    assert record_hold.ended_at is not None
    assert AuditEvent.objects.filter(action="retention.hold_ended",
                                     object_id=str(record_hold.pk)).count() == 1
    assert LegalHold.objects.filter(ended_at__isnull=True).count() == 4


def test_a_store_without_a_client_field_cannot_be_held_for_a_client(published):
    target = registry.targets["enquiries.without_offer"]
    assert HoldScope.CLIENT not in holds.holdable(target)
    assert holds.holdable(registry.targets["panel.accessattempt"]) == {HoldScope.RECORD}
