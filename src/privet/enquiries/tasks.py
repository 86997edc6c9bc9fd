"""Mail about enquiries, sent by the task worker (django-tasks) rather than the web request.

Each mail is a row (:class:`~.models.OutgoingMail`) written with the enquiry; this task claims
the row, sends, and marks it sent or failed. A refused or dropped connection and temporary
(4xx) replies are retried with backoff (stamina); a permanent refusal (a 5xx reply, recipients
refused) and anything that is not about the mail server (a template or database error) fail at
once. A failed mail fails the task with a message that names the enquiry but never the address
(SMTP errors quote recipients), and the panel shows it until an operator sends it again
(``services.send_mail_again``). Retries are logged by :mod:`privet.core.retries`, which names
the exception's type only. A worker that dies mid-send leaves the row pending, and the
panel shows it as stuck.
"""

from __future__ import annotations

import logging
import smtplib
import traceback
from datetime import timedelta

import stamina
from django_tasks import task

from privet.errors import PrivetError

from . import notifications, outbox
from .errors import NoOperatorAddress

log = logging.getLogger(__name__)

SENDERS = {
    "acknowledgement": notifications.send_acknowledgement,
    "operators": notifications.notify_operators,
}
MAIL_ATTEMPTS = 5  # with backoff from 2 s up to a minute: about two minutes in all
MAIL_RETRY_TIMEOUT = timedelta(minutes=3)  # within models.SENDING_LEASE, the worker's claim


class MailNotSent(PrivetError):
    code = "mail_not_sent"


def is_transient(exc: Exception) -> bool:
    """Whether trying the same mail again may succeed: a connection refused, dropped or timed
    out, or a 4xx reply (greylisting, a full queue). A 5xx reply is final, and so is a refusal
    of the recipients unless every one of them was refused with a 4xx code."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPNotSupportedError):  # e.g. STARTTLS configured, not offered
        return False
    return isinstance(exc, OSError)  # smtplib.SMTPException is an OSError too


@task()
def send_enquiry_mail(enquiry_id: int, kind: str) -> str:
    """Send the ``kind`` mail of enquiry ``enquiry_id``; returns "sent", "skipped" (nothing
    to send: sent already, given up on, another worker has it, or the enquiry is gone) or
    "not_sent" (a notice with no operator address to go to: the row is failed, the panel says
    what to do). Any other failure raises :class:`MailNotSent`."""
    mail = outbox.claim_mail(enquiry_id=enquiry_id, kind=kind)
    if mail is None:
        log.info("enquiries: %s mail of enquiry %s has nothing to send", kind, enquiry_id)
        return "skipped"
    failure, recipients = "", 0
    try:
        for attempt in stamina.retry_context(on=is_transient, attempts=MAIL_ATTEMPTS,
                                             timeout=MAIL_RETRY_TIMEOUT, wait_initial=2,
                                             wait_max=60):
            with attempt:
                outbox.note_mail_attempt(mail=mail)
                recipients = SENDERS[kind](enquiry_id)
    # Any failure, not only SMTP's: it is recorded for the operators and raised again below.
    except Exception as exc:
        failure = type(exc).__name__
        if not isinstance(exc, OSError | PrivetError):  # a bug (template, database): say where,
            log.error("enquiries: %s mail of enquiry %s failed with %s at:\n%s", kind, enquiry_id,
                      failure, "".join(traceback.format_tb(exc.__traceback__)))  # not what
    if failure == NoOperatorAddress.__name__:
        # Not a fault of the mail or the code but a setting to fix: one line saying which, and
        # the task ends normally, so the task backend logs no traceback either.
        outbox.mark_mail_failed(mail=mail, error=failure)
        log.warning("enquiries: the operators' notice of enquiry %s was not sent: no operator has "
                    "an email address. Set PRIVET_OPERATOR_EMAILS or give an operator's account an "
                    "address, then press \"Send again\" on the enquiry in the panel.", enquiry_id)
        return "not_sent"
    if failure:
        # Outside the except block, so neither the log, the error recorded nor the task's stored
        # traceback carries the exception's message (SMTP errors quote the addresses).
        log.error("enquiries: %s mail of enquiry %s not sent after %d attempt(s) (%s)",
                  kind, enquiry_id, mail.attempts, failure)
        outbox.mark_mail_failed(mail=mail, error=failure)
        raise MailNotSent(f"The {kind} mail for enquiry {enquiry_id} was not sent ({failure}).")
    outbox.mark_mail_sent(mail=mail, recipients=recipients)
    return "sent"
