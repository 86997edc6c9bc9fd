"""A request's lifecycle around the engine: intake, verification, deadline changes, refusal,
withdrawal, the 7-day close of unverified requests, and the pause switch."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import signing
from freezegun import freeze_time

from privet.audit.models import AuditEvent
from privet.rights import engine, jobs, services, tokens
from privet.rights.errors import (
    ExtensionNotAllowed,
    InvalidLink,
    InvalidRequest,
    InvalidTransition,
)
from privet.rights.models import RightsMail, RightsRequest, Status

pytestmark = pytest.mark.django_db
WARSAW = ZoneInfo("Europe/Warsaw")


@pytest.fixture(autouse=True)
def warsaw(settings):
    settings.TIME_ZONE = "Europe/Warsaw"


def submit(**overrides):
    data = {"right": "access", "email": "Anna@Example.COM", "language": "pl"} | overrides
    return services.submit_request(**data)


def token_of(request: RightsRequest) -> str:
    return tokens.issue_verification_token(request)


def test_a_submitted_request_waits_for_verification_and_is_due_a_calendar_month_after_receipt():
    with freeze_time(datetime(2027, 1, 31, 12, tzinfo=WARSAW)):
        request = submit()
    assert request.status == Status.UNVERIFIED
    assert request.email == "Anna@example.com"  # the domain is case-insensitive, the rest not
    assert request.due_on == date(2027, 2, 28)
    assert request.mail.filter(kind="verification").count() == 1
    event = AuditEvent.objects.get(action="rights.received")
    assert "Anna" not in event.details and event.subject_ref  # a pseudonym, not the address


@pytest.mark.parametrize(("overrides", "message"), [
    ({"right": "complaint"}, "Unknown right"),
    ({"right": 3}, "Unknown right"),
    ({"email": ""}, "'email' is required"),
    ({"email": "not-an-address"}, "not an email address"),
    ({"email": ["a@b.pl"]}, "must be text"),
    ({"email": "a" * 250 + "@b.pl"}, "longer than 254"),
    ({"right": "rectification", "details": ""}, "'details' is required"),
    ({"right": "objection"}, "'details' is required"),
    ({"phone": "call me maybe"}, "digits"),
    ({"details": "x" * 5001}, "longer than 5000"),
])
def test_bad_input_is_refused_with_a_clear_message_and_stores_nothing(overrides, message):
    with pytest.raises(InvalidRequest, match=message):
        submit(**overrides)
    assert not RightsRequest.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="rights.").exists()


def test_the_link_verifies_once_and_then_says_it_is_not_valid():
    request = submit()
    token = token_of(request)
    verified = services.verify(token=token)
    assert verified.status == Status.VERIFIED and verified.verified_at
    with pytest.raises(InvalidLink):
        services.verify(token=token)
    assert AuditEvent.objects.filter(action="rights.verified").count() == 1


def test_a_new_link_replaces_the_old_one():
    request = submit()
    old, new = token_of(request), token_of(request)
    with pytest.raises(InvalidLink):
        services.verify(token=old)
    assert services.verify(token=new).status == Status.VERIFIED


def test_a_link_expires_after_24_hours():
    with freeze_time("2027-03-01 10:00"):
        request = submit()
        token = token_of(request)
    with freeze_time("2027-03-02 10:00:01"), pytest.raises(InvalidLink):
        services.verify(token=token)
    with freeze_time("2027-03-02 09:59"):
        assert services.verify(token=token).status == Status.VERIFIED


def test_a_forged_or_tampered_link_changes_nothing():
    request = submit()
    forged = signing.dumps({"r": str(request.public_id), "n": "guess"},
                           salt=tokens.VERIFY_SALT, compress=True)
    for token in (forged, token_of(request)[:-2] + "xx", "", "garbage"):
        with pytest.raises(InvalidLink):
            services.verify(token=token)
    request.refresh_from_db()
    assert request.status == Status.UNVERIFIED


def test_asking_for_a_new_link_mails_each_unverified_request_of_that_address_only():
    first, second = submit(), submit(right="erasure")
    services.verify(token=token_of(second))
    submit(email="bob@example.org")
    assert services.resend_verification(email="Anna@EXAMPLE.com") == 1
    assert first.mail.filter(kind="verification").count() == 2
    assert services.resend_verification(email="nobody@example.net") == 0


def test_unverified_requests_close_after_seven_days_and_are_then_kept_as_records():
    with freeze_time("2027-03-01 10:00"):
        old = submit()
    with freeze_time("2027-03-05 10:00"):
        recent = submit()
    with freeze_time("2027-03-08 10:00:01"):
        assert services.close_unverified() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.status == Status.CLOSED_UNVERIFIED and old.closed_at
    assert recent.status == Status.UNVERIFIED
    with pytest.raises(InvalidLink):
        services.verify(token=token_of(old))


def test_an_extension_within_the_first_month_moves_the_deadline_and_tells_the_person():
    with freeze_time(datetime(2027, 1, 31, 12, tzinfo=WARSAW)):
        request = submit()
    with freeze_time(datetime(2027, 2, 20, 12, tzinfo=WARSAW)):
        request = services.extend(request=request, months=2, reason="Many stores to search",
                                  actor="test:operator")
    assert request.due_on == date(2027, 4, 30)
    assert request.mail.filter(kind="extended").exists()
    with freeze_time(datetime(2027, 2, 21, tzinfo=WARSAW)), pytest.raises(
            ExtensionNotAllowed, match="two further months at most"):
        services.extend(request=request, months=1, reason="more", actor="test:operator")


def test_no_extension_after_the_first_month_or_without_a_reason():
    with freeze_time(datetime(2027, 1, 31, 12, tzinfo=WARSAW)):
        request = submit()
    with freeze_time(datetime(2027, 2, 10, tzinfo=WARSAW)), pytest.raises(
            ExtensionNotAllowed, match="reason"):
        services.extend(request=request, months=1, reason=" ", actor="test:operator")
    with freeze_time(datetime(2027, 3, 1, 9, tzinfo=WARSAW)), pytest.raises(
            ExtensionNotAllowed, match="first month has passed"):
        services.extend(request=request, months=1, reason="late", actor="test:operator")
    request.refresh_from_db()
    assert request.due_on == date(2027, 2, 28) and request.extension_months == 0


def test_days_waiting_for_the_persons_proof_are_added_to_the_deadline():
    with freeze_time(datetime(2027, 3, 1, 12, tzinfo=WARSAW)):
        request = services.verify(token=token_of(submit()))
    with freeze_time(datetime(2027, 3, 3, 12, tzinfo=WARSAW)):
        request = services.ask_for_proof(request=request, what="A copy of the invoice",
                                         actor="test:operator")
    assert request.status == Status.AWAITING_PERSON
    with freeze_time(datetime(2027, 3, 8, 12, tzinfo=WARSAW)):
        request = services.proof_received(request=request, note="Invoice matches",
                                          actor="test:operator")
    assert request.status == Status.VERIFIED and request.paused_days == 5
    assert request.due_on == date(2027, 4, 6)


def test_a_refusal_closes_the_request_with_its_ground_and_tells_the_person():
    request = submit()
    request = services.refuse(request=request, ground="manifestly_unfounded",
                              reason="The same request every day", actor="test:operator")
    assert request.status == Status.REFUSED and request.closed_at
    assert request.mail.filter(kind="refused").exists()
    with pytest.raises(InvalidTransition):
        services.withdraw(request=request, actor="test:operator")
    with pytest.raises(InvalidRequest):
        services.refuse(request=submit(), ground="because", reason="x", actor="test:operator")


def test_a_logged_request_counts_from_the_day_the_letter_arrived():
    with freeze_time(datetime(2027, 3, 10, 12, tzinfo=WARSAW)):
        request = services.log_request(
            right="erasure", email="anna@example.com", actor="test:operator", channel="letter",
            received_at=datetime(2027, 3, 2, 9, tzinfo=WARSAW), verified=True,
            verification_note="Signed letter, address matches our records")
        assert request.due_on == date(2027, 4, 2)
        assert request.status == Status.VERIFIED
        assert not RightsMail.objects.filter(request=request, kind="verification").exists()
        with pytest.raises(InvalidRequest, match="future"):
            services.log_request(right="access", email="a@b.pl", actor="test:operator",
                                 channel="email",
                                 received_at=datetime(2027, 3, 11, tzinfo=WARSAW))
        with pytest.raises(InvalidRequest, match="verified"):
            services.log_request(right="access", email="a@b.pl", actor="test:operator",
                                 channel="email", verified=True)


def test_two_operators_cannot_both_move_the_same_request():
    request = services.verify(token=token_of(submit()))
    stale = RightsRequest.objects.get(pk=request.pk)
    services.refuse(request=request, ground="excessive", reason="x", actor="test:a")
    with pytest.raises(InvalidTransition):
        services.ask_for_proof(request=stale, what="ID", actor="test:b")


def test_the_pause_switch_is_audited_and_says_whether_processing_is_paused():
    assert not services.is_paused()
    engine.pause_processing(reason="A store failed; looking", actor="test:officer")
    assert services.is_paused()
    engine.resume_processing(actor="test:officer")
    assert not services.is_paused()
    actions = list(AuditEvent.objects.filter(action__startswith="rights.processing")
                   .values_list("action", flat=True))
    assert actions == ["rights.processing_paused", "rights.processing_resumed"]


def test_the_housekeeping_job_is_queued_by_a_workers_beat_once_per_interval():
    from privet.core import schedule
    from privet.core.models import ScheduledJob

    start = datetime(2027, 3, 1, 12, tzinfo=WARSAW)
    assert "rights.housekeeping" in schedule.queue_due_jobs(now=start)
    assert "rights.housekeeping" not in schedule.queue_due_jobs(now=start + timedelta(minutes=1))
    assert "rights.housekeeping" in schedule.queue_due_jobs(now=start + timedelta(minutes=15))
    assert ScheduledJob.objects.get(name="rights.housekeeping").last_queued_at == (
        start + timedelta(minutes=15))


def test_the_plan_names_found_categories_the_declaration_marks_as_needing_more_proof(
        db, default_source):
    from privet.enquiries.services import log_enquiry
    from privet.policy.services import publish_version

    request = services.verify(token=token_of(submit(email="anna@example.com")))
    log_enquiry(data={"name": "Anna", "email": "anna@example.com", "project_type": "website",
                      "message": "A shop"}, actor="test:operator")
    publish_version(source=default_source, actor="test")
    assert engine.categories_needing_more_proof(engine.plan_request(request)) == []

    marked = default_source.replace(
        "    sources: [data_subject, client]\n  - id: technical_data",
        "    sources: [data_subject, client]\n    more_proof: true\n  - id: technical_data", 1)
    marked = marked.replace('  id: "1.0"\n  effective: 2026-11-25',
                            '  id: "1.1"\n  effective: 2026-11-26', 1)
    assert marked.count("more_proof: true") == 2, "the declaration's layout changed"
    publish_version(source=marked, actor="test")
    assert engine.categories_needing_more_proof(engine.plan_request(request)) == [
        "communication_content"]


def test_work_a_crash_left_without_a_task_is_queued_again_by_the_housekeeping_job(
        django_capture_on_commit_callbacks):
    """A process that died between its commit and queueing the task leaves a pending mail row
    and an in-progress request with nothing to run them; the job queues them again."""
    from privet.rights.models import RightsMail

    with freeze_time("2027-03-01 10:00"):
        with django_capture_on_commit_callbacks(execute=False):  # the commit, then the crash
            request = submit()
        mail = RightsMail.objects.get(request=request, kind="verification")
        assert mail.state == "pending"
        stuck = services.log_request(right="access", email="bob@example.org",
                                     actor="test:operator", channel="email", verified=True,
                                     verification_note="wrote from it")
        RightsRequest.objects.filter(pk=stuck.pk).update(status=Status.IN_PROGRESS)
    with freeze_time("2027-03-01 10:05"):
        assert jobs.requeue_stalled() == (0, 0)  # not yet: a task may still be on its way
    with freeze_time("2027-03-01 10:11"):
        assert jobs.requeue_stalled() == (1, 1)
    mail.refresh_from_db()
    assert mail.state == "sent"  # the immediate test backend ran the queued task
    stuck.refresh_from_db()
    assert stuck.status == Status.COMPLETED
