"""The mail server is down when the worker runs: the operator sees the mail in the panel, sends
it again, and the worker delivers it once the server is back. Real database task queue, real
worker, real SMTP server; only these tests use the database backend instead of the immediate one."""

from __future__ import annotations

import pytest
import stamina
from django.core.management import call_command
from django.test import Client

from privet.audit.models import AuditEvent
from privet.enquiries.models import Enquiry, MailState
from privet.enquiries.tasks import MAIL_ATTEMPTS
from privet.enquiries.tests.conftest import smtp_down, smtp_server  # noqa: F401 (fixtures)

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

DATA = {
    "name": "Jan Kowalski", "company": "", "email": "jan@example.com", "phone": "",
    "project_type": "website", "message": "We need a new website with online orders.",
}


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=1)


def test_mail_the_worker_could_not_send_is_shown_sent_again_and_delivered(
        published, make_operator, settings, smtp_down, smtp_server):  # noqa: F811
    from privet.enquiries.services import submit_enquiry

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.PRIVET_OPERATOR_EMAILS = ["team@studio.test"]
    enquiry = submit_enquiry(data=DATA, client_ref="test", language="en")
    with stamina.set_testing(True, attempts=MAIL_ATTEMPTS):  # the retries, without the waiting
        run_worker()
    assert set(enquiry.mail.values_list("state", flat=True)) == {MailState.FAILED}

    operator = sign_in(Client(), make_operator("olga"))
    dashboard = operator.get("/panel/").content.decode()
    assert "Mail not sent" in dashboard and enquiry.reference in dashboard
    assert operator.get("/panel/").context["unsent_total"] == 2
    listed = operator.get("/panel/enquiries/", {"mail": "unsent"}).content.decode()
    assert enquiry.reference in listed
    detail = operator.get(f"/panel/enquiries/{enquiry.pk}/").content.decode()
    assert "Acknowledgement to the sender: not sent" in detail and "ConnectionRefusedError" in detail

    url = f"/panel/enquiries/{enquiry.pk}/mail/acknowledgement/"
    page = operator.post(url, follow=True).content.decode()
    assert "queued again" in page and "Acknowledgement to the sender: not sent" not in page
    assert AuditEvent.objects.filter(action="enquiry.mail_requeued", object_id=str(enquiry.pk),
                                     actor=f"user:{operator.session['_auth_user_id']}").exists()
    # A second click (another operator was quicker) and a made-up kind change nothing.
    assert "Nothing was queued" in operator.post(url, follow=True).content.decode()
    assert operator.post(f"/panel/enquiries/{enquiry.pk}/mail/spam/").status_code == 404
    assert operator.get(url).status_code == 405

    inbox = smtp_server(port=smtp_down)  # the mail server is back, where it was
    run_worker()
    [(_from, rcpts, _raw)] = inbox.messages
    assert rcpts == ["jan@example.com"]
    states = dict(Enquiry.objects.get().mail.values_list("kind", "state"))
    assert states == {"acknowledgement": MailState.SENT, "operators": MailState.FAILED}
    assert operator.get("/panel/").context["unsent_total"] == 1
