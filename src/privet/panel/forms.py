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


class SecurityEventFilterForm(AriaFormMixin, forms.Form):
    """The security events' filters (GET): a kind, a local day, a pseudonym (as the page shows
    it, 32 hexadecimal characters; a click on one fills it in)."""

    kind = forms.ChoiceField(label=_("Kind"), required=False)
    day = _day_field(_("Day"), required=False)
    pseudonym = forms.RegexField(
        label=_("Pseudonym"), required=False, regex=r"^[0-9a-f]{32}$", strip=True,
        error_messages={"invalid": _("A pseudonym is 32 characters, 0-9 and a-f, as the list "
                                     "shows it.")},
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off",
                                      "translate": "no"}),
    )

    def __init__(self, *args, **kwargs):
        from privet.telemetry.models import SECURITY_KINDS

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All kinds")), *SECURITY_KINDS.items()]
        self.fields["day"].widget.attrs["max"] = timezone.localdate().isoformat()

    def clean_pseudonym(self) -> str:
        return self.cleaned_data["pseudonym"].lower()

    def filters(self) -> dict[str, str]:
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


# --- Rights requests ---------------------------------------------------------------------------

# The rights list's status filter: open (the default, the empty value), closed, or any.
RIGHTS_OPEN = ""
RIGHTS_CLOSED = "closed"
RIGHTS_ANY = "all"


class RightsFilterForm(forms.Form):
    """The rights list's filters (GET); a value that is not a choice is left out and said."""

    status = forms.ChoiceField(label=_("Status"), required=False)
    right = forms.ChoiceField(label=_("Right"), required=False)
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    soon = forms.BooleanField(label=_("Due within 7 days"), required=False)

    def __init__(self, *args, **kwargs):
        from privet.rights.models import Right, Status

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            (RIGHTS_OPEN, _("Open")), (RIGHTS_CLOSED, _("Closed")), (RIGHTS_ANY, _("Any status")),
            *Status.choices,
        ]
        self.fields["right"].choices = [("", _("Any right")), *Right.choices]


