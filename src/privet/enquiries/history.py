"""How an enquiry's history reads: the audit events this app writes, in words.

The audit log keeps stable codes (``enquiry.mail_sent``, ``{"mail": "operators"}``) because it
is evidence and is hashed as written. An operator reading one enquiry's history gets the same
facts as sentences in the panel's language; an action or a detail this module does not know is
shown as its code, so nothing recorded is ever hidden. Who wrote an event (``system:worker``,
``user:7``) is worded by the audit log's own vocabulary, :mod:`privet.audit.actors`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import MAIL_ERRORS_EXPLAINED, Channel, Enquiry, MailKind, ProjectType, Status

# What each of this app's audit actions means; "%(mail)s" is the mail's kind, in words.
ACTION_TITLES = {
    "enquiry.received": _("Received through the contact form"),
    "enquiry.logged": _("Logged in the panel"),
    "enquiry.status_changed": _("Status changed"),
    "enquiry.note_added": _("Note added"),
    "enquiry.mail_sent": _("Mail sent: %(mail)s"),
    "enquiry.mail_not_sent": _("Mail not sent: %(mail)s"),
    "enquiry.mail_requeued": _("Mail queued again: %(mail)s"),
    "enquiry.mail_uncertain": _("Mail may have been sent: %(mail)s"),
    "enquiry.rectified": _("Contact details corrected at the person's request"),
    "enquiry.restricted": _("Processing restricted at the person's request (GDPR Art. 18)"),
    "enquiry.restriction_lifted": _("Restriction of processing lifted"),
    "enquiry.objected": _("The person objected to processing (GDPR Art. 21)"),
    "enquiry.erased": _("Erased at the person's request"),
    "enquiry.expired": _("Deleted when its retention period ended"),
}

# Details that add nothing an operator can use: the client's pseudonym, which mail (the title
# says it), the note's row id.
HIDDEN_DETAILS = {"client", "mail", "note"}
LANGUAGES = {"en": "English", "pl": "Polski"}  # each in its own name, as the forms show them
MAIL_WAS = {"failed": _("not sent"), "stuck": _("stuck in the queue"),
            "uncertain": _("may have been sent")}


def _label(choices: type, value: Any) -> str:
    return str(choices(value).label) if value in choices.values else str(value)


def event_title(action: str, details: dict[str, Any]) -> str:
    """What happened, e.g. "Mail sent: Notice to operators"; the code for an unknown action."""
    title = ACTION_TITLES.get(action)
    if title is None:
        return action
    return str(title) % {"mail": _label(MailKind, details.get("mail"))}


def _field_names(fields: Iterable[str]) -> str:
    names = []
    for name in fields:
        try:
            names.append(str(Enquiry._meta.get_field(name).verbose_name))
        except FieldDoesNotExist:  # a field since removed: its name
            names.append(str(name))
    return ", ".join(names)


def event_details(details: dict[str, Any]) -> list[tuple[str, str]]:
    """An event's details as ``(label, value)`` pairs a person can read."""
    readable: list[tuple[str, str]] = []
    for key, value in details.items():
        if key in HIDDEN_DETAILS:
            continue
        if key == "channel":
            readable.append((gettext("Received by"), _label(Channel, value)))
        elif key == "project_type":
            readable.append((gettext("Project type"), _label(ProjectType, value)))
        elif key == "language":
            readable.append((gettext("Language"), LANGUAGES.get(value, str(value))))
        elif key == "status":
            readable.append((gettext("Status"), _label(Status, value)))
        elif key == "recipients":
            readable.append((gettext("Recipients"), str(value)))
        elif key == "attempts":
            readable.append((gettext("Attempts"), str(value)))
        elif key == "error":
            explained = MAIL_ERRORS_EXPLAINED.get(value)
            readable.append((gettext("Reason"), str(explained)) if explained
                            else (gettext("Error"), str(value)))
        elif key == "was":
            readable.append((gettext("Before"), str(MAIL_WAS.get(value, value))))
        elif key == "request_ref":
            readable.append((gettext("Rights request"), str(value)))
        elif key == "run_ref":
            readable.append((gettext("Retention run"), str(value)))
        elif key == "fields":
            readable.append((gettext("Fields"), _field_names(value)))
        else:
            readable.append((str(key), str(value)))
    return readable
