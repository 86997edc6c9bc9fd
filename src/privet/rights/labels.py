"""The words for the ids a rights request's plan and result hold, in the active language.

The engine stores ids and English reasons in ``request.result`` (a source's name, a category
id, a rule ``category/purpose after trigger``, a recipient id, a kept reason, the client's
decision), so that what is stored does not depend on the language the worker ran in. Whatever
shows a result shows it through these functions, in its reader's language: the person's in
mail and in the access archive's README, the operator's in the panel. An id the declaration
in force does not know is shown as it is, so nothing is hidden.
"""

from __future__ import annotations

import re

from django.utils.translation import get_language, gettext, pgettext_lazy

from privet.policy.rendering import describe_rule
from privet.policy.schema import Declaration
from privet.registry import RuleRef, registry

RULE_RE = re.compile(r"^(?P<category>\S+)/(?P<purpose>\S+) after (?P<after>\S+)$")

# Each correctable person attribute (registry.ATTRIBUTES) in words, as a sentence uses them
# ("We corrected your name and email address"): never the new values, which the person typed.
ATTRIBUTE_WORDS = {
    "name": pgettext_lazy("person attribute", "name"),
    "email": pgettext_lazy("person attribute", "email address"),
    "phone": pgettext_lazy("person attribute", "phone number"),
    "company": pgettext_lazy("person attribute", "company"),
    "postal_address": pgettext_lazy("person attribute", "postal address"),
    "language": pgettext_lazy("person attribute", "language"),
}

# What the client (the controller of data the studio holds for it) decided (engine.DECISIONS).
DECISION_WORDS = {
    "carry_out": pgettext_lazy("controller decision", "the studio carries the request out"),
    "controller_answers": pgettext_lazy("controller decision",
                                        "the controller answers the person itself"),
}


def language() -> str:
    """The declaration's language code for the active language (``en`` or ``pl``)."""
    return "pl" if (get_language() or "en").startswith("pl") else "en"


def source_label(name: str) -> str:
    """A store in words ("Enquiries and projects"), else its name."""
    return registry.source_label(name)


def category_label(declaration: Declaration | None, category: str) -> str:
    """A declared category in words ("Contact details"), else its id."""
    if declaration is not None:
        for c in declaration.categories:
            if c.id == category:
                return c.label.get(language())
    return category


def recipient_label(declaration: Declaration | None, recipient: str) -> str:
    """A declared recipient (a kind of processor) in words, else its id."""
    if declaration is not None:
        for r in declaration.recipients:
            if r.id == recipient:
                return r.label.get(language())
    return recipient


def rule_label(declaration: Declaration | None, rule: RuleRef | str) -> str:
    """A declared rule in words: "Contact details, Enquiries: 12 months after ...". """
    if isinstance(rule, str):
        match = RULE_RE.match(rule)
        if not match:
            return rule
        rule = RuleRef(match["category"], match["purpose"], match["after"])
    if declaration is None:
        return str(rule)
    lang = language()
    for r in declaration.retention:
        if (r.category, r.purpose, r.after) == (rule.category, rule.purpose, rule.after):
            purpose = next((p.label.get(lang) for p in declaration.purposes if p.id == r.purpose),
                           r.purpose)
            return (f"{category_label(declaration, r.category)}, {purpose}: "
                    f"{describe_rule(r, lang)}")
    return str(rule)


def kept_reason(reason: str) -> str:
    """Why a source kept records, in the active language (the source's English text is the
    message id; a text no catalogue knows is shown as it is)."""
    return gettext(reason) if reason else ""


def attribute_label(attribute: str) -> str:
    return str(ATTRIBUTE_WORDS.get(attribute, attribute))


def decision_label(decision: str) -> str:
    return str(DECISION_WORDS.get(decision, decision))
