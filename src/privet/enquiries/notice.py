"""The Art. 13 information shown where data is collected, read from the declaration in force."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from privet.policy.loader import load_declaration
from privet.policy.rendering import describe_rule
from privet.policy.schema import Declaration

# The declaration's purpose that covers what the contact form collects.
PURPOSE_ID = "enquiries"


@dataclass(frozen=True)
class CollectionNotice:
    controller: str
    contact_email: str
    purpose: str
    legal_bases: list[str]
    retention: str
    provision: str
    policy_hash: str


def declaration_in_force() -> tuple[Declaration, str]:
    """The published declaration in force and its hash, or the configured file before the first
    publication (the page must still say who collects what)."""
    from privet.policy.selectors import current_version

    version = current_version()
    if version is not None:
        return version.declaration(), version.content_hash
    return load_declaration(settings.PRIVET_DEFAULT_POLICY_FILE), ""


def collection_notice(lang: str) -> CollectionNotice:
    """What the form states next to its submit button, in ``lang`` (one query)."""
    lang = lang if lang in ("en", "pl") else "en"
    decl, policy_hash = declaration_in_force()
    purpose = decl.purpose(PURPOSE_ID)
    rules = decl.rules_for(purpose=PURPOSE_ID, category="contact_details") or decl.rules_for(
        purpose=PURPOSE_ID
    )
    return CollectionNotice(
        controller=decl.controller.name,
        contact_email=decl.privacy_contact.email,
        purpose=purpose.description.get(lang),
        legal_bases=[
            f"{decl.legal_basis(b).label.get(lang)} (Art. {decl.legal_basis(b).article} GDPR)"
            for b in purpose.legal_bases
        ],
        retention=describe_rule(rules[0], lang) if rules else "",
        provision=purpose.provision.consequence.get(lang),
        policy_hash=policy_hash,
    )
