"""A rights request's plan and result as the panel shows them: in the declaration's words.

The engine speaks in ids (a category ``contact_details``, a rule ``contact_details/enquiries
after enquiry_closed``); an operator reads the declaration's labels in the panel's language
("Contact details", "Enquiries: 12 months after the enquiry is closed without a contract").
An id the declaration in force does not know is shown as it is, so nothing is hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from privet.policy.schema import Declaration
from privet.registry import Kept, SourcePlan
from privet.rights.labels import category_label, kept_reason, rule_label, source_label

__all__ = ["category_label", "plan_tables", "result_tables", "rule_label"]


@dataclass(frozen=True)
class KeptRow:
    records: int
    reason: str
    rules: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StoreTable:
    """One store's part of a plan or a result, ready for the template."""

    source: str
    label: str = ""  # the store in words (the source's label), else its name
    records: int = 0
    holdings: list[tuple[str, int]] = field(default_factory=list)
    kept: list[KeptRow] = field(default_factory=list)
    restricted: int = 0
    erased: int | None = None
    changed: int | None = None


def _kept_rows(declaration: Declaration | None, kept: Any) -> list[KeptRow]:
    rows = []
    for k in kept or ():
        if isinstance(k, Kept):
            rows.append(KeptRow(k.records, kept_reason(k.reason),
                                [rule_label(declaration, r) for r in k.rules]))
        elif isinstance(k, dict):
            rows.append(KeptRow(int(k.get("records") or 0), kept_reason(str(k.get("reason") or "")),
                                [rule_label(declaration, r) for r in k.get("rules") or ()]))
    return rows


def plan_tables(declaration: Declaration | None, plans: tuple[SourcePlan, ...]) -> list[StoreTable]:
    return [StoreTable(
        source=p.source, label=source_label(p.source), records=p.records,
        holdings=[(category_label(declaration, c), n) for c, n in p.holdings.items()],
        kept=_kept_rows(declaration, p.kept), restricted=p.restricted,
    ) for p in plans]


def result_tables(declaration: Declaration | None, result: dict[str, Any]) -> list[StoreTable]:
    """``request.result["sources"]`` (the engine's layout, see the rights brief) as tables."""
    tables = []
    for name, part in (result.get("sources") or {}).items():
        if not isinstance(part, dict):
            continue
        tables.append(StoreTable(
            source=name, label=source_label(name), records=int(part.get("records") or 0),
            holdings=[(category_label(declaration, c), n)
                      for c, n in (part.get("holdings") or {}).items()],
            kept=_kept_rows(declaration, part.get("kept")),
            erased=part.get("erased"), changed=part.get("changed"),
        ))
    return tables
