"""Turning a declaration into what a page, the ROPA or the banner shows, in one language."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext

from privet.registry import registry

from .schema import PERIOD_RE, Declaration, RetentionRule

TRIGGERS = {
    "collected": {"en": "after collection", "pl": "od zebrania"},
    "last_contact": {"en": "after the last contact", "pl": "od ostatniego kontaktu"},
    "enquiry_closed": {
        "en": "after the enquiry is closed without a contract",
        "pl": "od zamknięcia zapytania bez zawarcia umowy",
    },
    "contract_end": {"en": "after the contract ends", "pl": "od zakończenia umowy"},
    "consent_withdrawn": {
        "en": "after consent is withdrawn, replaced or expires",
        "pl": "od wycofania, zmiany lub wygaśnięcia zgody",
    },
    "integration_revoked": {
        "en": "after the client revokes the integration or the service ends",
        "pl": "od cofnięcia autoryzacji integracji lub zakończenia usługi",
    },
    "request_closed": {"en": "after the request is closed", "pl": "od zamknięcia żądania"},
    "financial_year_end": {
        "en": "from the end of the financial year concerned",
        "pl": "od końca roku obrotowego, którego dotyczą",
    },
    "account_closed": {"en": "after the account is closed", "pl": "od zamknięcia konta"},
}
# What happens to a rule's records when it runs out, by its retention targets' ``method``.
EXPIRY = {
    ("delete",): {"en": "then deleted", "pl": "następnie usuwane"},
    ("anonymise",): {"en": "then anonymised", "pl": "następnie anonimizowane"},
    ("anonymise", "delete"): {"en": "then deleted or anonymised",
                              "pl": "następnie usuwane lub anonimizowane"},
}
YEAR_END = {
    "en": ", counted to the end of that calendar year",
    "pl": ", z końcem roku kalendarzowego",
}
UNITS_EN = {"d": ("day", "days"), "w": ("week", "weeks"), "m": ("month", "months"),
            "y": ("year", "years")}
# Polish has three forms: 1, 2-4 (but not 12-14), and the rest.
UNITS_PL = {"d": ("dzień", "dni", "dni"), "w": ("tydzień", "tygodnie", "tygodni"),
            "m": ("miesiąc", "miesiące", "miesięcy"), "y": ("rok", "lata", "lat")}
REQUIREMENTS = {
    "voluntary": {"en": "Voluntary", "pl": "Dobrowolne"},
    "contractual": {"en": "Needed for the contract", "pl": "Niezbędne do zawarcia umowy"},
    "precontractual": {"en": "Needed for an offer", "pl": "Niezbędne do przygotowania oferty"},
    "statutory": {"en": "Required by law", "pl": "Wymagane przepisami"},
}
SOURCES = {
    "data_subject": {"en": "you", "pl": "od Ciebie"},
    "client": {"en": "our client", "pl": "od naszego klienta"},
    "integration_api": {"en": "APIs the client authorised", "pl": "z API autoryzowanych przez klienta"},
    "website_visit": {"en": "your visit to the website", "pl": "z wizyty na stronie"},
    "public_register": {"en": "public registers", "pl": "z rejestrów publicznych"},
    "operator": {"en": "our staff", "pl": "od naszych pracowników"},
}


_ARTICLE_RE = re.compile(r"^(?:Art\.\s*)?(?P<number>\d+)(?P<parts>(?:\(\w+\))*)$")


def cite_article(article: str, lang: str) -> str:
    """A GDPR article as each language cites it: 'Art. 6(1)(a) GDPR', 'art. 6 ust. 1 lit. a RODO'.

    Takes the declaration's forms, '6(1)(a)' for legal bases and 'Art. 15' for rights; anything
    else is shown as written, followed by the regulation's name.
    """
    match = _ARTICLE_RE.match(article.strip())
    if not match:
        return f"{article} {'RODO' if lang == 'pl' else 'GDPR'}"
    number, parts = match["number"], re.findall(r"\((\w+)\)", match["parts"])
    if lang != "pl":
        return f"Art. {number}{''.join(f'({p})' for p in parts)} GDPR"
    words = [f"art. {number}"]
    for part in parts:  # Polish: paragraphs are "ust.", points "pkt", lettered points "lit."
        words.append(f"lit. {part}" if part.isalpha() else f"ust. {part}" if len(words) == 1
                     else f"pkt {part}")
    return " ".join(words) + " RODO"


def describe_period(period: str, lang: str) -> str:
    match = PERIOD_RE.match(period)
    assert match, period
    n, unit = int(match["n"]), match["unit"]
    if lang == "pl":
        one, few, many = UNITS_PL[unit]
        if n == 1:
            word = one
        elif 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
            word = few
        else:
            word = many
    else:
        word = UNITS_EN[unit][0 if n == 1 else 1]
    return f"{n} {word}"


def describe_rule(rule: RetentionRule, lang: str) -> str:
    """E.g. '6 years after the contract ends, counted to the end of that calendar year'."""
    text = f"{describe_period(rule.period, lang)} {TRIGGERS[rule.after][lang]}"
    return text + (YEAR_END[lang] if rule.until_year_end else "")


def describe_expiry(rule: RetentionRule, lang: str) -> str:
    """What happens when ``rule`` runs out, as the retention targets that enforce it do it
    ("then deleted"); empty for a rule no target enforces (the data is kept outside Privet, or
    its app is not installed), so the page promises only what Privet itself does."""
    methods = tuple(sorted({t.method for t in registry.targets_for(
        category=rule.category, purpose=rule.purpose, trigger=rule.after)}))
    return EXPIRY[methods][lang] if methods else ""


HOST_PREFIXES = ("__Host-", "__Secure-")


def unprefixed(name: str) -> str:
    for prefix in HOST_PREFIXES:
        name = name.removeprefix(prefix)
    return name


def name_as_set(cookie: str) -> str:
    """A declared cookie name as browsers see it: Privet's own cookies carry the __Host- prefix
    over HTTPS, which the declaration leaves out so that one file fits the demo and production."""
    from django.conf import settings

    for actual in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
        if unprefixed(actual) == cookie:
            return actual
    return cookie


def sections(decl: Declaration, lang: str) -> list[tuple[str, str]]:
    """The page's sections as ``(anchor, heading)``, in order: the seed's eleven, less the one on
    connectors when the declaration has none. Called with the page's language active."""
    connectors = decl.integrations.connectors_heading
    return [(anchor, heading) for anchor, heading in [
        ("controller", gettext("Data controller")),
        ("data", gettext("Data we may process")),
        ("purposes", gettext("Purposes of processing")),
        ("grounds", gettext("Legal grounds")),
        ("integrations", gettext("API integrations")),
        ("platforms", connectors.get(lang) if connectors else gettext("Connected platforms")),
        ("recipients", gettext("Recipients and service providers")),
        ("retention", gettext("Retention period")),
        ("rights", gettext("Your rights")),
        ("cookies", gettext("Cookies and technical data")),
        ("updates", gettext("Updates to this policy")),
    ] if anchor != "platforms" or decl.integrations.connectors]


