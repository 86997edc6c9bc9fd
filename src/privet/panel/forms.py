from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


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


class EnquiryFilterForm(forms.Form):
    """The list's search box and filters (GET)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200, widget=forms.TextInput(
        attrs={"type": "search", "placeholder": _("Name, email, company, message or E-000042")}))
    status = forms.ChoiceField(label=_("Status"), required=False)
    project_type = forms.ChoiceField(label=_("Project type"), required=False)

    def __init__(self, *args, **kwargs):
        from privet.enquiries.models import ProjectType, Status

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Any status")), *Status.choices]
        self.fields["project_type"].choices = [("", _("Any type")), *ProjectType.choices]


class StatusChangeForm(forms.Form):
    to_status = forms.CharField(max_length=20)
    reason = forms.CharField(label=_("Reason or comment (optional)"), required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 3}))
    contact = forms.BooleanField(label=_("This note records a contact with the person (call, email)"),
                                 required=False)


def log_enquiry_form_class() -> type[forms.Form]:
    """The public form's six fields (the enquiries app's form) plus how and when it came in."""
    from privet.enquiries.forms import EnquiryFieldsForm
    from privet.enquiries.models import Channel

    class LogEnquiryForm(EnquiryFieldsForm):
        channel = forms.ChoiceField(
            label=_("Received by"),
            choices=[c for c in Channel.choices if c[0] != Channel.FORM], initial=Channel.EMAIL,
        )
        received_at = forms.DateTimeField(
            label=_("Received at"), required=False,
            help_text=_("Leave empty for now. Format: 2025-06-30 14:05"),
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        )

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            # The public form speaks to the visitor ("Your name"); the panel to the operator.
            for name, label in OPERATOR_LABELS.items():
                self.fields[name].label = label
            self.fields["message"].help_text = _("Paste the message as the person wrote it.")
            self.fields["received_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]

    return LogEnquiryForm


OPERATOR_LABELS = {
    "name": _("Name"), "company": _("Company"), "email": _("Email"), "phone": _("Phone"),
    "project_type": _("Project type"), "message": _("Message"),
}
