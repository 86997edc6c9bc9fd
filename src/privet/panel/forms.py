from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privet.core.dates import EARLIEST_DATE, OperatorDateField, OperatorDateTimeField
from privet.core.forms import AriaFormMixin


class TotpForm(forms.Form):
    token = forms.CharField(
        label=_("Six-digit code from your authenticator app"),
        min_length=6, max_length=8, strip=True,
        widget=forms.TextInput(attrs={
            "autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*",
            "autofocus": True, "spellcheck": "false", "class": "code-input",
        }),
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].replace(" ", "")
        if not token.isdigit() or len(token) != 6:
            raise forms.ValidationError(_("Enter the six digits your authenticator app shows."))
        return token


# The list's filter for enquiries with mail an operator should send again (the dashboard links it).
MAIL_NOT_SENT = "unsent"


class EnquiryFilterForm(forms.Form):
    """The list's search box and filters (GET)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200, widget=forms.TextInput(
        attrs={"type": "search", "placeholder": _("Name, email, company, message or E-000042")}))
    status = forms.ChoiceField(label=_("Status"), required=False)
    project_type = forms.ChoiceField(label=_("Project type"), required=False)
    mail = forms.ChoiceField(label=_("Mail"), required=False, choices=[
        ("", _("Any")), (MAIL_NOT_SENT, _("Mail not sent")),
    ])

    def __init__(self, *args, **kwargs):
        from privet.enquiries.models import ProjectType, Status
        from privet.enquiries.selectors import OPEN

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("", _("Any status")), (OPEN, _("Open (new or offer sent)")), *Status.choices,
        ]
        self.fields["project_type"].choices = [("", _("Any type")), *ProjectType.choices]


class StatusChangeForm(AriaFormMixin, forms.Form):
    """The status change: the new status (the button pressed), a reason, and the day it took
    effect (a contract signed last week); the lifecycle's own checks stay in the service."""

    to_status = forms.CharField(max_length=20)
    reason = forms.CharField(label=_("Reason or comment (optional)"), required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}))
    effective_date = OperatorDateField(
        label=_("Effective date"), required=False,
        help_text=_("The day it happened, e.g. when the contract was signed. Empty: today."),
    )

    def __init__(self, *args, earliest: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["effective_date"].initial = today
        attrs = self.fields["effective_date"].widget.attrs
        attrs["max"] = today.isoformat()
        if earliest:
            attrs["min"] = max(earliest, EARLIEST_DATE).isoformat()

    def effective_at(self) -> date | None:
        """When the change took effect, for ``change_status(at=...)``: ``None`` (now, with its
        real time) for today or no date, else the day, shown without a time."""
        day = self.cleaned_data.get("effective_date")
        if day is None or day >= timezone.localdate():
            return None
        return day


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 3}))
    contact = forms.BooleanField(label=_("This note records a contact with the person (call, email)"),
                                 required=False)


def log_enquiry_form_class() -> type[forms.Form]:
    """The public form's six fields (the enquiries app's form) plus how and when it came in."""
    from django.utils.translation import get_language

    from privet.enquiries.forms import EnquiryFieldsForm
    from privet.enquiries.models import Channel

    class LogEnquiryForm(EnquiryFieldsForm):
        channel = forms.ChoiceField(
            label=_("Received by"),
            choices=[c for c in Channel.choices if c[0] != Channel.FORM], initial=Channel.EMAIL,
        )
        language = forms.ChoiceField(
            label=_("Language of the enquiry"),
            # Each language in its own name, as a language switcher shows them.
            choices=[("en", "English"), ("pl", "Polski")],
            help_text=_("The language the person wrote in; later mail to them uses it."),
        )
        received_at = OperatorDateTimeField(
            label=_("Received at"), required=False,
            help_text=_("Leave empty for the current date and time."),
            error_messages={"future": _("An enquiry cannot be received in the future.")},
        )

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            # The public form speaks to the visitor ("Your name"); the panel to the operator.
            for name, label in OPERATOR_LABELS.items():
                self.fields[name].label = label
            # The panel marks optional fields in their label; no "Optional" hint besides.
            for name in ("company", "phone"):
                self.fields[name].help_text = ""
            self.fields["message"].help_text = _("Paste the message as the person wrote it.")
            self.fields["received_at"].widget.attrs["max"] = (
                timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
            self.fields["language"].initial = "pl" if get_language() == "pl" else "en"

        def aria_fields(self) -> set[str] | None:
            return None  # every field, the operator's extras too

    return LogEnquiryForm


OPERATOR_LABELS = {
    "name": _("Name"), "company": _("Company"), "email": _("Email"), "phone": _("Phone"),
    "project_type": _("Project type"), "message": _("Message"),
}
