"""A mail the worker handed to the mail server without hearing back: the panel says it may have
been sent (in English and Polish), the bulk resend leaves it to an operator, and "Send again"
sends it with the same Message-ID."""

from __future__ import annotations

import pytest
from django.core import mail as outbox_mail
from django.core.management import call_command

from privet.enquiries import outbox
from privet.enquiries.models import MailState, OutgoingMail
from privet.enquiries.services import submit_enquiry

pytestmark = pytest.mark.django_db

DATA = {"name": "Jan Kowalski", "email": "jan@example.com", "project_type": "website",
        "message": "We need a new website with online orders."}


def handed_and_left(enquiry) -> OutgoingMail:
    """What a worker killed between handing the acknowledgement over and the server's answer
    leaves: the row claimed, the hand-over recorded; the next run marks it uncertain."""
    mail = enquiry.mail.get(kind="acknowledgement")
    OutgoingMail.objects.filter(pk=mail.pk).update(state=MailState.PENDING, finished_at=None)
    claimed = outbox.claim_mail(enquiry_id=enquiry.pk, kind="acknowledgement", holder="killed")
    outbox.note_mail_attempt(mail=claimed)
    outbox.mark_handed(mail=claimed)
    from privet.enquiries.tasks import send_enquiry_mail

    assert send_enquiry_mail.call(enquiry.pk, "acknowledgement") == "skipped"  # "killed" may be alive
    OutgoingMail.objects.filter(pk=mail.pk).update(sending_since=None, claimed_by="")
    assert send_enquiry_mail.call(enquiry.pk, "acknowledgement") == "uncertain"
    return OutgoingMail.objects.get(pk=mail.pk)


def test_an_uncertain_mail_is_shown_left_to_an_operator_and_sent_again_with_its_message_id(
        published, operator_client, settings, capsys, django_capture_on_commit_callbacks):
    settings.PRIVET_OPERATOR_EMAILS = ["team@studio.test"]
    enquiry = submit_enquiry(data=DATA, client_ref="test", language="en")
    mail = handed_and_left(enquiry)
    assert mail.state == MailState.UNCERTAIN
    outbox_mail.outbox.clear()

    detail = operator_client.get(f"/panel/enquiries/{enquiry.pk}/").content.decode()
    assert "Acknowledgement to the sender: may have been sent" in detail
    assert "same Message-ID" in detail
    assert "may have been sent" in operator_client.get("/panel/").content.decode()
    polish = operator_client.get(f"/pl/panel/enquiries/{enquiry.pk}/").content.decode()
    assert "mogła zostać wysłana" in polish

    call_command("enquiry_mail", "--resend-stuck")  # not the uncertain one
    assert OutgoingMail.objects.get(pk=mail.pk).state == MailState.UNCERTAIN and not outbox_mail.outbox
    assert f"{enquiry.reference}  acknowledgement  uncertain" in capsys.readouterr().out

    with django_capture_on_commit_callbacks(execute=True):
        operator_client.post(f"/panel/enquiries/{enquiry.pk}/mail/acknowledgement/")
    assert OutgoingMail.objects.get(pk=mail.pk).state == MailState.SENT
    [sent] = outbox_mail.outbox
    assert sent.extra_headers["Message-ID"] == mail.message_id and sent.to == ["jan@example.com"]
