"""Reads for the panel and the audit log's links."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from django.db.models import Model, QuerySet
from django.urls import NoReverseMatch, reverse

from privet.policy.selectors import declaration_in_force
from privet.registry import registry

from . import engine, holds
from .models import HoldScope, LegalHold, RetentionRun


def _urls(model, name: str, object_ids: Iterable[str]) -> dict[str, str]:
    ids = [int(i) for i in object_ids if str(i).isdecimal()]
    try:
        return {str(pk): reverse(name, args=[pk])
                for pk in model.objects.filter(pk__in=ids).values_list("pk", flat=True)}
    except NoReverseMatch:  # the panel's pages are not installed
        return {}


def run_url(object_ids: Iterable[str]) -> dict[str, str]:
    return _urls(RetentionRun, "panel:retention-run", object_ids)


def hold_url(object_ids: Iterable[str]) -> dict[str, str]:
    return _urls(LegalHold, "panel:retention-hold", object_ids)


def recent_runs(limit: int = 20) -> QuerySet[RetentionRun]:
    return RetentionRun.objects.order_by("-started_at")[:limit]


def last_run() -> RetentionRun | None:
    return RetentionRun.objects.order_by("-started_at").first()


# --- the panel's pages ------------------------------------------------------------------------

@dataclass(frozen=True)
class Kept:
    """What one hold keeps in one store now: ``records`` of them, or ``None`` where the store
    cannot be held that way (no person or client to find records by)."""

    target: str
    records: int | None


def records_kept_by(hold: LegalHold) -> list[Kept]:
    """Per store, the records ``hold`` keeps now (whether or not their time has come): what an
    operator checks before lifting it. An ended hold keeps nothing."""
    if hold.scope == HoldScope.RECORD:
        found = registry.targets.get(hold.target)
        candidates = [found] if found is not None else []
    else:
        candidates = sorted(registry.targets.values(), key=lambda t: t.name)
    kept = []
    for target in candidates:
        if hold.scope not in holds.holdable(target):
            kept.append(Kept(target.name, None))
            continue
        q = holds.held_q(replace(target, held=None), [hold]) if hold.is_active() else None
        kept.append(Kept(target.name, target.objects().filter(q).count() if q is not None else 0))
    return kept


def target_of(record: Model) -> str | None:
    """The store (retention target) that holds ``record`` now, for a hold on it."""
    return holds.store_of(type(record), record.pk)


def search_holds(*, state: str = "active") -> QuerySet[LegalHold]:
    """Holds, newest first: ``active`` (in force today), ``ended`` (lifted, or past their end
    date) or any other value for all."""
    active = holds.active_holds()
    if state == "active":
        return active.select_related("placed_by", "lifted_by")
    everything = LegalHold.objects.select_related("placed_by", "lifted_by")
    return everything.exclude(pk__in=active.values("pk")) if state == "ended" else everything


@dataclass(frozen=True)
class Summary:
    """The dashboard's retention card."""

    last_run: RetentionRun | None
    last_expired: int  # by the last run
    active_holds: int
    expiring: int | None  # in the next ``days``; ``None`` with no policy published
    days: int


def summary(days: int = 30) -> Summary:
    try:
        expiring: int | None = sum(p.expired for p in engine.upcoming(days=days))
    except engine.NoPolicy:
        expiring = None
    run = last_run()
    return Summary(run, run.total("expired") if run else 0, holds.active_holds().count(),
                   expiring, days)


@dataclass(frozen=True)
class RecordRetention:
    """What retention holds for one record: its store, when it expires under the policy in
    force (``None`` while its trigger is still to come: a project not ended), and the active
    legal holds that keep it past that."""

    store: str
    expires_at: datetime | None
    holds: list[LegalHold]


def retention_of(record: Model) -> RecordRetention | None:
    """For a record's page; ``None`` when no store holds it or no policy is published."""
    name = target_of(record)
    declaration = declaration_in_force()
    if name is None or declaration is None:
        return None
    target = registry.targets[name]
    return RecordRetention(name, engine.expiry_of(target, record, declaration),
                           holds.holds_keeping(target, record.pk))
