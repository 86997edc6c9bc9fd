"""The contract between the apps that hold personal data and the engines that act on it.

Each app keeps a ``privacy.py`` module (discovered at start-up, the way ``admin.py`` is) that
registers with :data:`registry`. Registration is data, not behaviour: the engines (rights,
retention, integrations) are written against these types and never learn an app's models or
field names.

Four kinds of registration:

- :meth:`PrivacyRegistry.personal_data` maps model fields to categories of the policy
  declaration. The drift check (``privet.E001``...) fails ``manage.py check`` for a field that
  looks personal and is not mapped, so code can never store what the policy does not mention.
- :meth:`PrivacyRegistry.subject_source` plugs a store into the rights engine. A source answers
  :meth:`SubjectSource.plan` (what it holds about one person, by declared category, and which
  records a duty keeps, with the reason and the declared rule) without changing anything, and
  then acts: export, rectify person *attributes* (:data:`ATTRIBUTES`, never field names),
  restrict and lift a restriction, record an objection, erase. Every action takes keyword-only
  ``actor=`` (who does it: a user or ``"system:rights"``) and ``request_ref=`` (the rights
  request's reference), and writes its audit events with both.
- :meth:`PrivacyRegistry.retention_target` tells the retention engine which records of a model
  the declaration's rules cover: the categories they hold, the purposes they serve, and which
  timestamp answers each trigger of the declaration's ``after:`` vocabulary
  (:data:`TRIGGERS`). The rules themselves (period, trigger, ``until_year_end``) come only from
  the declaration, so changing a rule there changes what expires with no code change
  (:meth:`RetentionTarget.expired`).
- Reasons instead of registrations, so that "nothing registered" is always a decision someone
  wrote down: :meth:`~PrivacyRegistry.not_a_subject_source`,
  :meth:`~PrivacyRegistry.no_retention_target` (per model) and
  :meth:`~PrivacyRegistry.rule_without_target` (a declared rule no target enforces: the data
  is kept outside Privet, or by an app not installed yet).

``privet.policy.checks`` enforces the coverage (``privet.E006``-``E011``): every model holding
mapped personal data has a source and a target or a reason; every declared retention rule has a
target or a reason; triggers, categories, purposes and attributes are declared words; names are
unique. ``privet/tests/test_registry_contract.py`` runs one contract test over every registered
source, so a new app's source is tested the day it registers.

Two roles (DESIGN.md, "Clients, controller and processor"): a source of the studio's own data
is the ``controller``'s and answers any verified person; a ``processor`` source holds a client's
data and answers only a :class:`SubjectQuery` that names that client (the request is routed to
the client, the controller, with the studio's assistance recorded).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_args, runtime_checkable

from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from privet.errors import PrivetError
from privet.policy.schema import PERIOD_RE, Trigger, add_period

if TYPE_CHECKING:
    from privet.core.partitions import MonthlyPartitions
    from privet.policy.schema import Declaration, RetentionRule

# The declaration's ``after:`` vocabulary: what a retention period counts from.
TRIGGERS: frozenset[str] = frozenset(get_args(Trigger))

# Person attributes a rights request may correct (GDPR Art. 16). A source says which of these it
# holds; it maps them to its own fields, which the rights engine never sees.
ATTRIBUTES: frozenset[str] = frozenset(
    {"name", "email", "phone", "company", "postal_address", "language"}
)

Role = Literal["controller", "processor"]


class UnknownAttribute(PrivetError):
    code = "unknown_attribute"


# --- Who a request is about -------------------------------------------------------------------

@dataclass(frozen=True)
class SubjectQuery:
    """Who a rights request is about: the identifiers the person proved they control.

    ``client`` is the id of the studio's client whose data is asked about, for data the studio
    holds as that client's processor; ``None`` for the studio's own data. Processor sources
    answer only a query that names their client.

    ``handle`` is the person's username on a platform (``@anna.tt`` on TikTok): the
    identifier by which a client's integration data names people, which hold no email.
    """

    email: str | None = None
    phone: str | None = None
    visitor_id: str | None = None
    client: str | None = None
    handle: str | None = None

    def identifiers(self) -> dict[str, str]:
        """The identifiers given, ``{"email": ..., ...}`` (the client is not one)."""
        return {k: v for k, v in (("email", self.email), ("phone", self.phone),
                                  ("visitor_id", self.visitor_id), ("handle", self.handle)) if v}


# --- What a source answers ---------------------------------------------------------------------

@dataclass(frozen=True)
class RuleRef:
    """A declared retention rule, named by what identifies it in the declaration."""

    category: str
    purpose: str
    after: str

    @classmethod
    def of(cls, rule: RetentionRule) -> RuleRef:
        return cls(rule.category, rule.purpose, rule.after)

    def __str__(self) -> str:
        return f"{self.category}/{self.purpose} after {self.after}"


@dataclass(frozen=True)
class Kept:
    """Records a source keeps (or leaves unchanged) and why: a person-readable reason (English,
    marked with ``gettext_noop`` and translated where it is shown), and the declared rules that
    keep them, if a rule does (the audit log's accountability duty is law, not a declared
    rule)."""

    records: int
    reason: str
    rules: tuple[RuleRef, ...] = ()


@dataclass(frozen=True)
class SourcePlan:
    """What one source holds about a person, before anything is done (``plan`` changes nothing).

    ``holdings`` counts the records holding each declared category (a record holding two
    categories counts under both); ``records`` counts each record once.
    """

    source: str
    records: int = 0
    holdings: Mapping[str, int] = field(default_factory=dict)
    kept: tuple[Kept, ...] = ()
    restricted: int = 0

    @property
    def kept_records(self) -> int:
        return sum(k.records for k in self.kept)

    @property
    def erasable(self) -> int:
        """How many records an erasure would remove or anonymise now."""
        return self.records - self.kept_records


@dataclass(frozen=True)
class ErasureReport:
    """What an erasure did: erased (or anonymised) and kept, with reasons.

    ``keys`` names the erased records as the source knows them (primary keys, as text), for the
    erasure ledger: after a restore from backup, :meth:`ErasesKeys.erase_keys` erases them again.
    A source that cannot name them leaves it empty (its erasures are then not replayed).
    """

    source: str
    erased: int = 0
    kept: tuple[Kept, ...] = ()
    keys: tuple[str, ...] = ()

    @property
    def kept_records(self) -> int:
        return sum(k.records for k in self.kept)


@dataclass(frozen=True)
class ActionReport:
    """What a rectification, restriction, lifting or objection changed, and what it left alone."""

    source: str
    changed: int = 0
    not_changed: tuple[Kept, ...] = ()


@runtime_checkable
class SubjectSource(Protocol):
    """A store of personal data that the rights engine can plan for and act on.

    ``models`` are the models whose personal data it answers for (the coverage check needs each
    such model covered); ``attributes`` the subset of :data:`ATTRIBUTES` it can correct.
    Actions are idempotent: doing one twice changes nothing the second time.

    Optional attributes (read with ``getattr``, so a source without them still keeps the
    contract): ``label``, the store in words for the person and the operator ("Enquiries and
    projects"), translatable (``gettext_lazy``), shown by mail, the panel and the access
    archive's README in the reader's language (:meth:`PrivacyRegistry.source_label`; the
    ``name`` where there is none); ``provided_by_subject``, whether portability exports it.

    A :class:`Kept` reason is English text marked for translation (``gettext_noop``) and
    stored as it is in the request's result; readers translate it when they show it, so what
    is stored does not depend on the language the worker ran in.
    """

    name: str
    role: Role
    models: tuple[type[models.Model], ...]
    attributes: frozenset[str]

    def plan(self, subject: SubjectQuery) -> SourcePlan: ...
    def export(self, subject: SubjectQuery, *, actor: Any, request_ref: str) -> dict[str, Any]: ...
    def rectify(self, subject: SubjectQuery, changes: Mapping[str, str], *, actor: Any,
                request_ref: str) -> ActionReport: ...
    def restrict(self, subject: SubjectQuery, *, actor: Any, request_ref: str) -> ActionReport: ...
    def lift_restriction(self, subject: SubjectQuery, *, actor: Any,
                         request_ref: str) -> ActionReport: ...
    def object(self, subject: SubjectQuery, *, actor: Any, request_ref: str) -> ActionReport: ...
    def erase(self, subject: SubjectQuery, *, actor: Any, request_ref: str) -> ErasureReport: ...
    def is_restricted(self, record: models.Model) -> bool: ...


@runtime_checkable
class ErasesKeys(Protocol):
    """Optional on a :class:`SubjectSource`: erase again, by key, records that an erasure erased
    and a restored backup brought back (``privet rights replay-erasures``). Keys not present are
    skipped; returns the keys it erased, auditing each with ``actor`` and ``request_ref``."""

    def erase_keys(self, keys: Iterable[str], *, actor: Any, request_ref: str) -> list[str]: ...


def erase_keys(source: SubjectSource, keys: Iterable[str], *, actor: Any,
               request_ref: str) -> list[str] | None:
    """Erase ``keys`` again through ``source``, or ``None`` when the source cannot (it has no
    ``erase_keys``): the default every source gets without writing one."""
    if not isinstance(source, ErasesKeys):
        return None
    return source.erase_keys(keys, actor=actor, request_ref=request_ref)


class EvidenceSource:
    """Base of a source whose records are evidence (proof of consent, the audit log): exported,
    never corrected, restricted or erased on request. A subclass sets ``name``, ``models`` and
    ``category`` and answers :meth:`kept` (every record it holds about the person, with the
    reason) and ``export``."""

    role: Role = "controller"
    attributes: frozenset[str] = frozenset()
    name: str
    category: str

    def kept(self, subject: SubjectQuery) -> tuple[Kept, ...]:
        raise NotImplementedError

    def plan(self, subject: SubjectQuery) -> SourcePlan:
        kept = self.kept(subject)
        records = sum(k.records for k in kept)
        return SourcePlan(self.name, records, {self.category: records} if records else {}, kept)

    def rectify(self, subject: SubjectQuery, changes: Mapping[str, str], *, actor: Any,
                request_ref: str) -> ActionReport:
        refuse_unknown_attributes(self, changes)  # type: ignore[arg-type]
        return ActionReport(self.name)

    def restrict(self, subject: SubjectQuery, *, actor: Any, request_ref: str) -> ActionReport:
        return ActionReport(self.name, 0, self.kept(subject))

    def lift_restriction(self, subject: SubjectQuery, *, actor: Any,
                         request_ref: str) -> ActionReport:
        return ActionReport(self.name)

    def object(self, subject: SubjectQuery, *, actor: Any, request_ref: str) -> ActionReport:
        return ActionReport(self.name, 0, self.kept(subject))

    def erase(self, subject: SubjectQuery, *, actor: Any, request_ref: str) -> ErasureReport:
        return ErasureReport(self.name, 0, self.kept(subject))

    def is_restricted(self, record: models.Model) -> bool:
        return False


def refuse_unknown_attributes(source: SubjectSource, changes: Mapping[str, str]) -> None:
    """Raise :class:`UnknownAttribute` for a change the source cannot make (nothing changes)."""
    unknown = set(changes) - set(source.attributes)
    if unknown:
        raise UnknownAttribute(
            f"{source.name} cannot correct {', '.join(sorted(unknown))}; it holds "
            f"{', '.join(sorted(source.attributes)) or 'no correctable attribute'}."
        )


# --- Retention targets -------------------------------------------------------------------------

@dataclass(frozen=True)
class TriggerTime:
    """A trigger answered by a timestamp field plus a fixed delay, when no column records the
    moment itself. Consent receipts: a choice is replaced or lapses at the latest when the
    consent cookie expires, a year after the receipt (``TriggerTime("created_at", "12m")``)."""

    field: str
    plus: str = ""


def _min_days(period: str) -> int:
    """A lower bound of ``period`` in days (a month is at least 28, a year at least 365)."""
    if not period:
        return 0
    match = PERIOD_RE.match(period)
    if not match:
        raise ValueError(f"not a period: {period!r}")
    n, unit = int(match["n"]), match["unit"]
    return n * {"d": 1, "w": 7, "m": 28, "y": 365}[unit]


def _local(moment: datetime | date) -> datetime:
    """``moment`` in local time (``PRIVET_TIME_ZONE``); a day counts from its start there."""
    tz = timezone.get_default_timezone()  # not a request's activated zone: the same for everyone
    if isinstance(moment, datetime):
        return timezone.localtime(moment, tz)
    return timezone.make_aware(datetime.combine(moment, time.min), tz)


def rule_expiry(rule: RetentionRule, trigger_time: datetime | date) -> datetime:
    """When a record whose trigger happened at ``trigger_time`` must be gone under ``rule``.

    Counted in local time, so a rule that runs ``until_year_end`` ends with the calendar year in
    Warsaw (a trigger at 00:30 on 1 January there is already in the new year, though it is
    still 31 December in UTC): the record is still there at 23:59 on 31 December.
    """
    return rule.expires_at(_local(trigger_time))


@dataclass(frozen=True)
class RetentionTarget:
    """Records of one model (``scope`` narrows them) that the declaration's rules expire.

    A rule applies to a record when its category is in ``categories``, its purpose in
    ``purposes`` and its trigger in ``triggers``. A record expires at the latest expiry of the
    rules that apply, counted from its trigger fields; with none, it is kept, and so it is
    while any of their triggers is still to come (a project not yet ended). ``held`` matches
    records the engine must keep whatever their expiry (restricted processing, GDPR Art. 18).

    ``expire(records, *, actor, run_ref)`` removes the records it is given (a queryset the
    engine has found expired) by ``method``: deleted, or anonymised where a record must outlive
    the person; it returns how many it removed. It may remove fewer (a partitioned table drops
    only whole months, a restricted record stays); those are offered again on the next run.

    Legal holds (:mod:`privet.retention.holds`) keep records too. A hold on one record needs
    nothing more; a hold on a person needs ``subject`` (the person's records of this model, as
    the rights engine's sources find them), and a hold on a client needs ``client_field`` (the
    field holding the client's id). A target without them cannot be held that way, and the
    panel says so.

    ``partitions`` names the monthly partitions of an append-only table (on PostgreSQL): the
    engine drops a month whole once every record in it has expired and none is held, one
    ``DROP TABLE`` instead of a delete per row. Its column must be the trigger field of every
    rule, so that a month's last instant expiring means every record in it has.
    """

    name: str
    model: type[models.Model]
    categories: frozenset[str]
    purposes: frozenset[str]
    triggers: Mapping[str, str | TriggerTime]
    expire: Callable[..., int]
    method: Literal["delete", "anonymise"] = "delete"
    scope: Q = field(default_factory=Q)
    held: Q | None = None
    subject: Callable[[SubjectQuery], QuerySet] | None = None
    client_field: str | None = None
    partitions: MonthlyPartitions | None = None

    def objects(self) -> QuerySet:
        """Every record of the target (its scope), expired or not."""
        return self.model._default_manager.filter(self.scope)

    def trigger_fields(self, rules: Iterable[RetentionRule]) -> set[str]:
        return {self._trigger(r.after).field for r in rules}

    def _trigger(self, trigger: str) -> TriggerTime:
        value = self.triggers[trigger]
        return value if isinstance(value, TriggerTime) else TriggerTime(value)

    def rules(self, declaration: Declaration) -> list[RetentionRule]:
        """The declared rules this target's records fall under."""
        return [r for r in declaration.retention
                if r.category in self.categories and r.purpose in self.purposes
                and r.after in self.triggers]

    def expires_at(self, record: models.Model, rules: Iterable[RetentionRule]) -> datetime | None:
        """When ``record`` must be gone: the latest expiry of the rules that apply, or ``None``
        while any of their triggers is still to come (it could only make the expiry later)."""
        ends = []
        for rule in rules:
            at = self._trigger(rule.after)
            moment = getattr(record, at.field)
            if moment is None:
                return None
            if at.plus:
                moment = add_period(_local(moment), at.plus)
            ends.append(rule_expiry(rule, moment))
        return max(ends) if ends else None

    def candidates(self, declaration: Declaration, now: datetime) -> QuerySet:
        """Records that may have expired, by a conservative SQL bound (one query when read):
        every applicable rule's trigger happened, none too recently to have run out. The bound
        takes a month as 28 days, a year as 365, and one day less for daylight saving time (days
        are counted on the local calendar, so 90 days may be 90 days less an hour)."""
        rules = self.rules(declaration)
        qs = self.model._default_manager.filter(self.scope)
        if not rules:
            return qs.none()
        now = now.astimezone(UTC)  # whole days of elapsed time, whatever zone ``now`` is in
        for rule in rules:
            at = self._trigger(rule.after)
            bound = now - timedelta(days=max(0, _min_days(rule.period) + _min_days(at.plus) - 1))
            qs = qs.filter(**{f"{at.field}__lte": bound})
        return qs

    def expired(self, declaration: Declaration, now: datetime | None = None,
                ) -> tuple[list[tuple[models.Model, datetime]], list[models.Model]]:
        """``(expired, held)`` under ``declaration`` at ``now``: records whose expiry has come,
        with it, and expired records that ``held`` keeps. Reads the candidates once."""
        now = now or timezone.now()
        rules = self.rules(declaration)
        held_ids: set[Any] = set()
        candidates = self.candidates(declaration, now)
        if self.held is not None:
            held_ids = set(candidates.filter(self.held).values_list("pk", flat=True))
        fields = {self._trigger(r.after).field for r in rules}
        expired, held = [], []
        for record in candidates.only("pk", *fields).order_by("pk").iterator(chunk_size=2000):
            end = self.expires_at(record, rules)
            if end is not None and end <= now:
                if record.pk in held_ids:
                    held.append(record)
                else:
                    expired.append((record, end))
        return expired, held


# --- The registry ------------------------------------------------------------------------------

@dataclass(frozen=True)
class PersonalField:
    """A model field that holds personal data of a declared category."""

    model: type[models.Model]
    field_name: str
    category: str

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field_name}"


@dataclass(frozen=True)
class NotPersonal:
    """A field that looks personal by its name or type but is not, and why (shown in reviews)."""

    model: type[models.Model]
    field_name: str
    reason: str


@dataclass(frozen=True)
class RuleWithoutTarget:
    """A declared retention rule that no target enforces, and why: the data is kept outside
    Privet (accounting), or by an app that is not installed, or its expiry is done by hand."""

    category: str
    purpose: str
    trigger: str
    reason: str


@dataclass
class PrivacyRegistry:
    fields: dict[tuple[str, str], PersonalField] = field(default_factory=dict)
    exempt: dict[tuple[str, str], NotPersonal] = field(default_factory=dict)
    sources: dict[str, SubjectSource] = field(default_factory=dict)
    targets: dict[str, RetentionTarget] = field(default_factory=dict)
    # model label -> why the rights engine / the retention engine does not cover it
    not_sources: dict[str, str] = field(default_factory=dict)
    not_targets: dict[str, str] = field(default_factory=dict)
    rules_without_target: list[RuleWithoutTarget] = field(default_factory=list)
    # Names registered twice, reported by the coverage check (privet.E009) rather than raised at
    # import time, where the error would hide every other problem.
    duplicates: list[str] = field(default_factory=list)

    def personal_data(
        self,
        model: type[models.Model],
        fields: dict[str, str],
        *,
        not_personal: dict[str, str] | None = None,
    ) -> None:
        """Map ``{field_name: category_id}`` for ``model``; ``not_personal`` gives reasons."""
        for name, category in fields.items():
            self.fields[(model._meta.label, name)] = PersonalField(model, name, category)
        for name, reason in (not_personal or {}).items():
            self.exempt[(model._meta.label, name)] = NotPersonal(model, name, reason)

    def subject_source(self, source: SubjectSource) -> None:
        if source.name in self.sources:
            self.duplicates.append(f"subject source {source.name!r}")
        self.sources[source.name] = source

    def retention_target(self, target: RetentionTarget) -> None:
        if target.name in self.targets:
            self.duplicates.append(f"retention target {target.name!r}")
        self.targets[target.name] = target

    def not_a_subject_source(self, model: type[models.Model], reason: str) -> None:
        """``model`` holds mapped personal data that the rights engine does not search: why."""
        self.not_sources[model._meta.label] = reason

    def no_retention_target(self, model: type[models.Model], reason: str) -> None:
        """``model`` holds mapped personal data that no declared rule expires here: why."""
        self.not_targets[model._meta.label] = reason

    def rule_without_target(self, *, category: str, purpose: str, trigger: str,
                            reason: str) -> None:
        """No target enforces the declared rule ``(category, purpose, trigger)``: say why."""
        self.rules_without_target.append(RuleWithoutTarget(category, purpose, trigger, reason))

    # --- questions ---------------------------------------------------------------------------
    def category_of(self, model: type[models.Model], field_name: str) -> str | None:
        mapped = self.fields.get((model._meta.label, field_name))
        return mapped.category if mapped else None

    def is_exempt(self, model: type[models.Model], field_name: str) -> bool:
        return (model._meta.label, field_name) in self.exempt

    def personal_models(self) -> dict[str, type[models.Model]]:
        """Models with at least one field mapped to a category, by label."""
        return {f.model._meta.label: f.model for f in self.fields.values()}

    def source_label(self, name: str) -> str:
        """Source ``name`` in words, in the active language: its ``label`` if it has one, else
        the name itself (a source that stopped being registered keeps showing its name)."""
        label = getattr(self.sources.get(name), "label", None)
        return str(label) if label else name

    def source_for(self, model: type[models.Model]) -> SubjectSource | None:
        return next((s for s in self.sources.values() if model in s.models), None)

    def is_restricted(self, record: models.Model) -> bool:
        """Whether processing of ``record`` is restricted (GDPR Art. 18): the one question other
        code asks before working on a record; the source that holds it answers."""
        source = self.source_for(type(record))
        return bool(source and source.is_restricted(record))

    def targets_for(self, *, category: str, purpose: str, trigger: str) -> list[RetentionTarget]:
        return [t for t in self.targets.values()
                if category in t.categories and purpose in t.purposes and trigger in t.triggers]

    def expiring(self, declaration: Declaration, now: datetime | None = None,
                 ) -> dict[str, list[tuple[models.Model, datetime]]]:
        """Per target, the records expired under ``declaration`` at ``now`` (held ones left out):
        what the retention engine would remove."""
        return {name: t.expired(declaration, now)[0] for name, t in self.targets.items()}


registry = PrivacyRegistry()


def autodiscover() -> None:
    """Import every installed app's ``privacy`` module so its registrations take effect."""
    autodiscover_modules("privacy")

