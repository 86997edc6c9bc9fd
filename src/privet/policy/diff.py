"""What changed between two policy versions, for a person: a summary by part of the policy and
the text of the page, line by line.

The summary compares the two declarations part by part (data categories, purposes, legal bases,
recipients, retention rules, cookie purposes, rights, connected platforms, the controller), by
each item's declared id, in the words the policy page uses (a retention rule reads "6 years after
the contract ends", a purpose's legal basis "Consent (Art. 6(1)(a) GDPR)"): what was added, what
was removed, and for what changed each field before and after. The text diff compares the page
as rendered in one language (:mod:`difflib`), so whatever the summary does not name (a
reworded introduction) still shows. Both are computed from the stored canonical declarations:
no query beyond the two versions, and nothing is cached (a diff is asked for rarely).
"""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from .rendering import policy_context
from .schema import Declaration

ADDED, REMOVED, CHANGED, SAME = "added", "removed", "changed", "same"
# Unchanged lines shown around each change of the text, as in a unified diff.
CONTEXT_LINES = 2


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class ItemChange:
    kind: str  # ADDED, REMOVED or CHANGED
    label: str
    fields: tuple[FieldChange, ...] = ()  # CHANGED: what differs; ADDED/REMOVED: what it says


@dataclass(frozen=True)
class SectionChanges:
    heading: str
    items: tuple[ItemChange, ...]


@dataclass(frozen=True)
class Segment:
    """A run of words in a changed line: ``kind`` SAME, ADDED or REMOVED."""

    kind: str
    text: str


@dataclass(frozen=True)
class TextLine:
    """A line of the page: unchanged (context), removed, added, or changed (with word runs)."""

    kind: str
    text: str = ""
    segments: tuple[Segment, ...] = ()


@dataclass
class PolicyDiff:
    sections: list[SectionChanges] = field(default_factory=list)
    text: list[list[TextLine]] = field(default_factory=list)  # hunks of lines

    @property
    def unchanged(self) -> bool:
        return not self.sections and not self.text


def _joined(values: Any) -> str:
    if isinstance(values, bool):
        return _("yes") if values else _("no")
    if isinstance(values, list | tuple):
        return "; ".join(str(v) for v in values)
    return str(values or "")


def _parts(decl: Declaration, lang: str) -> list[tuple[str, dict[str, tuple[str, dict[str, str]]]]]:
    """Each part of the policy as ``(heading, {key: (label, {field label: words})})``."""
    ctx = policy_context(decl, lang)
    controller = decl.controller
    address = controller.address
    parts: list[tuple[str, dict[str, tuple[str, dict[str, str]]]]] = []

    def part(heading: str, items: dict[str, tuple[str, dict[str, Any]]]) -> None:
        parts.append((heading, {key: (label, {k: _joined(v) for k, v in fields.items()})
                                for key, (label, fields) in items.items()}))

    part(_("Data controller"), {"controller": (controller.name, {
        _("Name"): controller.name,
        _("Address"): f"{address.street}, {address.postal_code} {address.city}, "
                      f"{address.country.get(lang)}",
        _("Tax id"): f"{controller.tax_id_label} {controller.tax_id}",
        _("Website"): controller.website, _("Email"): controller.email,
        _("Privacy contact"): decl.privacy_contact.email,
        _("Data protection officer"): decl.privacy_contact.dpo or "",
    })})
    part(_("Data categories"), {c["id"]: (c["label"], {
        _("Name"): c["label"], _("Description"): c["description"], _("Examples"): c["examples"],
        _("Source"): c["sources"], _("Special category (Art. 9 GDPR)"): c["special"],
    }) for c in ctx["categories"]})
    part(_("Purposes of processing"), {p["id"]: (p["label"], {
        _("Name"): p["label"], _("Description"): p["description"], _("Legal basis"): p["bases"],
        _("Our legitimate interest"): p["interest"], _("Data"): p["categories"],
        _("Recipients"): p["recipients"],
        _("Must you provide it?"): f"{p['requirement']}. {p['consequence']}",
    }) for p in ctx["purposes"]})
    part(_("Legal grounds"), {b.id: (shown["label"], {
        _("Name"): shown["label"], _("Article"): shown["cite"], _("Description"): shown["description"],
    }) for b, shown in zip(decl.legal_bases, ctx["bases"], strict=True)})
    part(_("Recipients and service providers"), {r.id: (shown["label"], {
        _("Name"): shown["label"], _("Description"): shown["description"],
        _("Processes data on our instructions"): shown["processor"],
    }) for r, shown in zip(decl.recipients, ctx["recipients"], strict=True)})
    part(_("Retention period"), {f"{r.category}/{r.purpose}": (
        _("%(data)s, for %(purpose)s") % {"data": shown["category"], "purpose": shown["purpose"]},
        {_("How long"): shown["period"], _("Why"): shown["ground"]},
    ) for r, shown in zip(decl.retention, ctx["retention"], strict=True)})
    part(_("Cookies and technical data"), {cp["id"]: (cp["label"], {
        _("Name"): cp["label"], _("Description"): cp["description"],
        _("Always on (essential)"): cp["required"],
        _("Cookies"): [f"{k['name']} ({k['provider']}, {k['duration']})" for k in cp["cookies"]],
    }) for cp in ctx["cookie_purposes"]})
    part(_("Your rights"), {r["id"]: (r["label"], {
        _("Name"): r["label"], _("Article"): r["cite"], _("Description"): r["description"],
    }) for r in ctx["rights"]})
    part(_("Connected platforms"), {c.id: (shown["label"], {
        _("Name"): shown["label"], _("Description"): shown["description"],
        _("May read"): shown["may_read"], _("Never"): shown["never"], _("Hosts"): shown["hosts"],
    }) for c, shown in zip(decl.integrations.connectors, ctx["connectors"], strict=True)})
    part(_("Other statements"), {
        "transfers": (_("Transfers outside the EEA"), {
            _("Outside the EEA"): decl.transfers.outside_eea,
            _("Description"): decl.transfers.description.get(lang)}),
        "automated": (_("Automated decision-making"), {
            _("Used"): decl.automated_decisions.used,
            _("Description"): decl.automated_decisions.description.get(lang)}),
        "security": (_("Security measures"), {_("Measures"): decl.security_measures.get(lang)}),
    })
    return parts


