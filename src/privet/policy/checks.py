"""Policy drift: code must not store personal data the policy does not declare.

``manage.py check`` fails with

- ``privet.E001`` a field that looks like personal data is not mapped to a category,
- ``privet.E002`` a field is mapped to a category the declaration does not have,
- ``privet.E003`` a mapping names a field the model does not have,
- ``privet.E004`` the declaration itself cannot be loaded,
- ``privet.E005`` a cookie Privet sets is not among the declaration's essential cookies.

Fields are mapped in each app's ``privacy.py`` (see :mod:`privet.registry`). The declaration
checked against is ``PRIVET_POLICY_FILE`` (the embedded default unless set): the file you
publish from, so drift is caught before deploy, without a database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.db import models

from privet.registry import PrivacyRegistry, registry

from .loader import DeclarationError, load_declaration
from .rendering import unprefixed

# Field names that suggest personal data; matched against whole words of the name.
PERSONAL_NAME_RE = re.compile(
    r"(^|_)(e?mail|phone|telephone|tel|mobile|fax|name|username|firstname|lastname|surname|"
    r"ip|ipaddr|ip_address|remote_addr|address|street|postcode|postal_code|zip|city|"
    r"user_agent|useragent|token|secret|password|credential|credentials|api_key|apikey|"
    r"message|body|comment|note|notes|birth|birthday|pesel|nip|iban|visitor|visitor_id|"
    r"subject|session_data|payload)($|_)"
)
# Free text and structured blobs can hold anything a person typed or an API returned.
PERSONAL_FIELD_TYPES = (
    models.EmailField, models.GenericIPAddressField, models.TextField, models.JSONField,
    models.BinaryField,
)


def looks_personal(field: models.Field) -> bool:
    """Free text, emails, IP addresses, and fields named like contact data or credentials."""
    if field.primary_key or field.is_relation:
        return False
    return isinstance(field, PERSONAL_FIELD_TYPES) or bool(PERSONAL_NAME_RE.search(field.name))


def drift_errors(
    model_list: Iterable[type[models.Model]],
    reg: PrivacyRegistry,
    declared_categories: set[str],
) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for model in model_list:
        concrete = {f.name: f for f in model._meta.concrete_fields}
        for name, field in concrete.items():
            category = reg.category_of(model, name)
            if category is None:
                if looks_personal(field) and not reg.is_exempt(model, name):
                    errors.append(checks.Error(
                        f"{model._meta.label}.{name} looks like personal data but is not mapped "
                        "to a category of the policy declaration.",
                        hint=(
                            f"In {_privacy_module(model)}, add "
                            f"registry.personal_data({model.__name__}, {{{name!r}: '<category>'}}) "
                            "or not_personal={...: 'reason'}."
                        ),
                        obj=field, id="privet.E001",
                    ))
            elif category not in declared_categories:
                errors.append(checks.Error(
                    f"{model._meta.label}.{name} is mapped to category {category!r}, which the "
                    "policy declaration does not declare.",
                    hint=f"Declared categories: {', '.join(sorted(declared_categories))}.",
                    obj=field, id="privet.E002",
                ))
    for (label, name), mapped in {**reg.fields, **reg.exempt}.items():
        if name not in {f.name for f in mapped.model._meta.concrete_fields}:
            errors.append(checks.Error(
                f"{label}.{name} is registered in the privacy registry but the model has no "
                "such field.", id="privet.E003",
            ))
    return errors


def _privacy_module(model: type[models.Model]) -> str:
    """Where a mapping for ``model`` belongs: its own app's privacy.py, or for a third-party app
    the privacy.py of the Privet app that uses it (e.g. privet.panel.privacy for auth)."""
    app = model._meta.app_config.name
    return f"{app}.privacy" if app.startswith("privet.") else "the privacy.py of the Privet app that uses it"


def checked_models() -> list[type[models.Model]]:
    wanted = getattr(settings, "PRIVET_DRIFT_APPS", None)
    # Third-party apps that store personal data on our behalf (e.g. axes' login attempts).
    third_party = set(getattr(settings, "PRIVET_DRIFT_THIRD_PARTY_APPS", ()))
    return [
        model
        for config in apps.get_app_configs()
        if (
            config.label in wanted
            if wanted
            else config.name.startswith("privet.") or config.label in third_party
        )
        for model in config.get_models()
    ]


# consent.js keeps the visitor's choice in this cookie.
CONSENT_COOKIE = "privet_consent"


def cookies_privet_sets() -> list[str]:
    """The names of the cookies Privet itself sets, as configured (maybe with a __Host- prefix)."""
    return [CONSENT_COOKIE, settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME]


def undeclared_cookie_errors(declaration) -> list[checks.CheckMessage]:
    """A cookie Privet sets must be in the policy's cookie table, as an essential one."""
    essential = {unprefixed(c.name) for cp in declaration.cookies.purposes if cp.required
                 for c in cp.cookies}
    return [
        checks.Error(
            f"Privet sets the cookie {name!r}, but the policy declaration does not list it among "
            "its essential cookies.",
            hint=f"Add {{name: {unprefixed(name)}, ...}} to the cookies of the essential cookie "
                 "purpose (cookies.purposes[...].cookies), so the policy page tells visitors.",
            id="privet.E005",
        )
        for name in cookies_privet_sets() if unprefixed(name) not in essential
    ]


@checks.register()
def check_policy_drift(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    try:
        declaration = load_declaration(settings.PRIVET_DEFAULT_POLICY_FILE)
    except DeclarationError as exc:
        return [checks.Error(f"The policy declaration cannot be loaded:\n{exc}", id="privet.E004")]
    return (drift_errors(checked_models(), registry, declaration.category_ids)
            + undeclared_cookie_errors(declaration))
