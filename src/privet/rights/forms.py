"""The rights portal's forms: the request (a right, an email, optional phone and details) and
"ask for a new link". Both carry the contact form's spam defences (honeypot, ALTCHA)."""

from __future__ import annotations

from altcha_django import AltchaField, AltchaMixin
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from privet.core.bidi import validate_no_bidi_controls
from privet.core.forms import AriaFormMixin
from privet.enquiries.forms import HONEYPOT, ContactForm, _altcha_messages, validate_phone
from privet.policy.rendering import cite_article
from privet.policy.selectors import declaration_in_force_or_file

from .models import DETAILS_MAX, EMAIL_MAX, PHONE_MAX, Right

REQUEST_FIELDS = ("right", "email", "phone", "details", "use_cookie")
NEEDS_DETAILS = (Right.RECTIFICATION, Right.OBJECTION)


def right_options(lang: str) -> list[dict[str, str]]:
    """Each right the portal takes, with its label, article and description from the policy
    declaration in force, in ``lang`` (the model's label where the declaration lacks it)."""
    declaration, _hash = declaration_in_force_or_file()
    declared = {r.id: r for r in declaration.rights}
    options = []
    for value, label in Right.choices:
        d = declared.get(value)
        options.append({"value": value, "label": d.label.get(lang) if d else str(label),
                         "description": d.description.get(lang) if d else "",
                         "article": cite_article(d.article, lang) if d else ""})
    return options


class _SpamChecks(AltchaMixin, AriaFormMixin, forms.Form):
    website = forms.CharField(
        label=_("Leave this field empty"), required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    altcha = AltchaField(label=_("Spam protection"), auto="onload")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["altcha"].error_messages.update(_altcha_messages())

    altcha_strings = staticmethod(ContactForm.altcha_strings)

    def clean(self):
        cleaned = super().clean()
        if self.data.get(HONEYPOT):
            raise ValidationError(_("This submission looks automated, so it was not sent. If you "
                                    "are a person, please email us instead."), code="honeypot")
        return cleaned


class RequestForm(_SpamChecks):
    """The portal's request: the person chooses a right and gives the address to verify."""

    right = forms.ChoiceField(label=_("Which right do you want to exercise?"),
                              choices=Right.choices, widget=forms.RadioSelect,
                              error_messages={"required": _("Choose a right."),
                                              "invalid_choice": _("Choose one of the rights listed.")})
    email = forms.EmailField(
        label=_("Your email address"), max_length=EMAIL_MAX, validators=[validate_no_bidi_controls],
        help_text=_("We send a link to confirm the request is yours; we search for nothing "
                    "until you use it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={"invalid": _("Enter an email address like name@example.com."),
                        "required": _("Enter your email address.")},
    )
    phone = forms.CharField(
        label=_("Phone"), max_length=PHONE_MAX, required=False, validators=[validate_phone],
        help_text=_("Optional: if you gave us a phone number, we search by it too."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel", "inputmode": "tel"}),
    )
    details = forms.CharField(
        label=_("Details"), max_length=DETAILS_MAX, required=False,
        validators=[validate_no_bidi_controls], widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Required for rectification (what is wrong and what it should be) and for "
                    "objection (the grounds relating to your situation). Up to 5000 characters."),
    )
    use_cookie = forms.BooleanField(
        label=_("Also search by this browser's cookie choices"), required=False,
        help_text=_("Finds the consent records of this browser (the random id in its cookie)."),
    )

    def __init__(self, *args, visitor_id: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.visitor_id = visitor_id
        if not visitor_id:
            del self.fields["use_cookie"]  # nothing to offer: the browser has no cookie choice

    def options(self) -> list[dict[str, str]]:
        chosen = self["right"].value()
        return [{**o, "checked": o["value"] == chosen} for o in right_options(get_language())]

    def clean(self):
        cleaned = super().clean()
        right = cleaned.get("right")
        if right in NEEDS_DETAILS and not (cleaned.get("details") or "").strip():
            message = (_("Say what is wrong and what it should be.") if right == Right.RECTIFICATION
                       else _("Give the grounds relating to your situation."))
            self.add_error("details", ValidationError(message, code="required"))
        return cleaned

    def request_data(self) -> dict[str, str]:
        """What :func:`~.services.submit_request` takes (the visitor id only if ticked)."""
        data = self.cleaned_data
        return {"right": data["right"], "email": data["email"], "phone": data.get("phone", ""),
                "details": data.get("details", ""),
                "visitor_id": self.visitor_id if data.get("use_cookie") else ""}

    def aria_fields(self) -> set[str] | None:
        return set(REQUEST_FIELDS)


class NewLinkForm(_SpamChecks):
    email = forms.EmailField(
        label=_("Your email address"), max_length=EMAIL_MAX, validators=[validate_no_bidi_controls],
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={"invalid": _("Enter an email address like name@example.com."),
                        "required": _("Enter your email address.")},
    )

    def aria_fields(self) -> set[str] | None:
        return {"email"}