def _described(fields: dict[str, str], *, added: bool) -> tuple[FieldChange, ...]:
    return tuple(FieldChange(label, "" if added else value, value if added else "")
                 for label, value in fields.items() if value)


def summary(old: Declaration, new: Declaration, lang: str) -> list[SectionChanges]:
    """What was added, removed and changed, part by part (parts without a change are left out)."""
    sections = []
    for (heading, before), (_heading, after) in zip(_parts(old, lang), _parts(new, lang), strict=True):
        items: list[ItemChange] = []
        for key, (label, fields) in after.items():
            if key not in before:
                items.append(ItemChange(ADDED, label, _described(fields, added=True)))
                continue
            old_fields = before[key][1]
            changes = tuple(FieldChange(name, old_fields.get(name, ""), value)
                            for name, value in fields.items() if old_fields.get(name, "") != value)
            if changes:
                items.append(ItemChange(CHANGED, label, changes))
        items += [ItemChange(REMOVED, label, _described(fields, added=False))
                  for key, (label, fields) in before.items() if key not in after]
        if items:
            sections.append(SectionChanges(heading, tuple(items)))
    return sections


_BLOCK_END = re.compile(r"</(p|li|dt|dd|h[1-6]|tr|caption)>|<br\s*/?>", re.IGNORECASE)


def page_lines(decl: Declaration, lang: str, request: HttpRequest) -> list[str]:
    """The policy page's text (its sections, not the site around it) as one line per paragraph,
    list item, table row or heading, whitespace collapsed; the page is rendered as ``request``
    would get it, in ``lang``."""
    with translation.override(lang):
        page = render_to_string("policy/page.html", policy_context(decl, lang), request=request)
    # The sections only: the header names the version, the site around it is the same for both.
    start, end = page.find('<section id="controller">'), page.rfind("</article>")
    page = page[start:end] if 0 <= start < end else page
    text = html.unescape(re.sub(r"<[^>]+>", " ", _BLOCK_END.sub("\n", page)))
    lines = (re.sub(r"\s+", " ", line).strip() for line in text.split("\n"))
    return [re.sub(r" ([,.;:)])", r"\1", line) for line in lines if line]


def _words(before: str, after: str) -> tuple[Segment, ...]:
    old, new = before.split(" "), after.split(" ")
    segments: list[Segment] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            segments.append(Segment(SAME, " ".join(old[i1:i2])))
            continue
        if i2 > i1:
            segments.append(Segment(REMOVED, " ".join(old[i1:i2])))
        if j2 > j1:
            segments.append(Segment(ADDED, " ".join(new[j1:j2])))
    return tuple(segments)


def text_changes(old: Declaration, new: Declaration, lang: str,
                 request: HttpRequest) -> list[list[TextLine]]:
    """The page's changed lines in hunks, each with :data:`CONTEXT_LINES` unchanged lines around
    it; a line replaced by one line is shown once, with its removed and added words marked."""
    a, b = page_lines(old, lang, request), page_lines(new, lang, request)
    hunks = []
    for group in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_grouped_opcodes(CONTEXT_LINES):
        lines: list[TextLine] = []
        for op, i1, i2, j1, j2 in group:
            if op == "equal":
                lines += [TextLine(SAME, line) for line in a[i1:i2]]
            elif op == "replace" and i2 - i1 == j2 - j1:
                lines += [TextLine(CHANGED, segments=_words(x, y))
                          for x, y in zip(a[i1:i2], b[j1:j2], strict=True)]
            else:
                lines += [TextLine(REMOVED, line) for line in a[i1:i2]]
                lines += [TextLine(ADDED, line) for line in b[j1:j2]]
        hunks.append(lines)
    return hunks


def compare(old: Declaration, new: Declaration, lang: str, request: HttpRequest) -> PolicyDiff:
    """The summary and the text diff from ``old`` to ``new``, in ``lang`` (run with it active)."""
    return PolicyDiff(sections=summary(old, new, lang),
                      text=text_changes(old, new, lang, request))
