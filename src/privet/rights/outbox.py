"""The rights requests' mail outbox: :class:`privet.core.outbox.Outbox` over
:class:`~.models.RightsMail`, audited as ``rights.mail_*`` on the request.

:func:`~.services.queue_mail` writes the row in the transaction of the change the mail tells of
and queues :func:`~.tasks.send_rights_mail` after the commit; the task claims the row under the
worker's lease, records the hand-over just before the end of the message and how it ended, and
never sends again by itself a mail that may have arrived (see :mod:`privet.core.outbox`).
"""

from __future__ import annotations

from privet.core.outbox import Outbox

from .models import RightsMail

OUTBOX = Outbox(model=RightsMail, owner=lambda mail: mail.request,
                subject=lambda mail: mail.request.email, sent_action="rights.mail_sent",
                not_sent_action="rights.mail_not_sent", uncertain_action="rights.mail_uncertain")


def claim_mail(*, mail_id: int, holder: str) -> RightsMail | None:
    """``holder`` takes the pending mail ``mail_id``; ``None`` when there is nothing to send
    (sent, given up on, owned by a live worker, or the request is gone)."""
    mail = RightsMail.objects.select_related("request").filter(pk=mail_id).first()
    return OUTBOX.claim(mail, holder=holder)
