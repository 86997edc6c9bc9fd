"""The policy declaration: pydantic models over the YAML file an operator edits.

Structure is checked by the models; references between parts (a retention rule naming a
category, a purpose naming a legal basis) are checked by :func:`reference_problems`, so that a
bad file is reported with the path of the offending field, e.g. ``retention[3].category``.
The JSON Schema in ``docs/policy.schema.json`` is generated from these models
(``privet policy schema``).
"""

from __future__ import annotations

import calendar
import re
from collections import Counter
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_serializer,
)

SCHEMA_VERSION = 1
LANGUAGES = ("en", "pl")

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Url = Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$")]
Origin = Annotated[str, StringConstraints(pattern=r"^https?://[a-z0-9.\-]+(:\d+)?$")]
# A DNS host name in lower case, no scheme, port or path: what the outbound client allow-lists.
Host = Annotated[str, StringConstraints(
    max_length=253,
    pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$",
)]

PERIOD_RE = re.compile(r"^(?P<n>[1-9]\d{0,3})(?P<unit>[dwmy])$")
PERIOD_UNITS = {"d": "days", "w": "weeks", "m": "months", "y": "years"}


# A signed whole number and a unit: to tell a period that is not positive from no period at all.
_SIGNED_PERIOD_RE = re.compile(r"^\s*(?P<sign>[-+]?)\s*(?P<n>\d+)\s*[dwmy]\s*$")


def _check_period(value: str) -> str:
    if PERIOD_RE.match(value):
        return value
    signed = _SIGNED_PERIOD_RE.match(value)
    if signed and (signed["sign"] == "-" or int(signed["n"]) == 0):
        raise ValueError(
            f"the period {value!r} is not positive: a rule keeps data for at least 1 day; "
            "write a whole number from 1 and a unit, e.g. 90d, 6w, 12m or 6y"
        )
    raise ValueError(
        f"{value!r} is not a period: write a number and a unit, e.g. 90d, 6w, 12m or 6y"
    )


Period = Annotated[str, AfterValidator(_check_period)]


def add_period(start: datetime | date, period: str) -> datetime | date:
    """``start`` plus a declared period, with calendar months and years (Feb 29 -> Feb 28)."""
    match = PERIOD_RE.match(period)
    if not match:
        raise ValueError(f"not a period: {period!r}")
    n, unit = int(match["n"]), match["unit"]
    if unit in "dw":
        from datetime import timedelta

        return start + timedelta(days=n * (7 if unit == "w" else 1))
    months = n * (12 if unit == "y" else 1)
    year, month0 = divmod(start.month - 1 + months, 12)
    year += start.year
    day = min(start.day, calendar.monthrange(year, month0 + 1)[1])
    return start.replace(year=year, month=month0 + 1, day=day)


