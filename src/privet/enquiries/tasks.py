"""Mail about enquiries, sent by the task worker (django-tasks) rather than the web request.

Each mail is a row (:class:`~.models.OutgoingMail`) written with the enquiry; this task claims
the row, sends, and marks it sent or failed. A refused or dropped connection and temporary
(4xx) replies are retried with backoff (stamina); a permanent refusal (a 5xx reply, recipients
refused) and anything that is not about the mail server (a template or database error) fail at
once. A failed mail fails the task with a message that names the enquiry but never the address
(SMTP errors quote recipients), and the panel shows it until an operator sends it again
(``services.send_mail_again``). Retries are logged by :mod:`privet.core.retries`, which names
the exception's type only. A worker killed mid-send leaves its task running; the next worker
runs it again (:mod:`privet.core.leases`), and this task then carries on from the row's state:
sends it if it never reached the mail server, marks it "may have been sent" if the worker was
killed between handing it over and hearing back (:mod:`.outbox`, :mod:`privet.core.mail`).
"""

from __future__ import annotations

import logging

from django_tasks import task

from privet.core import leases
from privet.core.outbox import MAIL_ATTEMPTS, MailUncertain, deliver, is_transient  # noqa: F401
from privet.errors import PrivetError

from . import notifications, outbox
from .errors import NoOperatorAddress

log = logging.getLogger(__name__)

SENDERS = {
    "acknowledgement": notifications.send_acknowledgement,
    "operators": notifications.notify_operators,
}


class MailNotSent(PrivetError):
    code = "mail_not_sent"


@task()
def send_enquiry_mail(enquiry_id: int, kind: str) -> str:
    """Send the ``kind`` mail of enquiry ``enquiry_id``; returns "sent", "uncertain" (handed to
    the server by a worker that stopped, or the answer was lost: operators decide), "skipped"
    (nothing to send: sent already, given up on, another worker has it, the enquiry is gone) or
    "not_sent" (a notice with no operator address to go to: the row is failed, the panel says
    what to do). Any other failure raises :class:`MailNotSent`."""
    mail = outbox.claim_mail(enquiry_id=enquiry_id, kind=kind, holder=leases.current_holder())
    if mail is None:
        log.info("enquiries: %s mail of enquiry %s has nothing to send", kind, enquiry_id)
        return "skipped"

    def send(connection) -> int:
        return SENDERS[kind](enquiry_id, message_id=mail.message_id, connection=connection)

    def recipients_if_accepted() -> int:
        return 1 if kind == "acknowledgement" else len(notifications.operator_recipients())

    done = deliver(outbox.OUTBOX, mail, send, label=f"enquiries: {kind} mail of enquiry {enquiry_id}",
                   recipients_if_accepted=recipients_if_accepted,
                   recorded_failures=(NoOperatorAddress.__name__,))
    if done.failure == NoOperatorAddress.__name__:
        # Not a fault of the mail or the code but a setting to fix: one line saying which, and
        # the task ends normally, so the task backend logs no traceback either.
        log.warning("enquiries: the operators' notice of enquiry %s was not sent: no operator has "
                    "an email address. Set PRIVET_OPERATOR_EMAILS or give an operator's account an "
                    "address, then press \"Send again\" on the enquiry in the panel.", enquiry_id)
        return "not_sent"
    if done.failure:
        raise MailNotSent(f"The {kind} mail for enquiry {enquiry_id} was not sent ({done.failure}).")
    return done.outcome