def _rights_operators():
    """Active users whose role works rights requests (the assign form's choices; one query)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    perm = Q(groups__permissions__codename="work_rights",
             groups__permissions__content_type__app_label="panel")
    return (get_user_model().objects.filter(is_active=True).filter(perm | Q(is_superuser=True))
            .distinct().order_by("username"))


class AssignForm(AriaFormMixin, forms.Form):
    operator = forms.ModelChoiceField(label=_("Assign to"), queryset=None, required=False,
                                      empty_label=_("Nobody"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operator"].queryset = _rights_operators()
        self.fields["operator"].label_from_instance = lambda user: user.get_username()


class ExtendForm(AriaFormMixin, forms.Form):
    months = forms.TypedChoiceField(label=_("Extend by"), coerce=int,
                                    choices=[(1, _("1 month")), (2, _("2 months"))])
    reason = forms.CharField(label=_("Reason (the person is told it)"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class AskProofForm(AriaFormMixin, forms.Form):
    what = forms.CharField(label=_("What proof is needed (the person is told it)"),
                           max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ProofReceivedForm(AriaFormMixin, forms.Form):
    note = forms.CharField(label=_("What was received and how it was checked"),
                           max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class RefuseForm(AriaFormMixin, forms.Form):
    ground = forms.ChoiceField(label=_("Ground"))
    reason = forms.CharField(label=_("Reason (the person is told it)"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        from privet.rights.models import RefusalGround

        super().__init__(*args, **kwargs)
        self.fields["ground"].choices = RefusalGround.choices


class WithdrawForm(AriaFormMixin, forms.Form):
    reason = forms.CharField(label=_("How the person withdrew it (optional)"), required=False,
                             max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class PauseForm(AriaFormMixin, forms.Form):
    reason = forms.CharField(label=_("Why processing is paused"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class EmptyForm(AriaFormMixin, forms.Form):
    """An action with nothing to type (reprocess, carry out an erasure): errors only."""


# Each correctable person attribute (registry.ATTRIBUTES) in words.
ATTRIBUTE_LABELS = {
    "name": _("Name"), "email": _("Email"), "phone": _("Phone"), "company": _("Company"),
    "postal_address": _("Postal address"), "language": _("Language"),
}


class RectifyForm(AriaFormMixin, forms.Form):
    """A rectification's corrections: one optional field per attribute a store holds, at least
    one filled in (``change_<attribute>``)."""

    def __init__(self, *args, attributes: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        for attribute in attributes:
            self.fields[f"change_{attribute}"] = forms.CharField(
                label=ATTRIBUTE_LABELS.get(attribute, attribute), required=False, max_length=254)

    def clean(self) -> dict:
        data = super().clean()
        if self.fields and not any(v for k, v in data.items() if k.startswith("change_")):
            raise forms.ValidationError(_("Give at least one corrected value."), code="empty")
        return data

    def changes(self) -> dict[str, str]:
        return {k.removeprefix("change_"): v for k, v in self.cleaned_data.items()
                if k.startswith("change_") and v}


class LogRightsRequestForm(AriaFormMixin, forms.Form):
    """A request that came by email or letter, with the day it arrived."""

    right = forms.ChoiceField(label=_("Right"))
    email = forms.EmailField(label=_("Email"), max_length=254)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=30)
    client = forms.ChoiceField(
        label=_("About data held for a client"), required=False,
        help_text=_("The client whose integration data the request is about: it is routed to "
                    "that client, who decides. Empty: the studio's own data only."))
    handle = forms.CharField(
        label=_("Username on the client's platforms"), required=False, max_length=200,
        help_text=_("How the client's integration data names the person (e.g. their TikTok "
                    "username); needs the client."))
    details = forms.CharField(
        label=_("Details"), required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the person asked, in their words; for rectification what is wrong and "
                    "what it should be, for objection their grounds."))
    channel = forms.ChoiceField(label=_("Received by"))
    language = forms.ChoiceField(
        label=_("Language of the request"), choices=[("en", "English"), ("pl", "Polski")],
        help_text=_("The language the person wrote in; mail to them uses it."))
    received_on = OperatorDateField(
        label=_("Received on"), required=False,
        help_text=_("The day it arrived: the deadline counts from it. Empty: today."),
        error_messages={"future": _("A request cannot be received in the future.")})
    verified = forms.BooleanField(
        label=_("Identity already verified"), required=False,
        help_text=_("Tick only if you confirmed who the person is; otherwise a verification "
                    "link is mailed to the address."))
    verification_note = forms.CharField(
        label=_("How the identity was verified"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user=None, **kwargs):
        from django.utils.translation import get_language

        from privet.integrations.selectors import clients_visible_to
        from privet.rights.models import Channel, Right

        super().__init__(*args, **kwargs)
        self.fields["right"].choices = Right.choices
        clients = clients_visible_to(user).values_list("slug", "name") if user else []
        self.fields["client"].choices = [("", _("None: the studio's own data")), *clients]
        self.fields["channel"].choices = [
            c for c in Channel.choices if c[0] in (Channel.EMAIL, Channel.LETTER, Channel.OTHER)]
        self.fields["language"].initial = "pl" if get_language() == "pl" else "en"
        self.fields["received_on"].widget.attrs["max"] = timezone.localdate().isoformat()

    def clean(self) -> dict:
        data = super().clean()
        if data.get("verified") and not (data.get("verification_note") or "").strip():
            self.add_error("verification_note", forms.ValidationError(
                _("Say how the person's identity was verified."), code="required"))
        if data.get("handle") and not data.get("client"):
            self.add_error("client", forms.ValidationError(
                _("A platform username finds only data held for a client: choose the client."),
                code="required"))
        if data.get("right") in ("rectification", "objection") and not data.get("details"):
            self.add_error("details", forms.ValidationError(
                _("Say what is to be corrected, or the person's grounds for objecting."),
                code="required"))
        return data

    def received_at(self) -> datetime | None:
        """When it arrived: now for today (or no day), else the start of that local day."""
        day = self.cleaned_data.get("received_on")
        if day is None or day >= timezone.localdate():
            return None
        return timezone.make_aware(datetime.combine(day, time.min))


HOLDS_ACTIVE = "active"
HOLDS_ENDED = "ended"
HOLDS_ALL = "all"


class HoldFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("Show"), required=False, choices=[
        (HOLDS_ACTIVE, _("Active holds")), (HOLDS_ENDED, _("Ended holds")),
        (HOLDS_ALL, _("All holds"))])


class HoldForm(AriaFormMixin, forms.Form):
    """A legal hold: what it keeps (a person, a client or one record), why, and until when.
    Only the fields of the chosen scope count; the retention service checks the rest (an
    unknown store, a record that does not exist) and stores nothing when it refuses."""

    scope = forms.ChoiceField(label=_("Hold"), widget=forms.RadioSelect)
    reason = forms.ChoiceField(label=_("Reason"))
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The matter, a case number: whatever the next person needs to know when to "
                    "lift it."))
    email = forms.EmailField(label=_("Email"), required=False, max_length=254)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=30)
    visitor_id = forms.CharField(label=_("Visitor id"), required=False, max_length=64)
    client = forms.CharField(label=_("Client id"), required=False, max_length=64)
    target = forms.ChoiceField(label=_("Store"), required=False)
    record_key = forms.CharField(label=_("Record"), required=False, max_length=64,
                                 help_text=_("Its number, e.g. 42 for E-000042."))
    ends_on = OperatorDateField(
        label=_("Ends on"), required=False, allow_future=True,
        help_text=_("The last day it holds. Empty: until someone lifts it."))

    PERSON_FIELDS = ("email", "phone", "visitor_id")

    def __init__(self, *args, stores: list[tuple[str, str]], **kwargs):
        from privet.retention.models import HoldReason, HoldScope

        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = HoldScope.choices
        self.fields["reason"].choices = HoldReason.choices
        self.fields["target"].choices = [("", _("Choose a store")), *stores]
        self.fields["ends_on"].widget.attrs["min"] = timezone.localdate().isoformat()

    def clean(self) -> dict:
        from privet.retention.models import HoldScope

        data = super().clean()
        scope = data.get("scope")
        if scope == HoldScope.PERSON and not any(data.get(f) for f in self.PERSON_FIELDS):
            if not any(f in self.errors for f in self.PERSON_FIELDS):
                self.add_error("email", _("Name the person by an email, a phone number or a "
                                          "visitor id."))
        elif scope == HoldScope.CLIENT and not data.get("client"):
            self.add_error("client", _("Name the client whose records to hold."))
        elif scope == HoldScope.RECORD:
            if not data.get("target") and "target" not in self.errors:
                self.add_error("target", _("Choose the store that holds the record."))
            if not data.get("record_key"):
                self.add_error("record_key", _("Give the record's number."))
        ends_on = data.get("ends_on")
        if ends_on and ends_on < timezone.localdate():
            self.add_error("ends_on", _("The end date has passed: a hold that ended protects "
                                        "nothing."))
        return data


class LiftHoldForm(AriaFormMixin, forms.Form):
    note = forms.CharField(label=_("Why it is lifted"), required=False,
                           max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


# --- client integrations (issue 12) ------------------------------------------------------------------

def _operators():
    """Users who may work on integrations: the choices of "Assigned operators"."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    return (get_user_model().objects.filter(is_active=True)
            .filter(Q(groups__permissions__codename="work_integrations") | Q(is_superuser=True))
            .distinct().order_by("username"))


class OperatorChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_username()


class ClientForm(AriaFormMixin, forms.Form):
    """A new client: its name, its permanent id, the language of its authorisation page and
    who works on it. The integrations service checks the rest (an id taken already)."""

    name = forms.CharField(label=_("Client name"), max_length=200)
    slug = forms.SlugField(
        label=_("Client id"), max_length=64,
        help_text=_("Short and permanent, letters, digits and hyphens: rights requests and legal "
                    "holds name the client by it."))
    language = forms.ChoiceField(label=_("Language of the authorisation page"))
    operators = OperatorChoiceField(label=_("Assigned operators"), queryset=None, required=False,
                                    widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        from django.conf import settings

        super().__init__(*args, **kwargs)
        self.fields["language"].choices = list(settings.LANGUAGES)
        self.fields["operators"].queryset = _operators()

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the client's name."))
        return name

    def clean_slug(self) -> str:
        from privet.integrations.models import Client

        slug = self.cleaned_data["slug"].strip().lower()
        if Client.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("A client with this id exists already: choose another."))
        return slug


class AssignOperatorsForm(AriaFormMixin, forms.Form):
    operators = OperatorChoiceField(label=_("Assigned operators"), queryset=None, required=False,
                                    widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operators"].queryset = _operators()


def _flow_key(connector_id: str, flow_id: str) -> str:
    return f"{connector_id}:{flow_id}"


class LinkForm(AriaFormMixin, forms.Form):
    """An authorisation link: which connector and authorisation, the scopes asked for (a
    subset of what the flow may request), and the language of the owner's page."""

    flow = forms.ChoiceField(label=_("Connector and authorisation"))
    scopes = forms.MultipleChoiceField(
        label=_("Scopes to request"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Only what the agreed service needs. The platform reports what the owner "
                    "granted, which may be less."))
    language = forms.ChoiceField(label=_("Language of the owner's page"))

    def __init__(self, *args, client=None, **kwargs):
        from django.conf import settings
        from django.utils.translation import gettext

        from privet.integrations.connectors import connectors

        super().__init__(*args, **kwargs)
        self.flows = {_flow_key(c.id, f.id): (c, f) for c in connectors for f in c.flows.values()}
        self.fields["flow"].choices = [
            (key, f"{gettext(c.label)}: {gettext(f.label)}") for key, (c, f) in self.flows.items()]
        scopes = sorted({s for _c, f in self.flows.values() for s in f.scopes})
        self.fields["scopes"].choices = [(s, s) for s in scopes]
        self.fields["language"].choices = list(settings.LANGUAGES)
        self.client = client
        # Pre-ticked: the scopes the client's agreed workflows need, of every authorisation (the
        # page has no script to tick them by the one chosen).
        self.pre_ticked = sorted({s for c, f in self.flows.values()
                                  for s in c.scopes_for(f.id, client.workflows)}) \
            if client is not None and client.workflows else []
        if client is not None and not self.is_bound:
            self.initial.setdefault("language", client.language)
            if self.pre_ticked:
                self.initial.setdefault("scopes", self.pre_ticked)

    def clean(self) -> dict:
        data = super().clean()
        chosen = self.flows.get(data.get("flow", ""))
        if chosen is None:
            return data
        connector, flow = chosen
        scopes = data.get("scopes") or []
        if scopes and sorted(scopes) == self.pre_ticked:
            # Left as pre-ticked: what the workflows need of this authorisation, not the
            # scopes another authorisation's workflows need (an advertiser link names none).
            data["scopes"] = None  # create_link asks for what the workflows need
            data["connector_id"], data["flow_id"] = connector.id, flow.id
            return data
        other = sorted(set(scopes) - set(flow.scopes))
        if other:
            self.add_error("scopes", _("This authorisation cannot request %(scopes)s.")
                           % {"scopes": ", ".join(other)})
        elif flow.scopes and not scopes:
            if self.client is not None and self.client.workflows and \
                    connector.scopes_for(flow.id, self.client.workflows):
                data["scopes"] = None  # create_link asks for what the workflows need
            else:
                self.add_error("scopes", _("Choose at least one scope."))
        data["connector_id"], data["flow_id"] = connector.id, flow.id
        return data


class DisconnectForm(AriaFormMixin, forms.Form):
    PURGE_NOW, BY_RULE = "now", "rule"
    purge = forms.ChoiceField(label=_("The data it brought in"), widget=forms.RadioSelect,
                              choices=[(PURGE_NOW, _("Purge it now")),
                                       (BY_RULE, _("Let the declared rule delete it"))])
    confirm = forms.BooleanField(
        label=_("I understand: the client's account owner must authorise again to reconnect."))


class WorkflowsForm(AriaFormMixin, forms.Form):
    """The client's agreed workflows: what the studio syncs for it, and so what its links
    request (every connector's workflows; labels and descriptions translated)."""

    workflows = forms.MultipleChoiceField(
        label=_("Workflows"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Only what was agreed with the client. A link requests only the scopes "
                    "these need, and only these are synced."))

    def __init__(self, *args, **kwargs):
        from django.utils.translation import gettext

        from privet.integrations.services import known_workflows

        super().__init__(*args, **kwargs)
        self.fields["workflows"].choices = [
            (w.id, f"{gettext(w.label)}: {gettext(w.description)}" if w.description
             else gettext(w.label)) for w in known_workflows().values()]


class MessageForm(AriaFormMixin, forms.Form):
    """A reply in a direct-message conversation (its length checked against the platform's
    limit by :func:`privet.integrations.messaging.check_text`, beside the field)."""

    text = forms.CharField(label=_("Reply"), required=False, strip=True,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, grant=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.grant = grant

    def clean_text(self) -> str:
        from privet.integrations.messaging import InvalidMessage, check_text

        try:
            return check_text(self.grant, self.cleaned_data.get("text", ""))
        except InvalidMessage as exc:
            raise forms.ValidationError(str(exc)) from None


class ReportRangeForm(AriaFormMixin, forms.Form):
    """A campaign report's campaign and range (the last 30 days unless chosen; at most
    :data:`privet.integrations.reports.MAX_DAYS` days, the start not after the end)."""

    campaign = forms.ChoiceField(label=_("Campaign"), required=False)
    start = OperatorDateField(label=_("From"), required=False)
    end = OperatorDateField(label=_("To"), required=False)

    def __init__(self, data=None, *args, campaigns=(), **kwargs):
        from privet.integrations.reports import default_range

        if data is not None and not (data.get("start") or data.get("end")):
            # The range the report shows is the one the fields show.
            first, last = default_range(timezone.localdate())
            data = data.copy()
            data["start"], data["end"] = first.isoformat(), last.isoformat()
        super().__init__(data, *args, **kwargs)
        campaigns = list(campaigns)
        # Two advertisers may each have a "Spring sale": the advertiser tells them apart.
        twice = {str(c) for c in campaigns if sum(str(o) == str(c) for o in campaigns) > 1}
        self.fields["campaign"].choices = [("", _("Every campaign")), *[
            (c.external_id, f"{c} ({c.advertiser_id})" if str(c) in twice else str(c))
            for c in campaigns]]

    def clean(self) -> dict:
        from privet.integrations.reports import MAX_DAYS, default_range

        data = super().clean()
        if self.errors:
            return data
        first, last = default_range(timezone.localdate())
        start, end = data.get("start") or first, data.get("end") or last
        if start > end:
            self.add_error("end", _("The end cannot be before the start."))
        elif (end - start).days + 1 > MAX_DAYS:
            self.add_error("end", _("A report covers at most %(days)d days.") % {"days": MAX_DAYS})
        data["start"], data["end"] = start, end
        return data


# --- comment moderation (issue 13) ----------------------------------------------------------------

class ModerationFilterForm(forms.Form):
    """The moderation page's choice of video and its comment filters (GET)."""

    video = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    q = forms.CharField(label=_("Has the words"), required=False, max_length=200,
                        widget=forms.TextInput(attrs={"type": "search"}))
    hidden = forms.BooleanField(label=_("Hidden"), required=False)
    unanswered = forms.BooleanField(label=_("Not answered by the account"), required=False)


class ReplyForm(AriaFormMixin, forms.Form):
    def __init__(self, *args, limit: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.limit = limit
        # max_length gives the textarea its maxlength; the error says the platform's limit.
        self.fields["text"] = forms.CharField(
            label=_("Reply as the account"), max_length=limit, strip=True,
            widget=forms.Textarea(attrs={"rows": 2}),
            error_messages={
                "required": _("Write the reply first."),
                "max_length": _("A reply is at most %(limit_value)d characters on the platform; "
                                "this one has %(show_value)d.")})


class DeleteCommentForm(AriaFormMixin, forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand: the comment and its replies are deleted on the platform, for "
                "good."),
        error_messages={"required": _("Tick the box to confirm the deletion.")})
