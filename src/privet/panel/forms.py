from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privet.audit.actions import action_label
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


class RecoveryCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Recovery code"), max_length=40, strip=True,
        widget=forms.TextInput(attrs={
            "autocomplete": "off", "autocapitalize": "none", "autofocus": True,
            "spellcheck": "false", "class": "code-input",
        }),
    )

    def clean_code(self) -> str:
        from .services import RECOVERY_CODE_LENGTH, normalise_recovery_code

        code = normalise_recovery_code(self.cleaned_data["code"])
        if len(code) != RECOVERY_CODE_LENGTH or not code.isalnum():
            raise forms.ValidationError(_(
                "Enter one of your recovery codes as it was shown, e.g. abcde-fghij."))
        return code


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


# The earliest day a period may start: nothing Privet records is older, and a year like 0001
# is a typing slip that some databases cannot even store.
EARLIEST_DAY = date(2000, 1, 1)


def _day_field(label: str, *, required: bool) -> forms.DateField:
    return forms.DateField(
        label=label, required=required, input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date", "min": EARLIEST_DAY.isoformat()},
                               format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date like 2025-06-30."),
                        "required": _("Enter the day.")},
    )


class PeriodForm(AriaFormMixin, forms.Form):
    """A period of whole local days, ``start`` to ``end`` included (GET filters and exports).

    Each day lies between :data:`EARLIEST_DAY` and today, and the end is not before the start;
    each error is shown beside its field. :meth:`bounds` gives the aware datetimes a query needs.
    """

    days_required = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start"] = _day_field(_("From"), required=self.days_required)
        self.fields["end"] = _day_field(_("To"), required=self.days_required)
        today = timezone.localdate().isoformat()
        for name in ("start", "end"):
            self.fields[name].widget.attrs["max"] = today
        self.order_fields(["start", "end"])

    def _clean_day(self, name: str) -> date | None:
        day = self.cleaned_data.get(name)
        if day and day < EARLIEST_DAY:
            raise forms.ValidationError(
                _("Enter a day from %(day)s on.") % {"day": EARLIEST_DAY.isoformat()}, code="too_early")
        if day and day > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."), code="future")
        return day

    def clean_start(self) -> date | None:
        return self._clean_day("start")

    def clean_end(self) -> date | None:
        return self._clean_day("end")

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", forms.ValidationError(
                _("The period cannot end before it starts."), code="reversed"))
        return data

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """The period as ``(since, until)``: local midnight of the first day, and of the day
        after the last (exclusive); ``None`` for an open side."""
        start, end = self.cleaned_data.get("start"), self.cleaned_data.get("end")
        tz = timezone.get_current_timezone()
        since = timezone.make_aware(datetime.combine(start, time.min), tz) if start else None
        until = (timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz)
                 if end else None)
        return since, until


class AuditFilterForm(PeriodForm):
    """The audit log's filters: a period, who, and what; ``actors`` are ``(code, name)`` pairs
    and ``actions`` the codes in the log, so an old link with a value no longer there is an
    error beside its field rather than a silently empty page."""

    actor = forms.ChoiceField(label=_("Actor"), required=False)
    action = forms.ChoiceField(label=_("Action"), required=False)

    def __init__(self, *args, actors: list[tuple[str, str]], actions: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].choices = [("", _("Anyone")), *actors]
        self.fields["action"].choices = [("", _("All actions")),
                                          *((a, action_label(a)) for a in actions)]

    def filters(self) -> dict[str, str]:
        """The filters in use (a valid form), as the query string and the export's audit event
        name them: ``{"start": "2026-11-01", "action": "enquiry.received"}``."""
        return {name: value.isoformat() if isinstance(value, date) else value
                for name, value in self.cleaned_data.items() if value}


class ReceiptExportForm(PeriodForm):
    """The period of the consent receipts' CSV export: both days required."""

    days_required = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["start"].initial = today.replace(day=1)
        self.fields["end"].initial = today
