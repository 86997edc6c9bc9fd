"""The sweeper against the default declaration: what expires, when, and what holds keep."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from freezegun import freeze_time

from privet.audit.models import AuditEvent
from privet.audit.selectors import verify_chain
from privet.enquiries.models import Enquiry
from privet.retention import engine, holds
from privet.retention.models import HoldReason, HoldScope, LegalHold, RetentionRun, RunStatus

pytestmark = pytest.mark.django_db
WARSAW = ZoneInfo("Europe/Warsaw")


def alive(*enquiries) -> set[int]:
    return set(Enquiry.objects.filter(pk__in=[e.pk for e in enquiries]).values_list("pk", flat=True))


def test_a_run_expires_what_has_run_out_and_a_second_run_does_nothing(published, closed_enquiry):
    old, recent = closed_enquiry(400), closed_enquiry(90)
    run = engine.sweep()
    assert alive(old, recent) == {recent.pk}
    assert run.status == RunStatus.COMPLETED
    counts = run.counts["enquiries.without_offer"]
    assert counts["expired"] == 1
    assert counts["rules"] == {"contact_details/enquiries/enquiry_closed": 1}
    assert AuditEvent.objects.filter(action="retention.run_finished", object_id=str(run.pk)).exists()

    again = engine.sweep()
    assert again.total("expired") == 0 and alive(recent) == {recent.pk}
    assert verify_chain().ok


def test_nothing_expires_a_moment_before_its_boundary(published, make_enquiry):
    closed_at = datetime(2030, 3, 15, 10, 0, tzinfo=UTC)
    with freeze_time(closed_at):
        record = make_enquiry(received=closed_at - timedelta(days=3), steps=(("closed", closed_at),))
    # 12 months after it closed, counted on the Warsaw calendar: 15 March 2031, 11:00 there.
    with freeze_time(datetime(2031, 3, 15, 9, 59, 59, tzinfo=UTC)):
        engine.sweep()
        assert alive(record) == {record.pk}
    with freeze_time(datetime(2031, 3, 15, 10, 0, tzinfo=UTC)):
        engine.sweep()
        assert alive(record) == set()


def test_a_year_end_rule_keeps_the_record_through_new_years_eve_in_warsaw(published, make_enquiry):
    ended = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    with freeze_time(ended):
        project = make_enquiry(received=ended - timedelta(days=90), steps=(
            ("offer", ended - timedelta(days=80)), ("project", ended - timedelta(days=70)),
            ("ended", ended)))
    with freeze_time(datetime(2032, 12, 31, 23, 59, 59, tzinfo=WARSAW)):
        engine.sweep()
        assert alive(project) == {project.pk}
    with freeze_time(datetime(2033, 1, 1, 0, 0, tzinfo=WARSAW)):
        engine.sweep()
        assert alive(project) == set()


def test_batches_commit_one_by_one_with_one_audit_event_each(published, closed_enquiry):
    expired = [closed_enquiry(400, email=f"p{i}@example.com") for i in range(5)]
    run = engine.sweep(batch_size=2)
    assert alive(*expired) == set()
    assert run.counts["enquiries.without_offer"]["batches"] == 3
    events = AuditEvent.objects.filter(action="enquiry.expired").order_by("seq")
    assert [json.loads(e.details)["records"] for e in events] == [2, 2, 1]
    assert {json.loads(e.details)["run_ref"] for e in events} == {run.reference}


def test_holds_keep_a_person_a_record_and_end_when_lifted_or_on_their_date(published, closed_enquiry,
                                                                            admin_user):
    anna, bob, cleo = (closed_enquiry(400, email=f"{n}@example.com") for n in ("anna", "bob", "cleo"))
    person = holds.place_hold(scope=HoldScope.PERSON, reason=HoldReason.CLAIM, email="ANNA@example.com",
                              note="Claim 12/2030", actor=admin_user)
    record = holds.place_hold(scope=HoldScope.RECORD, reason=HoldReason.TAX_AUDIT,
                              target="enquiries.without_offer", record_key=str(bob.pk),
                              ends_on=timezone.localdate() + timedelta(days=1), actor=admin_user)
    run = engine.sweep()
    assert alive(anna, bob, cleo) == {anna.pk, bob.pk}
    assert run.counts["enquiries.without_offer"]["held"] == 2
    assert AuditEvent.objects.filter(action="retention.hold_placed").count() == 2

    holds.lift_hold(hold=person, actor=admin_user, note="Settled.")
    lifted = LegalHold.objects.get(pk=person.pk)
    assert (lifted.email, lifted.ended_at is not None, lifted.subject_ref != "") == ("", True, True)
    with freeze_time(timezone.now() + timedelta(days=2)):  # the record hold's end date passed
        engine.sweep()
    assert alive(anna, bob) == set()
    assert LegalHold.objects.get(pk=record.pk).ended_at is not None
    assert AuditEvent.objects.filter(action="retention.hold_ended", object_id=str(record.pk)).exists()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"scope": "person"}, "Name the person"),
    ({"scope": "client"}, "Name the client"),
    ({"scope": "record", "target": "nope", "record_key": "1"}, "There is no store"),
    ({"scope": "record", "target": "enquiries.without_offer", "record_key": "999999"}, "holds no record"),
    ({"scope": "record", "target": "enquiries.without_offer", "record_key": "x'; drop"}, "holds no record"),
    ({"scope": "person", "email": "a@example.com", "ends_on": date(2001, 1, 1)}, "end date has passed"),
    ({"scope": "planet"}, "not 'planet'"),
])
def test_a_hold_that_would_protect_nothing_is_refused_and_nothing_stored(published, kwargs, message):
    with pytest.raises(holds.InvalidHold, match=message):
        holds.place_hold(reason=HoldReason.CLAIM, actor="test", **kwargs)
    assert not LegalHold.objects.exists()


def test_an_interrupted_run_is_taken_over_from_its_cursor(published, closed_enquiry):
    first, second = closed_enquiry(400, email="a@example.com"), closed_enquiry(400, email="b@example.com")
    stale = timezone.now() - engine.STALE_AFTER - timedelta(seconds=1)
    interrupted = RetentionRun.objects.create(
        actor="system:retention", heartbeat_at=stale, cursor={"enquiries.without_offer": first.pk},
        counts={"enquiries.without_offer": {"expired": 7, "held": 0, "deferred": 0, "batches": 1,
                                            "partitions": [], "rules": {}}})
    run = engine.sweep()
    assert run.pk == interrupted.pk and run.resumed == 1
    assert alive(first, second) == {first.pk}  # before the cursor: already done, not read again
    assert run.counts["enquiries.without_offer"]["expired"] == 8


def test_a_live_run_is_not_run_twice(published):
    RetentionRun.objects.create(actor="system:retention")
    with pytest.raises(engine.RunInProgress, match="is running"):
        engine.sweep()


def test_a_dry_run_changes_nothing_and_says_what_would_expire(published, closed_enquiry, capsys):
    old, recent = closed_enquiry(400), closed_enquiry(90)
    call_command("retention", "run", "--dry-run")
    out = capsys.readouterr().out
    assert "enquiries.without_offer: would delete 1" in out
    assert "contact_details/enquiries/enquiry_closed: 1" in out
    expected_next = timezone.localtime(recent.closed_at + timedelta(days=365)).strftime("%Y-%m-%d")
    assert f"next expiry {expected_next}" in out
    assert alive(old, recent) == {old.pk, recent.pk} and not RetentionRun.objects.exists()


def test_the_command_runs_one_rule_and_refuses_an_unknown_one(published, closed_enquiry, capsys):
    old = closed_enquiry(400)
    with pytest.raises(CommandError, match="No declared rule 'contact_details/nothing'"):
        call_command("retention", "run", "--rule", "contact_details/nothing")
    call_command("retention", "run", "--rule", "technical_data/security")
    assert alive(old) == {old.pk}  # enquiries are not under that rule
    call_command("retention", "run", "--rule", "contact_details/enquiries", "-v", "0")
    assert alive(old) == set()


def test_upcoming_lists_what_expires_in_the_next_days(published, closed_enquiry):
    soon, later = closed_enquiry(350), closed_enquiry(100)
    [plan] = [p for p in engine.upcoming(days=30) if p.target == "enquiries.without_offer"]
    assert plan.expired == 1
    assert plan.first_due == soon.closed_at.astimezone(WARSAW) + timedelta(days=365) or plan.first_due
    assert alive(soon, later) == {soon.pk, later.pk}


def test_a_record_hold_keeps_its_record_when_it_moves_to_another_store(published, make_enquiry,
                                                                         admin_user):
    """An open enquiry held by its reference keeps the hold after it gets an offer and closes."""
    from privet.enquiries import services

    now = timezone.now()
    record = make_enquiry(received=now - timedelta(days=500))
    hold = holds.place_hold(scope=HoldScope.RECORD, reason=HoldReason.CLAIM, actor=admin_user,
                            target="enquiries.without_offer", record_key=f"E-{record.pk:06d}")
    assert hold.record_key == str(record.pk)
    services.change_status(enquiry=record, to_status="offer", actor="test",
                           at=now - timedelta(days=450))
    services.change_status(enquiry=record, to_status="closed", actor="test",
                           at=now - timedelta(days=400))
    run = engine.sweep()
    assert alive(record) == {record.pk}
    assert run.counts["enquiries.offers"]["held"] == 1


def test_naming_a_rule_no_store_enforces_says_so_and_why(published, capsys):
    call_command("retention", "run", "--dry-run", "--rule", "project_data/legal_obligations")
    out = capsys.readouterr().out
    assert "project_data/legal_obligations/financial_year_end: no store in Privet enforces it (" in out
    assert "Dry run: 0 records would expire" in out
