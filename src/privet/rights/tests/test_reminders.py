"""Reminders of a request's deadline: 7, 2 and 0 days before and once overdue, one mail per
threshold, never twice a day; only for requests past verification and still open."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from privet.audit.models import AuditEvent
from privet.rights import deadlines, jobs, services
from privet.rights.models import MailKind, RightsMail, RightsRequest

pytestmark = pytest.mark.django_db


def request_due_on(due: date, *, verified: bool = True, email: str = "jan@example.com"):
    request = services.log_request(right="access", email=email, actor="test", channel="email",
                                   verified=verified, verification_note="known address"
                                   if verified else "")
    RightsRequest.objects.filter(pk=request.pk).update(due_on=due)
    request.refresh_from_db()
    return request


def reminders(request) -> int:
    return RightsMail.objects.filter(request=request, kind=MailKind.REMINDER).count()


def test_one_reminder_per_threshold_and_never_twice_a_day():
    due = date(2027, 3, 20)
    request = request_due_on(due)
    expected = {  # day -> reminders queued that day
        date(2027, 3, 12): 0,  # 8 days before: nothing yet
        date(2027, 3, 13): 1,  # 7 days before
        date(2027, 3, 14): 0,  # same threshold
        date(2027, 3, 18): 1,  # 2 days before
        date(2027, 3, 19): 0,
        date(2027, 3, 20): 1,  # the due day
        date(2027, 3, 21): 1,  # overdue
        date(2027, 3, 22): 0,  # overdue is one threshold too
    }
    for day, n in expected.items():
        assert services.remind_due(today=day) == n, day
        assert services.remind_due(today=day) == 0, f"twice on {day}"
    assert reminders(request) == 4
    request.refresh_from_db()
    assert request.reminded_on == date(2027, 3, 21)
    events = AuditEvent.objects.filter(action="rights.reminded", object_id=str(request.pk))
    assert events.count() == 4 and "jan@example.com" not in "".join(e.details for e in events)


def test_a_job_that_missed_days_reminds_once_for_the_latest_threshold():
    request = request_due_on(date(2027, 3, 20))
    assert services.remind_due(today=date(2027, 3, 19)) == 1  # 7 and 2 days both passed
    assert reminders(request) == 1


def test_a_moved_deadline_starts_the_thresholds_afresh():
    request = request_due_on(date(2027, 3, 20))
    assert services.remind_due(today=date(2027, 3, 13)) == 1
    RightsRequest.objects.filter(pk=request.pk).update(due_on=date(2027, 5, 20))  # extended
    assert services.remind_due(today=date(2027, 3, 18)) == 0
    assert services.remind_due(today=date(2027, 5, 13)) == 1


def test_unverified_and_closed_requests_get_no_reminder():
    unverified = request_due_on(date(2027, 3, 20), verified=False, email="u@example.com")
    closed = request_due_on(date(2027, 3, 20), email="c@example.com")
    services.refuse(request=closed, ground="excessive", reason="again", actor="test")
    assert services.remind_due(today=date(2027, 3, 25)) == 0
    assert reminders(unverified) == reminders(closed) == 0


def test_housekeeping_queues_the_reminders_due_today():
    today = deadlines.local_today()
    request_due_on(today + timedelta(days=2))
    request_due_on(today + timedelta(days=20), email="later@example.com")
    result = jobs.housekeeping.call()
    assert result["reminders"] == 1
    assert jobs.housekeeping.call()["reminders"] == 0
