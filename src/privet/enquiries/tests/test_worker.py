"""The real path of an enquiry's mail: the form's request, the database task queue, the worker
(`db_worker --batch`), a real SMTP server. Only these tests swap the test settings' immediate
backend for the database one."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from privet.enquiries.models import Enquiry, MailState

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def db_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.PRIVET_OPERATOR_EMAILS = ["team@studio.test"]


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=1)


def test_the_worker_sends_both_mails_of_an_enquiry(client, published, pow_payload, valid_data,
                                                  db_tasks, smtp_server):
    inbox = smtp_server()
    response = client.post("/contact/", {**valid_data, "altcha": pow_payload()})
    assert response.status_code == 302
    enquiry = Enquiry.objects.get()
    # Stored and queued, not yet sent: the request does not wait for the mail server.
    assert inbox.messages == []
    assert DBTaskResult.objects.filter(status="READY").count() == 2
    run_worker()
    assert sorted(r for _f, rcpts, _raw in inbox.messages for r in rcpts) == [
        "anna@example.com", "team@studio.test"]
    assert set(enquiry.mail.values_list("state", flat=True)) == {MailState.SENT}
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


def test_a_refused_recipient_fails_the_task_once_and_nothing_stored_names_the_address(
        client, published, pow_payload, valid_data, db_tasks, smtp_server, caplog, capfd):
    smtp_server("550 5.1.1 <{address}>: Recipient address rejected: User unknown", None)
    assert client.post("/contact/", {**valid_data, "altcha": pow_payload()}).status_code == 302
    run_worker()
    enquiry = Enquiry.objects.get()
    states = dict(enquiry.mail.values_list("kind", "state"))
    assert states == {"acknowledgement": MailState.FAILED, "operators": MailState.SENT}
    failed = DBTaskResult.objects.get(status="FAILED")
    assert failed.exception_class_path == "privet.enquiries.tasks.MailNotSent"
    out, err = capfd.readouterr()
    for text in (failed.traceback, caplog.text, out, err):
        assert "anna@example.com" not in text
    assert "SMTPRecipientsRefused" in failed.traceback


def test_a_notice_with_no_operator_address_is_one_clear_log_line_not_a_traceback(
        client, published, pow_payload, valid_data, settings, smtp_server, caplog, capfd):
    """The demo's first enquiry used to print a traceback: nobody to tell is a setting to fix,
    said in one line, and the panel keeps the notice to send again."""
    import logging

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.PRIVET_OPERATOR_EMAILS = []
    inbox = smtp_server()
    assert client.post("/contact/", {**valid_data, "altcha": pow_payload()}).status_code == 302
    with caplog.at_level(logging.INFO):
        run_worker()
    enquiry = Enquiry.objects.get()
    states = dict(enquiry.mail.values_list("kind", "state"))
    assert states == {"acknowledgement": MailState.SENT, "operators": MailState.FAILED}
    assert len(inbox.messages) == 1
    out, err = capfd.readouterr()
    for text in (caplog.text, out, err):
        assert "Traceback" not in text
        assert "anna@example.com" not in text
    lines = [r.getMessage() for r in caplog.records if "operator" in r.getMessage().lower()]
    assert lines == [f"enquiries: the operators' notice of enquiry {enquiry.pk} was not sent: no "
                     "operator has an email address. Set PRIVET_OPERATOR_EMAILS or give an "
                     "operator's account an address, then press \"Send again\" on the enquiry in "
                     "the panel."]
    assert not caplog.records or max(r.levelno for r in caplog.records) <= logging.WARNING
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
