"""The moment a mail is handed to the mail server, with real SMTP servers that answer the end of
the message in each way they can: taken, refused for now, never answered. Only a mail handed over
without an answer is "may have been sent"; everything else is sent, retried or failed as before."""

from __future__ import annotations

import email
import smtplib

import pytest
import stamina
from aiosmtpd.controller import Controller

from privet.audit.models import AuditEvent
from privet.enquiries import services
from privet.enquiries.models import MailState, OutgoingMail
from privet.enquiries.tasks import MAIL_ATTEMPTS, send_enquiry_mail

from .conftest import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(published, valid_data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        return services.submit_enquiry(data=valid_data, client_ref="c1", language="en")


class EndOfData:
    """Answers the end of each message with the next of ``answers``: a reply, or ``None`` to
    hang up without answering (after reading the whole message)."""

    def __init__(self, *answers: str | None) -> None:
        self.answers = list(answers)
        self.taken: list[str] = []  # Message-IDs answered 250

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd hook
        answer = self.answers.pop(0) if self.answers else "250 OK"
        if answer is None:
            server.transport.close()
            return "250 OK"  # never reaches the client
        if answer.startswith("250"):
            self.taken.append(email.message_from_bytes(envelope.original_content)["Message-ID"])
        return answer


@pytest.fixture
def server(settings):
    controllers = []

    def start(*answers):
        handler = EndOfData(*answers)
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        controllers.append(controller)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
        return handler

    yield start
    for controller in controllers:
        controller.stop()


def test_every_attempt_carries_the_rows_own_message_id_and_a_refusal_at_the_end_is_retried(
        stored, server):
    handler = server("451 4.3.0 try again later", "250 OK")
    with stamina.set_testing(True, attempts=MAIL_ATTEMPTS):
        assert send_enquiry_mail.call(stored.pk, "acknowledgement") == "sent"
    mail = OutgoingMail.objects.get(enquiry=stored, kind="acknowledgement")
    assert (mail.state, mail.attempts) == (MailState.SENT, 2)
    assert handler.taken == [mail.message_id]
    assert mail.message_id.endswith("@localhost>")  # the sender's domain (privet@localhost)
    other = OutgoingMail.objects.get(enquiry=stored, kind="operators")
    assert other.message_id != mail.message_id


def test_a_mail_handed_over_without_an_answer_may_have_been_sent_and_is_not_sent_again(
        stored, server, caplog):
    server(None)
    assert send_enquiry_mail.call(stored.pk, "acknowledgement") == "uncertain"
    mail = OutgoingMail.objects.get(enquiry=stored, kind="acknowledgement")
    assert mail.state == MailState.UNCERTAIN and mail.handed_at and mail.attempts == 1
    assert AuditEvent.objects.filter(action="enquiry.mail_uncertain",
                                     object_id=str(stored.pk)).exists()
    assert send_enquiry_mail.call(stored.pk, "acknowledgement") == "skipped"  # queued twice
    ours = [r.getMessage() for r in caplog.records if r.name.startswith(("privet", "django"))]
    assert ours and not any("anna@example.com" in line for line in ours)


def test_a_failure_before_a_local_backend_is_called_is_a_failure_not_an_uncertain_mail(
        stored, settings):
    """The console or file backend (the demo's) cannot be watched inside, so the hand-over is
    recorded just before it is called: a notice with nobody to go to never got that far."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PRIVET_OPERATOR_EMAILS = []
    assert send_enquiry_mail.call(stored.pk, "operators") == "not_sent"  # a setting to fix, said
    mail = OutgoingMail.objects.get(enquiry=stored, kind="operators")
    assert (mail.state, mail.error, mail.handed_at) == (MailState.FAILED, "NoOperatorAddress", None)
    assert send_enquiry_mail.call(stored.pk, "acknowledgement") == "sent"
    assert OutgoingMail.objects.get(enquiry=stored, kind="acknowledgement").handed_at


def test_django_s_smtp_backend_is_used_through_the_one_that_marks_the_end_of_the_message(settings):
    from privet.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert isinstance(mail.connection(), mail.EmailBackend)
    assert issubclass(mail.EmailBackend(use_ssl=True).connection_class, smtplib.SMTP_SSL)
