"""The rights app's mail on the task worker (the outbox). The engine's work is
:func:`.engine.process_request`; the periodic housekeeping is :mod:`.jobs`.
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
