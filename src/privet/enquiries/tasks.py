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
import smtplib
import traceback
from datetime import timedelta

import stamina
from django.db import connections
from django_tasks import task

from privet.core import leases
from privet.core import mail as mail_transport
from privet.core.outage import is_database_unavailable
from privet.errors import PrivetError

from . import notifications, outbox
from .errors import NoOperatorAddress
from .models import OutgoingMail

log = logging.getLogger(__name__)

SENDERS = {
    "acknowledgement": notifications.send_acknowledgement,
    "operators": notifications.notify_operators,
}
MAIL_ATTEMPTS = 5  # with backoff from 2 s up to a minute: about two minutes in all
MAIL_RETRY_TIMEOUT = timedelta(minutes=3)  # within models.SENDING_LEASE, the worker's claim
SENT_MARK_TIMEOUT = timedelta(minutes=10)


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


class MailUncertain(Exception):
    """The mail was handed to the server and no answer was heard: never tried again by itself."""


def _attempt(mail: OutgoingMail, kind: str, enquiry_id: int) -> int:
    """One attempt at sending, through :mod:`privet.core.mail` so that the hand-over is recorded
    just before the end of the message; returns the number of recipients."""
    handover = mail_transport.Handover(record=lambda: outbox.mark_handed(mail=mail))
    connection = mail_transport.connection()
    try:
        with mail_transport.watching(handover):
            recipients = SENDERS[kind](enquiry_id, message_id=mail.message_id,
                                       connection=connection)
    except Exception as exc:
        if handover.accepted:  # taken (250); what failed came after (QUIT): it is sent
            return 1 if kind == "acknowledgement" else len(notifications.operator_recipients())
        if handover.handed and handover.accepted is None:  # no answer heard: the RFC 1047 window
            raise MailUncertain(type(exc).__name__) from None
        if handover.handed:  # refused at the end of the message: the server does not have it
            outbox.mark_not_handed(mail=mail)
        raise
    return recipients


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
    if mail.handed_at is not None:
        # The worker before this one got as far as handing it over, and stopped before it heard
        # back: the mail may have arrived. Sending it again could deliver it twice.
        log.warning("enquiries: %s mail of enquiry %s was handed to the mail server by a worker "
                    "that stopped before the answer; marked uncertain, not sent again",
                    kind, enquiry_id)
        outbox.mark_mail_uncertain(mail=mail)
        return "uncertain"
    failure, recipients = "", 0
    try:
        for attempt in stamina.retry_context(on=is_transient, attempts=MAIL_ATTEMPTS,
                                             timeout=MAIL_RETRY_TIMEOUT, wait_initial=2,
                                             wait_max=60):
            with attempt:
                outbox.note_mail_attempt(mail=mail)
                recipients = _attempt(mail, kind, enquiry_id)
    except outbox.ClaimLost:
        log.warning("enquiries: %s mail of enquiry %s was taken over by another worker; this "
                    "one stopped before the end of the message", kind, enquiry_id)
        return "skipped"
    except MailUncertain as exc:
        log.warning("enquiries: %s mail of enquiry %s was handed to the mail server and no "
                    "answer came (%s); marked uncertain, not sent again", kind, enquiry_id, exc)
        outbox.mark_mail_uncertain(mail=mail)
        return "uncertain"
    # Any other failure, not only SMTP's: it is recorded for the operators and raised again below.
    except Exception as exc:
        if is_database_unavailable(exc):
            raise  # not the mail's failure: the worker runs the task again when the database is back
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
    _record_sent(mail, recipients)
    return "sent"


def _record_sent(mail: OutgoingMail, recipients: int) -> None:
    """Mark the mail sent. The server took it, so a database that is away now is waited for
    (up to :data:`SENT_MARK_TIMEOUT`) rather than leaving a sent mail to look uncertain."""
    for attempt in stamina.retry_context(on=is_database_unavailable, attempts=None,
                                         timeout=SENT_MARK_TIMEOUT, wait_initial=0.5,
                                         wait_max=10):
        with attempt:
            try:
                outbox.mark_mail_sent(mail=mail, recipients=recipients)
            except Exception:
                connections.close_all()  # a connection the outage broke is not reused
                raise
