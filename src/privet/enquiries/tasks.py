"""Mail about enquiries, sent by the task worker (django-tasks) rather than the web request.

The request only stores the enquiry; the worker sends the acknowledgement and the operators'
notice, retrying a refused or dropped SMTP connection with backoff (stamina). A message that
still cannot be sent fails the task with a message that names the enquiry but never the address
(SMTP errors quote recipients), and is recorded as an ``UnsentMail`` that the panel shows until
an operator sends it again (``services.send_mail_again``).
"""

from __future__ import annotations

import logging
import smtplib

import stamina
from django_tasks import task

from privet.errors import PrivetError

from . import notifications

log = logging.getLogger(__name__)

SENDERS = {
    "acknowledgement": notifications.send_acknowledgement,
    "operators": notifications.notify_operators,
}
MAIL_ATTEMPTS = 5  # with backoff from 2 s up to a minute: about two minutes in all


class MailNotSent(PrivetError):
    code = "mail_not_sent"


@task()
def send_enquiry_mail(enquiry_id: int, kind: str) -> None:
    send = SENDERS[kind]
    try:
        for attempt in stamina.retry_context(
            on=(OSError, smtplib.SMTPException), attempts=MAIL_ATTEMPTS, wait_initial=2, wait_max=60
        ):
            with attempt:
                send(enquiry_id)
    except (OSError, smtplib.SMTPException) as exc:
        # Imported here: services queues this task, so it imports this module first.
        from .services import record_unsent_mail

        log.error("enquiries: %s mail for enquiry %s not sent after %d attempts (%s)",
                  kind, enquiry_id, MAIL_ATTEMPTS, type(exc).__name__)
        record_unsent_mail(enquiry_id=enquiry_id, kind=kind, error=type(exc).__name__)
        raise MailNotSent(
            f"The {kind} mail for enquiry {enquiry_id} was not sent ({type(exc).__name__})."
        ) from None
