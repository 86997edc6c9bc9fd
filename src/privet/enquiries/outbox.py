"""The worker's side of the enquiries' mail outbox: :class:`privet.core.outbox.Outbox` over
:class:`~.models.OutgoingMail`, audited as ``enquiry.mail_*`` on the enquiry.

:func:`~.services.submit_enquiry` writes one :class:`~.models.OutgoingMail` row per mail in the
enquiry's transaction and queues :func:`~.tasks.send_enquiry_mail` after the commit; the steps
the task goes through (claim, attempt, hand-over, end) and why are in :mod:`privet.core.outbox`.

Operators' side (sending again) stays in :mod:`.services`, which queues the task; this module
queues nothing, so the task can use it without importing the services that import the task.
"""

from __future__ import annotations

from privet.audit import actors
from privet.core.outbox import ClaimLost, Outbox  # noqa: F401 (ClaimLost: callers catch it here)

from .models import SENDING_LEASE, Enquiry, MailKind, OutgoingMail

OUTBOX = Outbox(model=OutgoingMail, owner=lambda mail: mail.enquiry, lease=SENDING_LEASE,
                sent_action="enquiry.mail_sent", not_sent_action="enquiry.mail_not_sent",
                uncertain_action="enquiry.mail_uncertain")


def claim_mail(*, enquiry_id: int, kind: str, holder: str) -> OutgoingMail | None:
    """``holder`` (:func:`privet.core.leases.current_holder`) takes a pending mail; ``None`` when
    there is nothing to send: already sent, given up on, owned by a live worker, or the enquiry
    is gone. The caller checks ``handed_at`` of the mail it gets (see :mod:`privet.core.outbox`).

    A task queued before the outbox existed (an upgrade) finds no row: the row is made then.
    """
    if kind not in MailKind.values:
        return None
    mail = OutgoingMail.objects.filter(enquiry_id=enquiry_id, kind=kind).first()
    if mail is None:
        if not Enquiry.objects.filter(pk=enquiry_id).exists():
            return None  # erased meanwhile: nothing left to send, nor anyone to send it to
        mail, _ = OutgoingMail.objects.get_or_create(enquiry_id=enquiry_id, kind=kind)
    return OUTBOX.claim(mail, holder=holder)


def note_mail_attempt(*, mail: OutgoingMail) -> None:
    OUTBOX.note_attempt(mail=mail)


def mark_handed(*, mail: OutgoingMail) -> None:
    OUTBOX.mark_handed(mail=mail)


def mark_not_handed(*, mail: OutgoingMail) -> None:
    OUTBOX.mark_not_handed(mail=mail)


def mark_mail_sent(*, mail: OutgoingMail, recipients: int, actor: str = actors.WORKER) -> None:
    OUTBOX.mark_sent(mail=mail, recipients=recipients, actor=actor)


def mark_mail_failed(*, mail: OutgoingMail, error: str, actor: str = actors.WORKER) -> None:
    OUTBOX.mark_failed(mail=mail, error=error, actor=actor)


def mark_mail_uncertain(*, mail: OutgoingMail, actor: str = actors.WORKER) -> None:
    OUTBOX.mark_uncertain(mail=mail, actor=actor)
