"""Mail about enquiries: the acknowledgement to the person and the notice to operators.

Both are queued after the enquiry's transaction commits (``transaction.on_commit`` in
:mod:`.services`) and sent by the task worker (:mod:`.tasks`), which retries a mail server that
is down; the enquiry itself is stored whatever happens to its mail.

Operators are told *that* an enquiry arrived, with its number, project type and a link to the
panel, never its content or the sender's contact details: operator inboxes (and the mail
provider in between) are outside the reach of the retention engine and of erasure requests,
so copies of personal data there would outlive what the policy promises.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from privet.core import mail as mail_transport

from .errors import NoOperatorAddress
from .models import Enquiry
from .notice import collection_notice


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def operator_recipients() -> list[str]:
    """``PRIVET_OPERATOR_EMAILS`` if set, else every active user whose role works enquiries."""
    configured = getattr(settings, "PRIVET_OPERATOR_EMAILS", None)
    if configured:
        return list(configured)
    can_work = Q(groups__permissions__codename="work_enquiries",
                 groups__permissions__content_type__app_label="panel") | Q(is_superuser=True)
    users = get_user_model().objects.filter(can_work, is_active=True).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def panel_url(enquiry: Enquiry) -> str:
    """The enquiry's page in the operator panel (the panel's list if it has no detail page)."""
    for name, kwargs in (("panel:enquiry_detail", {"pk": enquiry.pk}), ("panel:enquiries", {}),
                         ("panel:dashboard", {})):
        try:
            with translation.override(settings.LANGUAGE_CODE):
                return absolute(reverse(name, kwargs=kwargs))
        except NoReverseMatch:
            continue
    return absolute("/panel/")


def _send(*, subject: str, template: str, context: dict, to: list[str], message_id: str | None,
          connection: BaseEmailBackend | None) -> None:
    text = render_to_string(f"enquiries/mail/{template}.txt", context)
    html = render_to_string(f"enquiries/mail/{template}.html", context)
    # The outbox row's own Message-ID, the same at every attempt: a receiving system that drops
    # duplicates by Message-ID shows a mail that was sent twice once.
    headers = {"Message-ID": message_id} if message_id else None
    message = EmailMultiAlternatives(subject=subject, body=text, to=to, headers=headers,
                                     connection=connection)
    message.attach_alternative(html, "text/html")
    mail_transport.send(message)  # the hand-over recorded just before the end (privet.core.mail)


def acknowledgement_context(enquiry: Enquiry) -> dict:
    with translation.override(enquiry.language):
        return {
            "enquiry": enquiry,
            "notice": collection_notice(enquiry.language),
            "policy_url": absolute(reverse("policy:page")),
            "contact_url": absolute(reverse("enquiries:contact")),
            "lang": enquiry.language,
        }


def send_acknowledgement(enquiry_id: int, *, message_id: str | None = None,
                         connection: BaseEmailBackend | None = None) -> int:
    """Tell the person we have their enquiry, in the language of the page they used; returns
    how many recipients the mail went to (0 when the enquiry is gone).

    Nothing they typed is echoed (name, message): the form must not be a way to send arbitrary
    text to someone else's address.
    """
    enquiry = Enquiry.objects.filter(pk=enquiry_id).first()
    if enquiry is None:
        return 0
    context = acknowledgement_context(enquiry)
    with translation.override(enquiry.language):
        subject = translation.gettext("We have received your enquiry %(ref)s") % {
            "ref": enquiry.reference
        }
        _send(subject=subject, template="acknowledgement", context=context, to=[enquiry.email],
              message_id=message_id, connection=connection)
    return 1


def notify_operators(enquiry_id: int, *, message_id: str | None = None,
                     connection: BaseEmailBackend | None = None) -> int:
    """Tell operators an enquiry arrived: number, project type, channel and a link, no content.
    Returns how many operators it went to (0: the enquiry is gone). Raises
    :class:`~.errors.NoOperatorAddress` when there is nobody to tell: a mail to nobody is not
    sent, and the panel must say so."""
    enquiry = Enquiry.objects.filter(pk=enquiry_id).first()
    if enquiry is None:
        return 0
    recipients = operator_recipients()
    if not recipients:
        raise NoOperatorAddress("No operator has an email address and PRIVET_OPERATOR_EMAILS is empty.")
    with translation.override(settings.LANGUAGE_CODE):
        subject = translation.gettext("New enquiry %(ref)s: %(type)s") % {
            "ref": enquiry.reference, "type": enquiry.get_project_type_display(),
        }
        context = {"enquiry": enquiry, "panel_url": panel_url(enquiry)}
        _send(subject=subject, template="operator_notice", context=context, to=recipients,
              message_id=message_id, connection=connection)
    return len(recipients)