def period_months(period: str) -> int:
    """A declared period in whole months, rounded up (for month-granular storage, e.g. partitions)."""
    match = PERIOD_RE.match(period)
    if not match:
        raise ValueError(f"not a period: {period!r}")
    n, unit = int(match["n"]), match["unit"]
    days = {"d": n, "w": 7 * n}.get(unit)
    return n * 12 if unit == "y" else n if unit == "m" else -(-days // 28)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A text in every language the site speaks."""

    en: str = Field(min_length=1)
    pl: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return getattr(self, lang, self.en)


class TextList(Strict):
    en: list[str]
    pl: list[str]

    def get(self, lang: str) -> list[str]:
        return getattr(self, lang, self.en)


class Address(Strict):
    street: str
    postal_code: str
    city: str
    country: Text


class Controller(Strict):
    name: str
    tax_id_label: str = "NIP"
    tax_id: str
    address: Address
    website: Url
    email: Email


class PrivacyContact(Strict):
    email: Email
    dpo: str | None = Field(None, description="Data protection officer, if one is appointed.")


class SupervisoryAuthority(Strict):
    name: Text
    address: str
    url: Url


class Version(Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z.\-]{0,31}$")]
    effective: date
    changelog: list[Text] = Field(min_length=1)


class DataSubjectKind(Strict):
    id: Slug
    label: Text


Source = Literal[
    "data_subject", "client", "integration_api", "website_visit", "public_register", "operator"
]


class Category(Strict):
    id: Slug
    label: Text
    description: Text
    examples: TextList
    sources: list[Source] = Field(min_length=1)
    special: bool = Field(False, description="A special category under GDPR Art. 9.")
    more_proof: bool = Field(
        False,
        description=(
            "A request about this category may need more proof of identity than control of the "
            "email address (GDPR Art. 12(6)): the rights panel offers to ask the person for it."
        ),
    )

    @model_serializer(mode="wrap")
    def _omit_defaults_added_later(self, handler):
        """Leave out ``more_proof`` while false, so declarations published before it existed
        keep their canonical JSON, and with it their content hash."""
        data = handler(self)
        if not data.get("more_proof"):
            data.pop("more_proof", None)
        return data


class LegalBasis(Strict):
    id: Slug
    article: Literal[
        "6(1)(a)", "6(1)(b)", "6(1)(c)", "6(1)(d)", "6(1)(e)", "6(1)(f)"
    ]
    label: Text
    description: Text


class Provision(Strict):
    """Art. 13(2)(e): whether the data must be provided and what follows if it is not."""

    requirement: Literal["voluntary", "contractual", "statutory", "precontractual"]
    consequence: Text


class Purpose(Strict):
    id: Slug
    label: Text
    description: Text
    legal_bases: list[Slug] = Field(min_length=1)
    legitimate_interest: Text | None = Field(
        None, description="Required when a legal basis is Art. 6(1)(f)."
    )
    categories: list[Slug] = Field(min_length=1)
    data_subjects: list[Slug] = Field(min_length=1)
    recipients: list[Slug] = Field(default_factory=list)
    provision: Provision
    special_condition: Literal[
        "9(2)(a)", "9(2)(b)", "9(2)(c)", "9(2)(d)", "9(2)(e)",
        "9(2)(f)", "9(2)(g)", "9(2)(h)", "9(2)(i)", "9(2)(j)",
    ] | None = Field(
        None, description="Required when the purpose processes a special category (GDPR Art. 9(2))."
    )


class Recipient(Strict):
    id: Slug
    label: Text
    description: Text
    processor: bool = Field(True, description="Acts on the controller's instructions (Art. 28).")


Trigger = Literal[
    "collected",
    "last_contact",
    "enquiry_closed",
    "contract_end",
    "consent_withdrawn",
    "integration_revoked",
    "request_closed",
    "financial_year_end",
    "account_closed",
]


class RetentionRule(Strict):
    category: Slug
    purpose: Slug
    period: Period
    after: Trigger
    until_year_end: bool = Field(
        False, description="Extend to the end of the calendar year (Civil Code Art. 118)."
    )
    legal_ground: Text

    def expires_at(self, trigger_time: datetime) -> datetime:
        """When a record whose trigger happened at ``trigger_time`` must be gone."""
        end = add_period(trigger_time, self.period)
        if self.until_year_end:
            # The year's end is the first instant of the next one: a record is still there at
            # 23:59:59 on 31 December and gone from midnight (in the zone of ``trigger_time``).
            end = end.replace(year=end.year + 1, month=1, day=1, hour=0, minute=0, second=0,
                              microsecond=0)
        return end  # type: ignore[return-value]


class Transfers(Strict):
    outside_eea: bool
    description: Text


class AutomatedDecisions(Strict):
    used: bool
    description: Text


class Cookie(Strict):
    name: str
    provider: str
    duration: Text
    description: Text


ConsentSignal = Literal["ad_storage", "analytics_storage", "ad_user_data", "ad_personalization"]


class CookiePurpose(Strict):
    id: Slug
    label: Text
    description: Text
    required: bool = Field(False, description="Essential: always on, needs no consent.")
    legal_basis: Slug
    consent_mode: list[ConsentSignal] = Field(
        default_factory=list, description="Google Consent Mode v2 signals this purpose grants."
    )
    cookies: list[Cookie] = Field(default_factory=list)


class Cookies(Strict):
    intro: Text
    purposes: list[CookiePurpose] = Field(min_length=1)


class Website(Strict):
    id: Slug
    origins: list[Origin] = Field(min_length=1)


class DataScope(Strict):
    id: Slug
    label: Text


class Connector(Strict):
    id: Slug
    label: Text
    description: Text
    hosts: list[Host] = Field(min_length=1, description="The only hosts the client may call.")
    may_read: list[DataScope] = Field(min_length=1)
    categories: list[Slug] = Field(min_length=1)
    purposes: list[Slug] = Field(min_length=1)
    never: TextList


class Integrations(Strict):
    description: Text
    kinds: TextList
    principles: TextList
    connectors_heading: Text | None = Field(
        None, description="The heading of the section on connectors (default: 'Connected platforms')."
    )
    connectors_intro: Text | None = Field(
        None, description="The paragraph that opens the section on connectors: what any of them may do."
    )
    connectors: list[Connector] = Field(default_factory=list)


RightId = Literal[
    "access",
    "rectification",
    "erasure",
    "restriction",
    "objection",
    "portability",
    "withdraw_consent",
    "complaint",
]


class Right(Strict):
    id: RightId
    article: str
    label: Text
    description: Text


class Declaration(Strict):
    """A whole privacy policy, as data."""

    schema_version: Literal[1] = SCHEMA_VERSION
    version: Version
    title: Text
    summary: Text
    controller: Controller
    privacy_contact: PrivacyContact
    supervisory_authority: SupervisoryAuthority
    data_subjects: list[DataSubjectKind] = Field(min_length=1)
    categories: list[Category] = Field(min_length=1)
    legal_bases: list[LegalBasis] = Field(min_length=1)
    purposes: list[Purpose] = Field(min_length=1)
    recipients_intro: Text | None = Field(None, description="The statement above the recipients.")
    recipients: list[Recipient] = Field(default_factory=list)
    retention_intro: Text
    retention: list[RetentionRule] = Field(min_length=1)
    transfers: Transfers
    automated_decisions: AutomatedDecisions
    integrations: Integrations
    rights_how: Text
    rights: list[Right] = Field(min_length=1)
    cookies: Cookies
    websites: list[Website] = Field(default_factory=list)
    security_measures: TextList
    updates: Text
    closing: Text | None = None

    # --- lookups used by renderers and engines -----------------------------------------
    def category(self, category_id: str) -> Category:
        return next(c for c in self.categories if c.id == category_id)

    def purpose(self, purpose_id: str) -> Purpose:
        return next(p for p in self.purposes if p.id == purpose_id)

    def legal_basis(self, basis_id: str) -> LegalBasis:
        return next(b for b in self.legal_bases if b.id == basis_id)

    def connector(self, connector_id: str) -> Connector | None:
        """The declared connector ``connector_id`` (its hosts, what it may read, its "never"
        list), or ``None`` when the declaration does not list it."""
        return next((c for c in self.integrations.connectors if c.id == connector_id), None)

    def rules_for(self, *, category: str | None = None, purpose: str | None = None):
        return [
            r
            for r in self.retention
            if (category is None or r.category == category)
            and (purpose is None or r.purpose == purpose)
        ]

    @property
    def category_ids(self) -> set[str]:
        return {c.id for c in self.categories}


def reference_problems(decl: Declaration) -> list[tuple[str, str]]:
    """Every broken cross-reference in ``decl``, as ``(field path, message)`` pairs."""
    problems: list[tuple[str, str]] = []

    def known(kind: str, items) -> set[str]:
        ids = [i.id for i in items]
        for dup, count in Counter(ids).items():
            if count > 1:
                problems.append((kind, f"id {dup!r} is declared {count} times"))
        return set(ids)

    categories = known("categories", decl.categories)
    bases = known("legal_bases", decl.legal_bases)
    purposes = known("purposes", decl.purposes)
    recipients = known("recipients", decl.recipients)
    subjects = known("data_subjects", decl.data_subjects)
    known("cookies.purposes", decl.cookies.purposes)
    known("integrations.connectors", decl.integrations.connectors)
    known("websites", decl.websites)
    known("rights", decl.rights)  # type: ignore[arg-type]

    def check(path: str, value: str, pool: set[str], what: str) -> None:
        if value not in pool:
            choices = ", ".join(sorted(pool)) or "none"
            problems.append((path, f"{value!r} is not a declared {what} (declared: {choices})"))

    for i, p in enumerate(decl.purposes):
        for j, b in enumerate(p.legal_bases):
            check(f"purposes[{i}].legal_bases[{j}]", b, bases, "legal basis")
        for j, c in enumerate(p.categories):
            check(f"purposes[{i}].categories[{j}]", c, categories, "category")
        for j, r in enumerate(p.recipients):
            check(f"purposes[{i}].recipients[{j}]", r, recipients, "recipient")
        for j, s in enumerate(p.data_subjects):
            check(f"purposes[{i}].data_subjects[{j}]", s, subjects, "data subject kind")
        articles = {b.article for b in decl.legal_bases if b.id in p.legal_bases}
        if "6(1)(f)" in articles and p.legitimate_interest is None:
            problems.append(
                (f"purposes[{i}].legitimate_interest",
                 "a purpose based on legitimate interest (Art. 6(1)(f)) must name the interest")
            )
        special = [c.id for c in decl.categories if c.special and c.id in p.categories]
        if special and p.special_condition is None:
            problems.append(
                (f"purposes[{i}].special_condition",
                 f"the purpose processes special category {special[0]!r}: name the GDPR Art. 9(2) "
                 "condition that allows it, e.g. 9(2)(a) for explicit consent")
            )
    for i, r in enumerate(decl.retention):
        check(f"retention[{i}].category", r.category, categories, "category")
        check(f"retention[{i}].purpose", r.purpose, purposes, "purpose")
        if (r.purpose in purposes and r.category in categories
                and r.category not in decl.purpose(r.purpose).categories):
            problems.append(
                (f"retention[{i}]",
                 f"purpose {r.purpose!r} does not process category {r.category!r}")
            )
    # Every category a purpose processes needs a concrete period: no "as long as necessary".
    covered = {(r.category, r.purpose) for r in decl.retention}
    for i, p in enumerate(decl.purposes):
        for c in p.categories:
            if c in categories and (c, p.id) not in covered:
                problems.append(
                    (f"purposes[{i}].categories",
                     f"no retention rule says how long category {c!r} is kept for purpose "
                     f"{p.id!r}; add one under 'retention'")
                )
    for i, c in enumerate(decl.categories):
        if not any(c.id in p.categories for p in decl.purposes):
            problems.append((f"categories[{i}]", f"category {c.id!r} is used by no purpose"))
    # ePrivacy Art. 5(3): only what is strictly necessary may be stored without consent.
    consent_bases = {b.id for b in decl.legal_bases if b.article == "6(1)(a)"}
    for i, cp in enumerate(decl.cookies.purposes):
        check(f"cookies.purposes[{i}].legal_basis", cp.legal_basis, bases, "legal basis")
        if cp.legal_basis not in bases:
            continue
        if not cp.required and cp.legal_basis not in consent_bases:
            problems.append(
                (f"cookies.purposes[{i}].legal_basis",
                 f"cookie purpose {cp.id!r} is not essential, so it needs consent (a legal basis "
                 "with article 6(1)(a)); or mark it required if the site cannot work without it")
            )
        if cp.required and cp.legal_basis in consent_bases:
            problems.append(
                (f"cookies.purposes[{i}].legal_basis",
                 f"cookie purpose {cp.id!r} is essential (always on), so it cannot rest on consent, "
                 "which the visitor may refuse")
            )
    if not any(cp.required for cp in decl.cookies.purposes):
        problems.append(("cookies.purposes", "one cookie purpose must be required (essential)"))
    for i, conn in enumerate(decl.integrations.connectors):
        for j, c in enumerate(conn.categories):
            check(f"integrations.connectors[{i}].categories[{j}]", c, categories, "category")
        for j, p in enumerate(conn.purposes):
            check(f"integrations.connectors[{i}].purposes[{j}]", p, purposes, "purpose")
    return problems
