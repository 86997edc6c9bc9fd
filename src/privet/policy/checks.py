"""Policy drift: code must not store personal data the policy does not declare.

``manage.py check`` fails with

- ``privet.E001`` a field that looks like personal data is not mapped to a category,
- ``privet.E002`` a field is mapped to a category the declaration does not have,
- ``privet.E003`` a mapping names a field the model does not have,
- ``privet.E004`` the declaration itself cannot be loaded,
- ``privet.E005`` a cookie Privet sets is not among the declaration's essential cookies.

and the registry's coverage (the contract the rights and retention engines rely on):

- ``privet.E006`` a model holding mapped personal data has no subject source, nor a reason why
  the rights engine skips it (``registry.not_a_subject_source``),
- ``privet.E007`` a declared retention rule has no retention target for its category, purpose
  and trigger, nor a reason (``registry.rule_without_target``),
- ``privet.E008`` a retention target names a trigger outside the declaration's vocabulary, a
  category or purpose the declaration lacks, or a field its model does not have,
- ``privet.E009`` two subject sources or two retention targets share a name,
- ``privet.E010`` a model holding mapped personal data has no retention target, nor a reason
  (``registry.no_retention_target``),
- ``privet.E011`` a subject source does not keep the contract (a method missing, an unknown
  role, attributes outside the registry's vocabulary),
- ``privet.W001`` a reason is registered for a rule that a target now enforces, or that the
  declaration no longer has: remove it.

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

from privet.registry import ATTRIBUTES, TRIGGERS, PrivacyRegistry, SubjectSource, TriggerTime, registry

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


def _field_names(model: type[models.Model]) -> set[str]:
    return {f.name for f in model._meta.concrete_fields}


def coverage_errors(reg: PrivacyRegistry, declaration) -> list[checks.CheckMessage]:
    """Whether the registry covers every store and every declared rule (E006-E011, W001)."""
    errors: list[checks.CheckMessage] = []
    errors += [checks.Error(f"The {what} is registered twice.", hint="Names must be unique.",
                            id="privet.E009") for what in reg.duplicates]
    for source in reg.sources.values():
        problems = []
        if not isinstance(source, SubjectSource):
            problems.append("it lacks a method or attribute of registry.SubjectSource")
        if getattr(source, "role", None) not in ("controller", "processor"):
            problems.append("its role must be 'controller' or 'processor'")
        if unknown := set(getattr(source, "attributes", ())) - ATTRIBUTES:
            problems.append(f"attributes {sorted(unknown)} are not in registry.ATTRIBUTES "
                            f"({', '.join(sorted(ATTRIBUTES))})")
        errors += [checks.Error(f"Subject source {getattr(source, 'name', source)!r}: {p}.",
                                id="privet.E011") for p in problems]
    for label, model in sorted(reg.personal_models().items()):
        if reg.source_for(model) is None and label not in reg.not_sources:
            errors.append(checks.Error(
                f"{label} holds personal data, but no subject source answers for it: the rights "
                "engine would never find it.",
                hint=f"In {_privacy_module(model)}, list it in a subject source's models, or call "
                     f"registry.not_a_subject_source({model.__name__}, 'why').",
                id="privet.E006",
            ))
        if not any(t.model is model for t in reg.targets.values()) and label not in reg.not_targets:
            errors.append(checks.Error(
                f"{label} holds personal data, but no retention target covers it: nothing would "
                "ever expire it.",
                hint=f"In {_privacy_module(model)}, register a RetentionTarget for it, or call "
                     f"registry.no_retention_target({model.__name__}, 'why').",
                id="privet.E010",
            ))
    purposes = {p.id for p in declaration.purposes}
    for target in reg.targets.values():
        fields = _field_names(target.model)
        for trigger, at in target.triggers.items():
            field_name = at.field if isinstance(at, TriggerTime) else at
            if trigger not in TRIGGERS:
                errors.append(checks.Error(
                    f"Retention target {target.name!r}: trigger {trigger!r} is not in the "
                    "declaration's vocabulary.", hint=f"Triggers: {', '.join(sorted(TRIGGERS))}.",
                    id="privet.E008"))
            if field_name not in fields:
                errors.append(checks.Error(
                    f"Retention target {target.name!r}: {target.model._meta.label} has no field "
                    f"{field_name!r} (trigger {trigger!r}).", id="privet.E008"))
        for kind, names, declared in (("category", target.categories, declaration.category_ids),
                                      ("purpose", target.purposes, purposes)):
            for name in sorted(set(names) - declared):
                errors.append(checks.Error(
                    f"Retention target {target.name!r}: {kind} {name!r} is not declared.",
                    hint=f"Declared: {', '.join(sorted(declared))}.", id="privet.E008"))
    reasons = {(r.category, r.purpose, r.trigger): r for r in reg.rules_without_target}
    declared_rules = {(r.category, r.purpose, r.after) for r in declaration.retention}
    for category, purpose, trigger in sorted(declared_rules):
        covered = bool(reg.targets_for(category=category, purpose=purpose, trigger=trigger))
        if not covered and (category, purpose, trigger) not in reasons:
            errors.append(checks.Error(
                f"The declared retention rule for {category!r} ({purpose!r}, after {trigger!r}) "
                "has no retention target: nothing would enforce it.",
                hint="Register a RetentionTarget with that category, purpose and trigger in the "
                     "privacy.py of the app that stores the data, or call "
                     "registry.rule_without_target(..., reason='why') (e.g. the data is kept in "
                     "another system).",
                id="privet.E007",
            ))
        elif covered and (category, purpose, trigger) in reasons:
            errors.append(checks.Warning(
                f"A reason is registered why no target enforces ({category}, {purpose}, after "
                f"{trigger}), but a target now does.", hint="Remove the rule_without_target call.",
                id="privet.W001"))
    for key in sorted(set(reasons) - declared_rules):
        errors.append(checks.Warning(
            f"A reason is registered for the retention rule {key}, which the declaration does "
            "not have.", hint="Remove the rule_without_target call.", id="privet.W001"))
    return errors


@checks.register()
def check_policy_drift(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    try:
        declaration = load_declaration(settings.PRIVET_DEFAULT_POLICY_FILE)
    except DeclarationError as exc:
        return [checks.Error(f"The policy declaration cannot be loaded:\n{exc}", id="privet.E004")]
    return (drift_errors(checked_models(), registry, declaration.category_ids)
            + undeclared_cookie_errors(declaration) + coverage_errors(registry, declaration))
