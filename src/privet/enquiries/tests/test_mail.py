"""The mail outbox: every accepted enquiry's mail is a row until it is sent, and nothing about
sending it (retries, refusals, a queue that is down) puts an address in a log."""

from __future__ import annotations

import json
import smtplib
from datetime import timedelta

import pytest
import stamina
from django.core.management import call_command
from django.utils import timezone, translation
from freezegun import freeze_time

from privet.audit.models import AuditEvent
from privet.enquiries import services
from privet.enquiries.errors import NoUnsentMail, ProcessingRestricted
from privet.enquiries.models import Enquiry, MailState, OutgoingMail
from privet.enquiries.selectors import mail_needing_attention
from privet.enquiries.tasks import MAIL_ATTEMPTS, MailNotSent, is_transient, send_enquiry_mail

from .conftest import free_port

pytestmark = pytest.mark.django_db

ADDRESS = "anna@example.com"


@pytest.fixture
def stored(published, valid_data, django_capture_on_commit_callbacks):
    """An enquiry from the form whose mail was never queued (its on_commit did not run)."""
    with django_capture_on_commit_callbacks(execute=False):
        return services.submit_enquiry(data=valid_data, client_ref="c1", language="en")


@pytest.fixture
def no_waiting():
    """stamina retries as configured, without sleeping between attempts."""
    with stamina.set_testing(True, attempts=MAIL_ATTEMPTS):
        yield


def mail_of(enquiry, kind="acknowledgement") -> OutgoingMail:
    return OutgoingMail.objects.get(enquiry=enquiry, kind=kind)


def assert_no_address(*texts: str) -> None:
    for text in texts:
        assert ADDRESS not in text and "example.com" not in text


def test_the_enquiry_and_its_mail_are_stored_together_and_the_worker_sends_it(stored, smtp_server):
    rows = {m.kind: m for m in OutgoingMail.objects.filter(enquiry=stored)}
    assert set(rows) == {"acknowledgement", "operators"}
    assert {m.state for m in rows.values()} == {MailState.PENDING}
    assert not mail_needing_attention().exists()  # pending, but not for long yet
    inbox = smtp_server()
    assert send_enquiry_mail.call(stored.pk, "acknowledgement") == "sent"
    [(_from, rcpts, _raw)] = inbox.messages
    assert rcpts == [ADDRESS]
    mail = mail_of(stored)
    assert (mail.state, mail.attempts, mail.error) == (MailState.SENT, 1, "")
    assert mail.finished_at and mail.sending_since is None
    event = AuditEvent.objects.get(action="enquiry.mail_sent")
    assert event.object_id == str(stored.pk)
    assert json.loads(event.details) == {"mail": "acknowledgement", "attempts": 1, "recipients": 1}
    # A second task for the same mail (queued twice) sends nothing more.
    assert send_enquiry_mail.call(stored.pk, "acknowledgement") == "skipped"
    assert len(inbox.messages) == 1


def test_a_permanent_refusal_fails_at_once_and_no_log_names_the_address(
        stored, smtp_server, no_waiting, caplog, capfd):
    inbox = smtp_server("550 5.1.1 <{address}>: Recipient address rejected: User unknown")
    with pytest.raises(MailNotSent) as failure:
        send_enquiry_mail.call(stored.pk, "acknowledgement")
    mail = mail_of(stored)
    assert (mail.state, mail.attempts, mail.error) == (MailState.FAILED, 1, "SMTPRecipientsRefused")
    assert inbox.messages == []
    assert list(mail_needing_attention()) == [mail]
    out, err = capfd.readouterr()
    event = AuditEvent.objects.get(action="enquiry.mail_not_sent")
    assert "not sent after 1 attempt(s) (SMTPRecipientsRefused)" in caplog.text
    assert_no_address(str(failure.value), caplog.text, out, err, event.details)
    # Nothing hides in the exception's chain either (the task backend stores its traceback).
    assert failure.value.__context__ is None and failure.value.__cause__ is None


def test_a_temporary_refusal_is_retried_and_the_retry_log_names_no_address(
        stored, smtp_server, no_waiting, caplog, capfd):
    inbox = smtp_server("451 4.7.1 <{address}>: greylisted, try again later")
    assert send_enquiry_mail.call(stored.pk, "acknowledgement") == "sent"
    assert len(inbox.messages) == 1
    assert mail_of(stored).attempts == 2
    out, err = capfd.readouterr()
    assert_no_address(caplog.text, out, err)  # stamina's default hook logs repr(exc): the address
    assert "after SMTPRecipientsRefused (attempt 1 failed" in caplog.text


