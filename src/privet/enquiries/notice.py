"""The Art. 13 information shown where data is collected, read from the declaration in force.

The contact form serves two declared purposes: answering the enquiry (``enquiries``) and, if it
leads there, preparing an offer (``offers``). The notice names both with their legal bases, the
categories of recipients (Art. 13(1)(e)), the retention period, whether the data must be given,
that consent can be withdrawn at any time where consent is a basis (Art. 13(2)(c)), and the
rights including the complaint to the supervisory authority. Every word of substance comes from
the declaration; the template adds only the connecting words, and one sentence of the law's own:
that consent can be withdrawn at any time (Art. 7(3)), which the template words itself because
the declaration describes the right as a noun phrase ("Wycofanie zgody...") that cannot continue
a Polish sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

from privet.policy.rendering import cite_article, describe_rule
from privet.policy.selectors import declaration_in_force_or_file

# The declaration's purposes that cover what the contact form collects, in the order they apply.
PURPOSE_IDS = ("enquiries", "offers")
# Whose retention rule the notice quotes: the enquiry's (an offer's and a project's follow).
RETENTION_PURPOSE = "enquiries"
CONSENT_ARTICLE = "6(1)(a)"


@dataclass(frozen=True)
class PurposeNotice:
    label: str
    legal_bases: list[str]  # "Consent (Art. 6(1)(a) GDPR)", "Zgoda (art. 6 ust. 1 lit. a RODO)"


@dataclass(frozen=True)
class CollectionNotice:
    controller: str
    contact_email: str
    purposes: list[PurposeNotice]
    recipients: list[str]
    retention: str
    provisions: list[str]
    # Art. 13(2)(c): a purpose rests on consent and the declaration offers its withdrawal, so
    # the notice says it can be withdrawn at any time.
    consent_withdrawable: bool
    rights: list[str]
    complaint: str  # "Lodge a complaint: President of the Personal Data Protection Office ..."
    policy_hash: str


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def collection_notice(lang: str) -> CollectionNotice:
    """What the form states next to its submit button, in ``lang`` (one query).

    Before the first publication it quotes the configured file, with an empty ``policy_hash``
    (see :func:`~privet.policy.selectors.declaration_in_force_or_file`).
    """
    lang = lang if lang in ("en", "pl") else "en"
    decl, policy_hash = declaration_in_force_or_file()
    purposes = [decl.purpose(p) for p in PURPOSE_IDS if any(x.id == p for x in decl.purposes)]
    rules = decl.rules_for(purpose=RETENTION_PURPOSE, category="contact_details") or decl.rules_for(
        purpose=RETENTION_PURPOSE
    )
    recipients = {r.id: r for r in decl.recipients}
    rights = {r.id: r for r in decl.rights}
    on_consent = any(decl.legal_basis(b).article == CONSENT_ARTICLE
                     for p in purposes for b in p.legal_bases)
    complaint = rights.get("complaint")
    return CollectionNotice(
        controller=decl.controller.name,
        contact_email=decl.privacy_contact.email,
        purposes=[
            PurposeNotice(
                label=p.label.get(lang),
                legal_bases=[f"{decl.legal_basis(b).label.get(lang)} "
                             f"({cite_article(decl.legal_basis(b).article, lang)})"
                             for b in p.legal_bases],
            )
            for p in purposes
        ],
        recipients=_unique([recipients[r].label.get(lang) for p in purposes for r in p.recipients
                            if r in recipients]),
        retention=describe_rule(rules[0], lang) if rules else "",
        provisions=_unique([p.provision.consequence.get(lang) for p in purposes]),
        consent_withdrawable=on_consent and "withdraw_consent" in rights,
        rights=[r.label.get(lang) for r in decl.rights if r.id not in ("withdraw_consent", "complaint")],
        complaint=(f"{complaint.label.get(lang)}: {decl.supervisory_authority.name.get(lang)}"
                   if complaint else ""),
        policy_hash=policy_hash,
    )
