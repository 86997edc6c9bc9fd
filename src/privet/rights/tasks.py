"""The rights app's work on the task worker: its mail (the outbox) and the periodic housekeeping.

The engine's work is :func:`process_request`, which runs :func:`.engine.process`.
"""

from __future__ import annotations

import logging

from django_tasks import task

from privet.core import leases
from privet.core.outbox import deliver
from privet.errors import PrivetError

log = logging.getLogger(__name__)


class MailNotSent(PrivetError):
    code = "mail_not_sent"


@task()
def send_rights_mail(mail_id: int) -> str:
    """Send one :class:`~.models.RightsMail` row exactly once (see :mod:`.outbox`); returns
    "sent", "uncertain" (handed over, no answer heard: operators decide), "skipped" (nothing to
    send) or "not_sent" (a reminder with no operator address). Any other failure raises
    :class:`MailNotSent`, naming the request, never an address."""
    from . import notifications, outbox
    from .errors import NoOperatorAddress

    mail = outbox.claim_mail(mail_id=mail_id, holder=leases.current_holder())
    if mail is None:
        log.info("rights: mail %s has nothing to send", mail_id)
        return "skipped"
    label = f"rights: {mail.kind} mail of request {mail.request.reference}"
    done = deliver(outbox.OUTBOX, mail, lambda connection: notifications.send(mail, connection),
                   label=label,
                   recipients_if_accepted=lambda: len(notifications.recipients(mail)),
                   recorded_failures=(NoOperatorAddress.__name__,))
    if done.failure == NoOperatorAddress.__name__:
        log.warning("rights: the reminder of request %s was not sent: no operator has an email "
                    "address. Set PRIVET_OPERATOR_EMAILS or give an operator's account an address.",
                    mail.request.reference)
        return "not_sent"
    if done.failure:
        raise MailNotSent(f"The {mail.kind} mail of request {mail.request.reference} was not "
                          f"sent ({done.failure}).")
    return done.outcome


@task()
def housekeeping() -> dict[str, int]:
    """What is due now: close requests never verified within 7 days, delete export archives
    whose link expired, remind operators of deadlines, and queue again the work a process that
    died between a commit and queueing it left behind (:func:`.services.requeue_stalled`)."""
    from . import archive, services

    stalled_mail, stalled_requests = services.requeue_stalled()
    return {"closed_unverified": services.close_unverified(),
            "archives_deleted": archive.delete_expired(),
            "reminders": services.remind_due(),
            "mail_requeued": stalled_mail, "requests_requeued": stalled_requests}


@task()
def process_request(request_id: int, attempt: int) -> str:
    """Carry out a request's steps of ``attempt``, each once (:func:`.engine.process`); safe to
    run again after a killed worker, and a no-op for an attempt that was replaced."""
    from .engine import process

    return process(request_id, attempt)
