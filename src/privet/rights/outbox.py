"""Sending a rights request's mail (first cut: claim, send, mark; the intake work replaces it
with the enquiries outbox's exactly-once machinery)."""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone, translation

from privet.enquiries.notifications import absolute

from .models import MailKind, RightsMail


def send(mail_id: int) -> str:
    mail = RightsMail.objects.select_related("request").filter(pk=mail_id, state="pending").first()
    if mail is None:
        return "skipped"
    request = mail.request
    with translation.override(request.language):
        body = f"{request.reference}: {MailKind(mail.kind).label}"
        if mail.kind == MailKind.VERIFICATION:
            from .services import issue_verification_token

            token = issue_verification_token(request)
            body += "\n" + absolute(reverse("rights:verify") + f"?t={token}")
        EmailMessage(subject=str(MailKind(mail.kind).label), body=body, to=[request.email],
                     headers={"Message-ID": mail.message_id}).send()
    RightsMail.objects.filter(pk=mail.pk).update(state="sent", finished_at=timezone.now(),
                                                 attempts=1)
    return "sent"