def policy_context(decl: Declaration, lang: str) -> dict[str, Any]:
    """Everything the policy page shows, resolved to ``lang`` (cheap: no queries)."""
    lang = lang if lang in ("en", "pl") else "en"
    toc = sections(decl, lang)
    bases = {b.id: b for b in decl.legal_bases}
    cats = {c.id: c for c in decl.categories}
    recs = {r.id: r for r in decl.recipients}
    purposes = {p.id: p for p in decl.purposes}
    return {
        "d": decl,
        "lang": lang,
        "toc": toc,
        # "controller" -> "1. Data controller": headings numbered as in the table of contents.
        "heading": {anchor: f"{n}. {title}" for n, (anchor, title) in enumerate(toc, start=1)},
        "categories": [
            {
                "id": c.id, "label": c.label.get(lang), "description": c.description.get(lang),
                "examples": c.examples.get(lang),
                "sources": [SOURCES[s][lang] for s in c.sources], "special": c.special,
            }
            for c in decl.categories
        ],
        "purposes": [
            {
                "id": p.id, "label": p.label.get(lang), "description": p.description.get(lang),
                "bases": [
                    f"{bases[b].label.get(lang)} ({cite_article(bases[b].article, lang)})"
                    for b in p.legal_bases
                ],
                "interest": p.legitimate_interest.get(lang) if p.legitimate_interest else "",
                "categories": [cats[c].label.get(lang) for c in p.categories],
                "recipients": [recs[r].label.get(lang) for r in p.recipients],
                "requirement": REQUIREMENTS[p.provision.requirement][lang],
                "consequence": p.provision.consequence.get(lang),
            }
            for p in decl.purposes
        ],
        "bases": [
            {"label": b.label.get(lang), "article": b.article, "cite": cite_article(b.article, lang),
             "description": b.description.get(lang)}
            for b in decl.legal_bases
        ],
        "recipients": [
            {"label": r.label.get(lang), "description": r.description.get(lang),
             "processor": r.processor}
            for r in decl.recipients
        ],
        "retention": [
            {
                "category": cats[r.category].label.get(lang),
                "purpose": purposes[r.purpose].label.get(lang),
                "period": describe_rule(r, lang),
                "expiry": describe_expiry(r, lang),
                "ground": r.legal_ground.get(lang),
            }
            for r in decl.retention
        ],
        "connectors": [
            {
                "label": c.label.get(lang), "description": c.description.get(lang),
                "may_read": [s.label.get(lang) for s in c.may_read], "never": c.never.get(lang),
                "hosts": c.hosts,
            }
            for c in decl.integrations.connectors
        ],
        "rights": [
            {"id": r.id, "label": r.label.get(lang), "article": r.article,
             "cite": cite_article(r.article, lang), "description": r.description.get(lang)}
            for r in decl.rights
        ],
        "cookie_purposes": [
            {
                "id": cp.id, "label": cp.label.get(lang), "description": cp.description.get(lang),
                "required": cp.required,
                "cookies": [
                    {"name": name_as_set(k.name), "provider": k.provider,
                     "duration": k.duration.get(lang),
                     "description": k.description.get(lang)}
                    for k in cp.cookies
                ],
            }
            for cp in decl.cookies.purposes
        ],
        "changelog": [entry.get(lang) for entry in decl.version.changelog],
    }
