"""The rights app's work on the task worker: its mail (the outbox) and the periodic housekeeping.

The engine's work is :func:`process_request`, which runs :func:`.engine.process`.
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
    """What is due now: close requests never verified within 7 days, delete export archives
    whose link expired, and remind operators of deadlines."""
    from . import archive, services

    return {"closed_unverified": services.close_unverified(),
            "archives_deleted": archive.delete_expired(),
            "reminders": services.remind_due()}


@task()
def process_request(request_id: int, attempt: int) -> str:
    """Carry out a request's steps of ``attempt``, each once (:func:`.engine.process`); safe to
    run again after a killed worker, and a no-op for an attempt that was replaced."""
    from .engine import process

    return process(request_id, attempt)