def test_a_mail_server_that_is_down_is_retried_then_the_mail_fails(stored, smtp_down, no_waiting,
                                                                   caplog):
    with pytest.raises(MailNotSent):
        send_enquiry_mail.call(stored.pk, "acknowledgement")
    mail = mail_of(stored)
    assert (mail.state, mail.attempts, mail.error) == (MailState.FAILED, MAIL_ATTEMPTS,
                                                       "ConnectionRefusedError")
    assert Enquiry.objects.filter(pk=stored.pk).exists()
    assert_no_address(caplog.text)


def test_a_template_error_fails_the_mail_instead_of_leaving_it_running(
        stored, smtp_server, settings, tmp_path, caplog):
    broken = tmp_path / "enquiries" / "mail"
    broken.mkdir(parents=True)
    (broken / "acknowledgement.txt").write_text("{% if %}broken{% endif %}")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    inbox = smtp_server()
    with pytest.raises(MailNotSent):
        send_enquiry_mail.call(stored.pk, "acknowledgement")
    mail = mail_of(stored)
    assert (mail.state, mail.attempts, mail.error) == (MailState.FAILED, 1, "TemplateSyntaxError")
    assert inbox.messages == []
    # A bug says where it happened (the frames), not what the exception said.
    assert "failed with TemplateSyntaxError at:" in caplog.text and "notifications.py" in caplog.text
    assert_no_address(caplog.text)


@pytest.mark.parametrize(("exc", "transient"), [
    (ConnectionRefusedError(), True),
    (TimeoutError(), True),
    (smtplib.SMTPServerDisconnected("gone"), True),
    (smtplib.SMTPRecipientsRefused({ADDRESS: (550, b"no such user")}), False),
    (smtplib.SMTPRecipientsRefused({ADDRESS: (450, b"mailbox busy")}), True),
    (smtplib.SMTPRecipientsRefused({ADDRESS: (450, b"busy"), "b@example.org": (550, b"no")}), False),
    (smtplib.SMTPSenderRefused(553, b"sender rejected", "privet@localhost"), False),
    (smtplib.SMTPDataError(554, b"spam"), False),
    (smtplib.SMTPDataError(421, b"try later"), True),
    (smtplib.SMTPAuthenticationError(535, b"bad credentials"), False),
    (smtplib.SMTPNotSupportedError("STARTTLS"), False),
    (ValueError("a bug"), False),
])
def test_what_is_worth_retrying(exc, transient):
    assert is_transient(exc) is transient


def test_a_mail_another_worker_is_sending_is_left_to_it(stored, smtp_server):
    inbox = smtp_server()
    mail = mail_of(stored)
    mail.sending_since = timezone.now() - timedelta(minutes=1)
    mail.save()
    assert send_enquiry_mail.call(stored.pk, "acknowledgement") == "skipped"
    assert inbox.messages == []
    # The other worker died: once its lease is over, the mail is someone else's to send.
    mail.sending_since = timezone.now() - timedelta(minutes=6)
    mail.save()
    assert send_enquiry_mail.call(stored.pk, "acknowledgement") == "sent"
    assert len(inbox.messages) == 1


def test_a_task_queued_before_the_outbox_existed_still_sends(stored, smtp_server):
    OutgoingMail.objects.filter(enquiry=stored).delete()  # as if queued by the previous version
    inbox = smtp_server()
    assert send_enquiry_mail.call(stored.pk, "acknowledgement") == "sent"
    assert mail_of(stored).state == MailState.SENT and len(inbox.messages) == 1
    # An erased enquiry leaves nothing to send, and a made-up kind is nothing to send.
    assert send_enquiry_mail.call(stored.pk + 1, "acknowledgement") == "skipped"
    assert send_enquiry_mail.call(stored.pk, "newsletter") == "skipped"
    assert not OutgoingMail.objects.filter(enquiry_id=stored.pk + 1).exists()


def test_a_stuck_mail_is_shown_after_ten_minutes_and_sent_again(stored, smtp_server,
                                                                 django_capture_on_commit_callbacks):
    later = timezone.now() + timedelta(minutes=11)
    assert set(mail_needing_attention(now=later).values_list("kind", flat=True)) == {
        "acknowledgement", "operators"}
    inbox = smtp_server()
    with freeze_time(later), django_capture_on_commit_callbacks(execute=True):
        services.send_mail_again(enquiry=stored, kind="acknowledgement", actor="test")
        # Queued again, so no longer stuck; a second "Send again" has nothing to do.
        with pytest.raises(NoUnsentMail):
            services.send_mail_again(enquiry=stored, kind="acknowledgement", actor="test")
    assert mail_of(stored).state == MailState.SENT and len(inbox.messages) == 1
    event = AuditEvent.objects.get(action="enquiry.mail_requeued")
    assert json.loads(event.details)["was"] == "stuck" and event.actor == "test"
    with pytest.raises(NoUnsentMail):  # sent
        services.send_mail_again(enquiry=stored, kind="acknowledgement", actor="test")
    assert AuditEvent.objects.filter(action="enquiry.mail_requeued").count() == 1


