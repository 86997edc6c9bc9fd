"""The worker's side of the mail outbox: claim a pending mail, count attempts, record the end.

:func:`~.services.submit_enquiry` writes one :class:`~.models.OutgoingMail` row per mail in the
enquiry's transaction and queues :func:`~.tasks.send_enquiry_mail` after the commit; that task
claims the row here (a lease of :data:`~.models.SENDING_LEASE`, so two workers never send the same
mail), sends, and marks it sent or failed, each with its audit event. Operators' side (sending
again) stays in :mod:`.services`, which queues the task; this module queues nothing, so the task
can use it without importing the services that import the task.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from privet.audit import actors
from privet.audit.services import append_event

from .models import SENDING_LEASE, Enquiry, MailKind, MailState, OutgoingMail


def claim_mail(*, enquiry_id: int, kind: str) -> OutgoingMail | None:
    """The worker takes a pending mail for :data:`~.models.SENDING_LEASE`; ``None`` when there is
    nothing to send: already sent, given up on, owned by another worker, or the enquiry is gone.

    A task queued before the outbox existed (an upgrade) finds no row: the row is made then.
    """
    if kind not in MailKind.values:
        return None
    mail = OutgoingMail.objects.filter(enquiry_id=enquiry_id, kind=kind).first()
    if mail is None:
        if not Enquiry.objects.filter(pk=enquiry_id).exists():
            return None  # erased meanwhile: nothing left to send, nor anyone to send it to
        mail, _ = OutgoingMail.objects.get_or_create(enquiry_id=enquiry_id, kind=kind)
    now = timezone.now()
    free = Q(sending_since__isnull=True) | Q(sending_since__lte=now - SENDING_LEASE)
    claimed = (OutgoingMail.objects.filter(pk=mail.pk, state=MailState.PENDING).filter(free)
               .update(sending_since=now))
    if not claimed:
        return None
    mail.refresh_from_db()
    return mail


def note_mail_attempt(*, mail: OutgoingMail) -> None:
    """Count one attempt at sending and renew the worker's lease (one query)."""
    now = timezone.now()
    OutgoingMail.objects.filter(pk=mail.pk).update(attempts=F("attempts") + 1, sending_since=now)
    mail.attempts += 1
    mail.sending_since = now


def _finish(mail: OutgoingMail, state: str, error: str = "") -> bool:
    """Record how a worker's sending ended; ``False`` when the row is gone (enquiry erased)."""
    now = timezone.now()
    done = OutgoingMail.objects.filter(pk=mail.pk).update(
        state=state, finished_at=now, sending_since=None, error=error[:100])
    if done:
        mail.refresh_from_db()
    return bool(done)


@transaction.atomic(durable=True)
def mark_mail_sent(*, mail: OutgoingMail, recipients: int, actor: str = actors.WORKER) -> None:
    """The mail server took the mail: the row is done, and the enquiry's history says so, with
    how many it went to (a notice with nobody to go to fails instead: ``NoOperatorAddress``)."""
    if _finish(mail, MailState.SENT):
        append_event(actor=actor, action="enquiry.mail_sent", obj=mail.enquiry,
                     details={"mail": mail.kind, "attempts": mail.attempts,
                              "recipients": recipients})


@transaction.atomic(durable=True)
def mark_mail_failed(*, mail: OutgoingMail, error: str, actor: str = actors.WORKER) -> None:
    """The worker gave up on a mail: keep it in sight of the operators until it is sent again.

    ``error`` is the exception's class name, never its message (SMTP errors quote addresses).
    """
    if _finish(mail, MailState.FAILED, error):
        append_event(actor=actor, action="enquiry.mail_not_sent", obj=mail.enquiry,
                     details={"mail": mail.kind, "error": mail.error, "attempts": mail.attempts})
