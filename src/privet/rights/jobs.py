"""The rights app's periodic job (registered in ``apps.py`` with :mod:`privet.core.schedule`):
what is due now, every 15 minutes, on whichever worker is up.

A module of its own, above the services, the engine and the tasks it calls, so that none of
them imports another in a circle.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from privet.core.models import SENDING_LEASE

from . import archive, services
from .engine import process_request
from .models import RightsMail, RightsRequest, Status
from .tasks import send_rights_mail

log = logging.getLogger("privet.rights")

# Work left without a task for this long is queued again by the housekeeping job. Longer than
# the outbox's claim (SENDING_LEASE) so a mail being sent is never taken for stalled.
STALLED_AFTER = timedelta(minutes=10)


def requeue_stalled(now: datetime | None = None) -> tuple[int, int]:
    """Queue again what a crash between a commit and its ``on_commit`` left without a task: mail
    rows still pending and unclaimed :data:`STALLED_AFTER` after they were queued, and requests
    in progress with no step taken for as long. Both tasks are safe to run twice (the outbox
    claims a row once; the engine's steps are done once), so a task that was in fact queued
    costs nothing. Returns ``(mail, requests)`` queued again."""
    now = now or timezone.now()
    cutoff = now - STALLED_AFTER
    mail_ids = list(RightsMail.objects.filter(
        state="pending", queued_at__lte=cutoff).filter(
        Q(sending_since__isnull=True) | Q(sending_since__lte=now - SENDING_LEASE),
    ).values_list("pk", flat=True))
    for mail_id in mail_ids:
        RightsMail.objects.filter(pk=mail_id).update(queued_at=now)
        send_rights_mail.enqueue(mail_id)
    requests = list(RightsRequest.objects.filter(status=Status.IN_PROGRESS,
                                                 updated_at__lte=cutoff)
                    .values_list("pk", "attempt"))
    for pk, attempt in requests:
        RightsRequest.objects.filter(pk=pk).update(updated_at=now)
        process_request.enqueue(pk, attempt)
    if mail_ids or requests:
        log.warning("rights: queued again %d mail and %d request(s) left without a task",
                    len(mail_ids), len(requests))
    return len(mail_ids), len(requests)


@task()
def housekeeping() -> dict[str, int]:
    """What is due now: close requests never verified within 7 days, delete export archives
    whose link expired, remind operators of deadlines, and queue again the work a process that
    died between a commit and queueing it left behind (:func:`requeue_stalled`)."""
    stalled_mail, stalled_requests = requeue_stalled()
    return {"closed_unverified": services.close_unverified(),
            "archives_deleted": archive.delete_expired(),
            "reminders": services.remind_due(),
            "mail_requeued": stalled_mail, "requests_requeued": stalled_requests}
