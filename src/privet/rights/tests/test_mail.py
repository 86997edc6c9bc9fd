"""Every mail of a rights request, as a real SMTP server receives it, in English and Polish:
what it tells, and that nothing the person typed is echoed."""

from __future__ import annotations

import email
from email.policy import default as default_policy

import pytest
from django.db import transaction

from privet.core.models import MailState
from privet.rights import services
from privet.rights.models import MailKind, RightsMail, RightsRequest

pytestmark = pytest.mark.django_db

SECRET_DETAILS = "my neighbour's name is Zbigniew"
RESULT = {"sources": {"enquiries": {"records": 2, "erased": 1, "changed": 1,
                                    "kept": [{"records": 1, "reason": "accounting duty",
                                              "rules": []}]}},
          "recipients_notified": ["hosting"],
          "controller": {"client": "Acme Shop", "decision": "", "note": ""}}


def send(kind: str, request: RightsRequest, capture) -> RightsMail:
    with capture(execute=True), transaction.atomic():
        return services.queue_mail(request, kind)


@pytest.mark.parametrize("lang", ["en", "pl"])
@pytest.mark.parametrize("kind", MailKind.values)
def test_each_mail_is_sent_once_in_the_requests_language_without_what_the_person_typed(
        published, smtp_server, django_capture_on_commit_callbacks, settings, kind, lang):
    settings.PRIVET_OPERATOR_EMAILS = ["ops@example.com"]
    inbox = smtp_server()
    request = services.submit_request(right="rectification", email="anna@example.com",
                                      details=SECRET_DETAILS, language=lang)
    RightsRequest.objects.filter(pk=request.pk).update(
        result=RESULT, proof_asked="a scan of an invoice", extension_reason="many systems",
        outcome="a reason", refusal_ground="excessive")
    request.refresh_from_db()
    mail = send(kind, request, django_capture_on_commit_callbacks)
    mail.refresh_from_db()
    assert mail.state == MailState.SENT
    [(_from, to, raw)] = inbox.messages
    message = email.message_from_bytes(raw, policy=default_policy)
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert message["Message-ID"] == mail.message_id
    assert SECRET_DETAILS not in text and request.reference in message["Subject"]
    if kind == MailKind.REMINDER:
        assert to == ["ops@example.com"] and "anna@example.com" not in text
        assert "/panel/" in text
        return
    assert to == ["anna@example.com"]
    assert ("Dzień dobry" if lang == "pl" else "Hello,") in text
    expected = {
        MailKind.PROOF_ASKED: "a scan of an invoice",
        MailKind.EXTENDED: "many systems",
        MailKind.REFUSED: "Prezes Urzędu Ochrony Danych Osobowych" if lang == "pl" else
        "President of the Personal Data Protection Office",
        MailKind.ROUTED: "Acme Shop",
        MailKind.COMPLETED: "accounting duty",
    }.get(kind)
    if expected:
        assert expected in text


def test_a_mail_handed_over_by_a_worker_that_died_is_uncertain_and_never_sent_twice(
        published, smtp_server):
    from privet.rights import outbox
    from privet.rights.tasks import send_rights_mail

    inbox = smtp_server()
    request = services.submit_request(right="access", email="anna@example.com")
    mail = RightsMail.objects.get(request=request)
    claimed = outbox.claim_mail(mail_id=mail.pk, holder="killed")
    outbox.OUTBOX.note_attempt(mail=claimed)
    outbox.OUTBOX.mark_handed(mail=claimed)
    RightsMail.objects.filter(pk=mail.pk).update(sending_since=None, claimed_by="")
    assert send_rights_mail.call(mail.pk) == "uncertain"
    assert RightsMail.objects.get(pk=mail.pk).state == MailState.UNCERTAIN
    assert inbox.messages == []
    assert send_rights_mail.call(mail.pk) == "skipped"
