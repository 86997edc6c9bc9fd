"""Policy drift: code must not store personal data the policy does not declare.

``manage.py check`` fails with

- ``privet.E001`` a field that looks like personal data is not mapped to a category,
- ``privet.E002`` a field is mapped to a category the declaration does not have,
- ``privet.E003`` a mapping names a field the model does not have,
- ``privet.E004`` the declaration itself cannot be loaded.

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

# Field names that suggest personal data; matched against whole words of the name.
PERSONAL_NAME_RE = re.compile(
    r"(^|_)(e?mail|phone|tel|mobile|name|firstname|lastname|surname|ip|ip_address|address|"
    r"street|postcode|user_agent|useragent|token|secret|password|message|body|comment|note|"
    r"notes|birth|birthday|pesel|nip|visitor|visitor_id|subject)($|_)"
)
PERSONAL_FIELD_TYPES = (models.EmailField, models.GenericIPAddressField, models.TextField)


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
                            f"In {model._meta.app_config.name}.privacy, add "
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


@checks.register()
def check_policy_drift(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    try:
        declaration = load_declaration(settings.PRIVET_DEFAULT_POLICY_FILE)
    except DeclarationError as exc:
        return [checks.Error(f"The policy declaration cannot be loaded:\n{exc}", id="privet.E004")]
    return drift_errors(checked_models(), registry, declaration.category_ids)
