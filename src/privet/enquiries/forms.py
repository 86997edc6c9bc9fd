"""The enquiry's fields with their server-side validation, and the public form's spam defences.

:class:`EnquiryFieldsForm` holds exactly the fields the declaration names for enquiries (the
panel uses it to log an email enquiry); :class:`ContactForm` adds the honeypot and the ALTCHA
proof-of-work for the public page.
"""

from __future__ import annotations

import re

from altcha_django import AltchaField, AltchaMixin
from altcha_django.results import ErrorCode
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from privet.core.bidi import validate_no_bidi_controls
from privet.core.forms import AriaFormMixin

from .models import COMPANY_MAX, EMAIL_MAX, MESSAGE_MAX, NAME_MAX, PHONE_MAX, ProjectType

# Digits with the separators people type: +48 600 100 200, (32) 285-12-34. E.164 allows 15 digits.
PHONE_RE = re.compile(r"^\+?[0-9 ()\-./]+$")
PHONE_MIN_DIGITS, PHONE_MAX_DIGITS = 7, 15
# The honeypot's name: what form-filling bots like to fill in.
HONEYPOT = "website"
ENQUIRY_FIELDS = ("name", "company", "email", "phone", "project_type", "message")
# An over-long value, said of the field by name (the error also stands alone in the form's
# summary) and with the plural the limit needs ("254 znaki", "5000 znaków").
TOO_LONG = {
    "name": ngettext_lazy(
        "A name can be up to %(limit_value)d character long (it has %(show_value)d).",
        "A name can be up to %(limit_value)d characters long (it has %(show_value)d).",
        "limit_value"),
    "company": ngettext_lazy(
        "A company name can be up to %(limit_value)d character long (it has %(show_value)d).",
        "A company name can be up to %(limit_value)d characters long (it has %(show_value)d).",
        "limit_value"),
    "email": ngettext_lazy(
        "An email address can be up to %(limit_value)d character long (it has %(show_value)d).",
        "An email address can be up to %(limit_value)d characters long (it has %(show_value)d).",
        "limit_value"),
    "phone": ngettext_lazy(
        "A phone number can be up to %(limit_value)d character long (it has %(show_value)d).",
        "A phone number can be up to %(limit_value)d characters long (it has %(show_value)d).",
        "limit_value"),
    "message": ngettext_lazy(
        "The message can be up to %(limit_value)d character long (it has %(show_value)d).",
        "The message can be up to %(limit_value)d characters long (it has %(show_value)d).",
        "limit_value"),
}


def validate_phone(value: str) -> None:
    digits = sum(ch.isdigit() for ch in value)
    if not PHONE_RE.match(value) or not PHONE_MIN_DIGITS <= digits <= PHONE_MAX_DIGITS:
        raise ValidationError(
            _("Enter a phone number of 7 to 15 digits, e.g. +48 600 100 200 (spaces, dashes and "
              "brackets are fine)."),
            code="invalid_phone",
        )


class EnquiryFieldsForm(AriaFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Your name"), max_length=NAME_MAX, validators=[validate_no_bidi_controls],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    company = forms.CharField(
        label=_("Company"), max_length=COMPANY_MAX, required=False,
        validators=[validate_no_bidi_controls],
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    email = forms.EmailField(
        label=_("Email"), max_length=EMAIL_MAX, validators=[validate_no_bidi_controls],
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={"invalid": _("Enter an email address like name@example.com.")},
    )
    phone = forms.CharField(
        label=_("Phone"), max_length=PHONE_MAX, required=False, validators=[validate_phone],
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel", "inputmode": "tel"}),
    )
    project_type = forms.ChoiceField(
        label=_("What is it about?"),
        choices=[("", _("Choose a project type")), *ProjectType.choices],
        error_messages={"required": _("Choose what your enquiry is about.")},
    )
    message = forms.CharField(
        label=_("Your message"), max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text=_("What you need, by when, and anything we should know. Up to 5000 characters."),
    )

    required_css_class = "required"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ENQUIRY_FIELDS:
            field = self.fields[name]
            if name in ("company", "phone"):
                field.help_text = field.help_text or _("Optional")
            if name in TOO_LONG:
                field.error_messages["max_length"] = TOO_LONG[name]

    def enquiry_data(self) -> dict[str, str]:
        """The cleaned fields, exactly what :func:`services.submit_enquiry` accepts."""
        return {name: self.cleaned_data[name] for name in ENQUIRY_FIELDS}

    def aria_fields(self) -> set[str] | None:
        return set(ENQUIRY_FIELDS)  # not the spam-protection fields


def _altcha_messages() -> dict[str, str]:
    retry = _("We prepared a new check; please send the form again.")
    return {
        ErrorCode.REQUIRED.value: _(
            "The “I'm not a robot” check has not finished. It runs in your browser and needs "
            "JavaScript; wait until it shows “Verified”, then send again."
        ),
        ErrorCode.REPLAYED.value: _("This check was already used. %(retry)s") % {"retry": retry},
        ErrorCode.EXPIRED.value: _("The check expired. %(retry)s") % {"retry": retry},
        ErrorCode.MALFORMED.value: _("The check could not be read. %(retry)s") % {"retry": retry},
        ErrorCode.INVALID_SIGNATURE.value: _("The check is not valid. %(retry)s") % {"retry": retry},
        ErrorCode.INVALID_SOLUTION.value: _("The check is not valid. %(retry)s") % {"retry": retry},
        ErrorCode.UNVERIFIED.value: _("The check failed. %(retry)s") % {"retry": retry},
    }


class ContactForm(AltchaMixin, EnquiryFieldsForm):
    """The public form: the enquiry's fields, a honeypot, and ALTCHA proof-of-work."""

    website = forms.CharField(
        label=_("Leave this field empty"), required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    # Solved as soon as the page loads, while the person types: a form sent before the proof of
    # work is done is refused, and waiting for focus left too little time to finish.
    altcha = AltchaField(label=_("Spam protection"), auto="onload")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["altcha"]
        field.error_messages.update(_altcha_messages())

    @staticmethod
    def altcha_strings() -> dict[str, str]:
        """The widget's texts in the active language, from our catalogue. The page hands them to
        the widget's i18n store (static/enquiries/altcha-strings.js), instead of loading the
        library's 68 KB bundle of every language."""
        return {
            "label": gettext("I'm not a robot"),
            "verifying": gettext("Verifying…"),
            "verified": gettext("Verified"),
            "error": gettext("Verification failed. Try again later."),
            "expired": gettext("Verification expired. Try again."),
            "verificationRequired": gettext("Verification required!"),
            "waitAlert": gettext("Verifying… please wait."),
            "loading": gettext("Loading…"),
            "reload": gettext("Reload"),
            "verify": gettext("Verify"),
            "cancel": gettext("Cancel"),
            "footer": gettext("Spam protection without tracking: your browser solves a small puzzle."),
            "ariaLinkLabel": "ALTCHA",
        }

    def clean(self):
        cleaned = super().clean()
        if self.data.get(HONEYPOT):
            raise ValidationError(
                _("This submission looks automated, so it was not sent. If you are a person, "
                  "please email us instead."),
                code="honeypot",
            )
        return cleaned

    def is_spam_refusal(self) -> bool:
        """True when the form failed only the bot checks (honeypot or proof-of-work)."""
        codes = {e.code for e in self.non_field_errors().as_data()}
        return "honeypot" in codes or "altcha" in self.errors
