"""The record of processing activities (GDPR Art. 30(1)), one row per purpose.

Columns follow Art. 30(1)(a)-(g): controller and contact, purpose, categories of data subjects
and of personal data, recipients, third-country transfers, erasure time limits, and the
general description of security measures. Legal bases are included because supervisory
authorities' templates (PUODO's among them) ask for them alongside.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

from django.template.loader import render_to_string

from .rendering import cite_article, describe_rule
from .schema import Declaration

COLUMNS = [
    ("controller", "Controller name and contact details (Art. 30(1)(a))"),
    ("activity", "Processing activity"),
    ("purpose", "Purpose of processing (Art. 30(1)(b))"),
    ("legal_basis", "Legal basis (Art. 6(1))"),
    ("data_subjects", "Categories of data subjects (Art. 30(1)(c))"),
    ("data_categories", "Categories of personal data (Art. 30(1)(c))"),
    ("recipients", "Categories of recipients (Art. 30(1)(d))"),
    ("transfers", "Transfers to third countries and safeguards (Art. 30(1)(e))"),
    ("erasure", "Time limits for erasure (Art. 30(1)(f))"),
    ("security", "Technical and organisational security measures (Art. 30(1)(g))"),
]
TITLES_PL = {
    "controller": "Nazwa i dane kontaktowe administratora (art. 30 ust. 1 lit. a)",
    "activity": "Czynność przetwarzania",
    "purpose": "Cel przetwarzania (art. 30 ust. 1 lit. b)",
    "legal_basis": "Podstawa prawna (art. 6 ust. 1)",
    "data_subjects": "Kategorie osób, których dane dotyczą (art. 30 ust. 1 lit. c)",
    "data_categories": "Kategorie danych osobowych (art. 30 ust. 1 lit. c)",
    "recipients": "Kategorie odbiorców (art. 30 ust. 1 lit. d)",
    "transfers": "Przekazania do państw trzecich i zabezpieczenia (art. 30 ust. 1 lit. e)",
    "erasure": "Planowane terminy usunięcia danych (art. 30 ust. 1 lit. f)",
    "security": "Techniczne i organizacyjne środki bezpieczeństwa (art. 30 ust. 1 lit. g)",
}
HEADINGS = {
    "en": ("Record of processing activities (GDPR Art. 30(1))", "policy version", "Policy version"),
    "pl": ("Rejestr czynności przetwarzania (art. 30 ust. 1 RODO)", "wersja polityki",
           "Wersja polityki"),
}


def columns(lang: str) -> list[tuple[str, str]]:
    """The Art. 30(1) columns with their titles in ``lang``."""
    return [(key, TITLES_PL[key] if lang == "pl" else title) for key, title in COLUMNS]


def ropa_rows(decl: Declaration, lang: str = "en") -> list[dict[str, str]]:
    c = decl.controller
    controller = (
        f"{c.name}, {c.tax_id_label} {c.tax_id}, {c.address.street}, {c.address.postal_code} "
        f"{c.address.city}, {c.address.country.get(lang)}; {c.email}"
        + (f"; DPO: {decl.privacy_contact.dpo}" if decl.privacy_contact.dpo else "")
    )
    subjects = {s.id: s.label.get(lang) for s in decl.data_subjects}
    cats = {k.id: k.label.get(lang) for k in decl.categories}
    recs = {r.id: r.label.get(lang) for r in decl.recipients}
    transfers = decl.transfers.description.get(lang)
    security = "; ".join(decl.security_measures.get(lang))
    rows = []
    for p in decl.purposes:
        bases = [decl.legal_basis(b) for b in p.legal_bases]
        erasure = [
            f"{cats[r.category]}: {describe_rule(r, lang)}" for r in decl.rules_for(purpose=p.id)
        ]
        rows.append({
            "controller": controller,
            "activity": p.label.get(lang),
            "purpose": p.description.get(lang),
            "legal_basis": "; ".join(f"{cite_article(b.article, lang)} ({b.label.get(lang)})"
                                     for b in bases),
            "data_subjects": "; ".join(subjects[s] for s in p.data_subjects),
            "data_categories": "; ".join(cats[k] for k in p.categories),
            "recipients": "; ".join(recs[r] for r in p.recipients) or "-",
            "transfers": transfers,
            "erasure": "; ".join(erasure),
            "security": security,
        })
    return rows


def _csv(rows, decl, lang, version_label) -> str:
    """One row per activity; the last column names the policy version the record reflects."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for _, title in columns(lang)] + [HEADINGS[lang][2]])
    for row in rows:
        writer.writerow([row[key] for key, _ in COLUMNS] + [version_label])
    return out.getvalue()


def _json(rows, decl, lang, version_label) -> str:
    return json.dumps(
        {"policy_version": version_label, "language": lang,
         "columns": dict(columns(lang)), "activities": rows},
        indent=2, ensure_ascii=False,
    ) + "\n"


def _html(rows, decl, lang, version_label) -> str:
    return render_to_string("policy/ropa.html", {
        "table": [[row[key] for key, _ in COLUMNS] for row in rows],
        "columns": columns(lang), "decl": decl, "lang": lang, "version": version_label,
        "heading": HEADINGS[lang][0], "version_word": HEADINGS[lang][1],
    })


FORMATS: dict[str, Callable[..., str]] = {"csv": _csv, "json": _json, "html": _html}


def render_ropa(decl: Declaration, *, fmt: str, lang: str = "en", version_label: str = "") -> str:
    return FORMATS[fmt](ropa_rows(decl, lang), decl, lang, version_label)
