"""The rights app's work on the task worker: its mail (the outbox) and the periodic housekeeping.

The engine's steps (plan, export, erase...) are tasks in :mod:`.engine`.
"""

from __future__ import annotations

import logging

from django_tasks import task

log = logging.getLogger(__name__)


@task()
def send_rights_mail(mail_id: int) -> str:
    """Send one :class:`~.models.RightsMail` row (see :mod:`.outbox`)."""
    from .outbox import send

    return send(mail_id)


@task()
def housekeeping() -> dict[str, int]:
    """What is due now: close requests never verified within 7 days (and, as the other parts
    land, remind operators of deadlines and delete expired export archives)."""
    from . import services

    return {"closed_unverified": services.close_unverified(),
            "reminders": services.remind_due()}


@task()
def process_request(request_id: int, attempt: int) -> str:
    """Carry out a request's steps (the engine work replaces this first cut)."""
    raise NotImplementedError("the engine's steps land with the engine work")