def test_restricted_processing_keeps_the_mail_unsent(stored):
    from privet.enquiries.privacy import EnquirySource
    from privet.registry import SubjectQuery

    EnquirySource().restrict(SubjectQuery(email=ADDRESS), actor="test", request_ref="R-1")
    stored.refresh_from_db()
    with freeze_time(timezone.now() + timedelta(minutes=11)):
        with pytest.raises(ProcessingRestricted):
            services.send_mail_again(enquiry=stored, kind="acknowledgement", actor="test")
        assert services.resend_stuck_mail(actor="test") == (0, 2)


@pytest.mark.django_db(transaction=True)
def test_a_queue_that_is_down_never_costs_the_enquiry_and_the_command_sends_it_later(
        client, published, pow_payload, valid_data, settings, smtp_server, caplog):
    """Redis is down (the RQ backend): the visitor is thanked, the enquiry and its mail rows are
    stored, and once the queue is back `privet manage enquiry_mail --resend-stuck` sends both."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": f"redis://127.0.0.1:{free_port()}/0"}}
    settings.PRIVET_OPERATOR_EMAILS = ["team@studio.test"]
    response = client.post("/contact/", {**valid_data, "altcha": pow_payload()})
    assert response.status_code == 302
    enquiry = Enquiry.objects.get()
    assert set(enquiry.mail.values_list("state", flat=True)) == {MailState.PENDING}
    assert "could not queue the acknowledgement mail" in caplog.text
    assert "(ConnectionError)" in caplog.text
    assert_no_address(caplog.text)

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    inbox = smtp_server()
    with freeze_time(timezone.now() + timedelta(minutes=11)):
        call_command("enquiry_mail", verbosity=0)  # lists, changes nothing
        assert inbox.messages == []
        call_command("enquiry_mail", "--resend-stuck", verbosity=0)
    assert sorted(r for _f, rcpts, _raw in inbox.messages for r in rcpts) == [
        ADDRESS, "team@studio.test"]
    assert set(enquiry.mail.values_list("state", flat=True)) == {MailState.SENT}
    assert AuditEvent.objects.filter(action="enquiry.mail_requeued", actor="cli").count() == 2


def test_the_command_lists_what_waits(stored, capsys):
    with freeze_time(timezone.now() + timedelta(minutes=11)):
        call_command("enquiry_mail")
    out = capsys.readouterr().out
    assert f"{stored.reference}  acknowledgement" in out and "stuck" in out
    assert "2 mail(s) not sent. Queue them again with --resend-stuck." in out
    assert_no_address(out)


def test_a_notice_with_no_operator_to_tell_fails_and_says_what_to_do(stored, smtp_server, settings):
    """A notice to nobody is not "sent": it fails at once, with a reason an operator can act on,
    and goes out once someone has an address and sends it again."""
    from django.contrib.auth import get_user_model

    from privet.panel.roles import OPERATOR
    from privet.panel.services import assign_role

    settings.PRIVET_OPERATOR_EMAILS = []
    operator = get_user_model().objects.create_user("olga")  # works enquiries, but no address
    assign_role(user=operator, role=OPERATOR, actor="test")
    inbox = smtp_server()
    assert send_enquiry_mail.call(stored.pk, "operators") == "not_sent"
    mail = mail_of(stored, "operators")
    assert (mail.state, mail.attempts, mail.error) == (MailState.FAILED, 1, "NoOperatorAddress")
    with translation.override("en"):  # a page in Polish earlier in the thread leaves it active
        assert mail.failure_explained().startswith("No operator has an email address: add one")
    assert list(mail_needing_attention()) == [mail]
    assert not AuditEvent.objects.filter(action="enquiry.mail_sent").exists()
    assert json.loads(AuditEvent.objects.get(action="enquiry.mail_not_sent").details) == {
        "mail": "operators", "error": "NoOperatorAddress", "attempts": 1}
    assert inbox.messages == []

    operator.email = "olga@studio.test"
    operator.save()
    services.send_mail_again(enquiry=stored, kind="operators", actor=operator)
    assert send_enquiry_mail.call(stored.pk, "operators") == "sent"
    [(_from, rcpts, _raw)] = inbox.messages
    assert rcpts == ["olga@studio.test"]
    assert json.loads(AuditEvent.objects.get(action="enquiry.mail_sent").details)["recipients"] == 1
