"""The sweeper: expires every record whose declared retention has run out, and nothing else.

The rules come only from the declaration in force; the records from the targets apps register
(:class:`privet.registry.RetentionTarget`). A record covered by several rules expires at the
latest of their expiries, counted in local time, and never a moment before
(:meth:`RetentionTarget.expires_at`). Records that the target's own rule (a restriction,
Art. 18) or an active legal hold (:mod:`.holds`) keeps are skipped and counted as held.

How a run goes (:func:`sweep`), after Zulip's retention (README, "Retention"):

1. Holds whose end date passed are released (:func:`.holds.release_ended`).
2. On PostgreSQL, a monthly partition (:attr:`RetentionTarget.partitions`) whose last instant
   has expired under the rules of every target sharing its table, and that holds no held
   record, is detached and dropped: one statement for the month, one audit event
   (:func:`_drop_partitions`).
3. Then each target's remaining candidates (a conservative SQL bound, :meth:`candidates`) are read
   in primary-key order, ``LIMIT`` without ``OFFSET`` from the run's cursor, a batch at a time.
   Each batch is one transaction: the target's ``expire`` removes the expired, unheld records
   and writes one audit event for the batch; the run record's counts and cursor move in the same
   transaction. A run killed at any point has therefore done whole batches only, says so, and
   the next run takes it over from its cursor (:func:`start_run`). No batch holds the audit
   chain's lock longer than itself.

A dry run (:func:`plan`) reads the same records and changes nothing: per target and rule, what
would expire and what holds keep, and the earliest next expiry. :func:`upcoming` is what will
expire in the next days (the panel's "next 30 days").
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, connections, transaction
from django.db.models import Model, Q
from django.utils import timezone

from privet.audit import actors
from privet.audit.services import Actor, actor_label, append_event
from privet.core.partitions import month_bounds
from privet.errors import PrivetError
from privet.policy.schema import Declaration, RetentionRule
from privet.policy.selectors import current_version
from privet.registry import RetentionTarget, registry

from . import holds
from .models import RetentionRun, RunStatus

log = logging.getLogger("privet.retention")

BATCH_SIZE = 1000
# A run whose heartbeat is older than this was left by a process that died: the next run takes
# it over. A live run beats after every batch, which takes well under a minute.
STALE_AFTER = timedelta(minutes=5)
DONE = "done"

Progress = Callable[[str, int], None]  # (target name, records read in this step)


class NoPolicy(PrivetError):
    code = "no_policy"
    status = 409


class RunInProgress(PrivetError):
    code = "run_in_progress"
    status = 409


class UnknownRule(PrivetError):
    code = "unknown_rule"
    status = 400


# --- which rules, which targets ---------------------------------------------------------------

def rule_name(rule: RetentionRule) -> str:
    """How a rule is named on the command line and in run records: ``category/purpose/after``."""
    return f"{rule.category}/{rule.purpose}/{rule.after}"


def select_targets(declaration: Declaration, rules: Iterable[str] = ()) -> list[RetentionTarget]:
    """The targets a run sweeps: all, or those a named rule covers (``contact_details/enquiries``
    or ``contact_details/enquiries/enquiry_closed``). A record is still judged by every rule that
    covers it, so naming one rule never expires a record earlier than a full run would."""
    wanted = [w.strip().strip("/") for w in rules if w.strip()]
    targets = sorted(registry.targets.values(), key=lambda t: t.name)
    if not wanted:
        return targets
    names = {rule_name(r) for r in declaration.retention}
    for w in wanted:
        if not any(n == w or n.startswith(w + "/") for n in names):
            raise UnknownRule(f"No declared rule {w!r}; the declaration's rules are: "
                              f"{', '.join(sorted(names))}.")
    return [t for t in targets
            if any(rule_name(r) == w or rule_name(r).startswith(w + "/")
                   for r in t.rules(declaration) for w in wanted)]


def unenforced(rules: Iterable[str]) -> dict[str, str]:
    """Of the named rules, those no store enforces, with the reason registered for each
    (``{"configuration_data/delivery/contract_end": "no app that stores it..."}``)."""
    declaration, _ = _policy()
    wanted = [w.strip().strip("/") for w in rules if w.strip()]
    reasons = {f"{r.category}/{r.purpose}/{r.trigger}": r.reason
               for r in registry.rules_without_target}
    return {rule_name(r): reasons.get(rule_name(r), "")
            for r in declaration.retention
            if any(rule_name(r) == w or rule_name(r).startswith(w + "/") for w in wanted)
            and not registry.targets_for(category=r.category, purpose=r.purpose, trigger=r.after)}


def deciding(target: RetentionTarget, record: Model,
             rules: list[RetentionRule]) -> tuple[datetime, RetentionRule] | None:
    """When ``record`` expires and the rule that decides it (the latest), or ``None`` while a
    trigger is still to come."""
    latest: tuple[datetime, RetentionRule] | None = None
    for rule in rules:
        end = target.expires_at(record, [rule])
        if end is None:
            return None
        if latest is None or end > latest[0]:
            latest = (end, rule)
    return latest


# --- runs -------------------------------------------------------------------------------------

def _policy() -> tuple[Declaration, str]:
    version = current_version()
    if version is None:
        raise NoPolicy("No policy is published, so there are no retention rules to apply: "
                       "publish one with `privet policy publish FILE`.")
    return version.declaration(), version.content_hash


def start_run(*, actor: Actor, rules: list[str]) -> RetentionRun:
    """A new run, or the interrupted one taken over (its heartbeat stopped ``STALE_AFTER``
    ago), so what it had done counts and it goes on from its cursor. Refuses while another
    run is alive."""
    now = timezone.now()
    with transaction.atomic():
        running = (RetentionRun.objects.select_for_update()
                   .filter(status=RunStatus.RUNNING).order_by("started_at").first())
        if running is not None:
            if running.heartbeat_at > now - STALE_AFTER:
                started = timezone.localtime(running.started_at).strftime("%Y-%m-%d %H:%M")
                beat = timezone.localtime(running.heartbeat_at).strftime("%H:%M:%S")
                raise RunInProgress(f"{running.reference} is running (started {started}, last "
                                    f"progress {beat}); wait for it to finish.")
            if sorted(running.rules) == sorted(rules):
                running.heartbeat_at = now
                running.resumed += 1
                running.save(update_fields=["heartbeat_at", "resumed"])
                log.info("retention: %s taken over from a stopped process", running.reference)
                return running
            _finish(running, RunStatus.FAILED, error={"target": "", "error": "Interrupted"})
        return RetentionRun.objects.create(actor=actor_label(actor), rules=sorted(rules),
                                           policy_version=_policy()[1])


def _finish(run: RetentionRun, status: str, *, error: dict[str, str] | None = None) -> None:
    if error:
        run.errors = [*run.errors, error]
    run.status = RunStatus.FAILED if run.errors else status
    run.finished_at = run.heartbeat_at = timezone.now()
    run.save(update_fields=["status", "finished_at", "heartbeat_at", "errors"])
    append_event(actor=run.actor, action="retention.run_finished", obj=run,
                 details={"run": run.reference, "expired": run.total("expired"),
                          "held": run.total("held"), "deferred": run.total("deferred"),
                          "errors": len(run.errors), "rules": run.rules})


def _counts(run: RetentionRun, target: RetentionTarget) -> dict[str, Any]:
    return run.counts.setdefault(target.name, {"expired": 0, "held": 0, "deferred": 0,
                                               "batches": 0, "partitions": [], "rules": {}})


def _save(run: RetentionRun) -> None:
    run.heartbeat_at = timezone.now()
    run.save(update_fields=["counts", "cursor", "heartbeat_at"])


def sweep(*, actor: Actor = actors.RETENTION, rules: Iterable[str] = (),
          batch_size: int = BATCH_SIZE, now: datetime | None = None,
          progress: Progress | None = None) -> RetentionRun:
    """Expire what is due (see the module's docstring); returns the finished run record.

    ``now`` is for tests and the benchmark (a moved clock); the scheduled job and the command
    use the present. An error in one target is recorded on the run (its class, the target) and
    the other targets still run; the run then ends "completed with errors".
    """
    declaration, _ = _policy()
    rules = sorted({r.strip().strip("/") for r in rules if r.strip()})
    targets = select_targets(declaration, rules)
    run = start_run(actor=actor, rules=rules)
    holds.release_ended()
    try:
        _drop_partitions(run, targets, declaration, now or timezone.now(), progress)
    except DatabaseError as exc:
        run.refresh_from_db(fields=["counts", "cursor"])
        run.errors = [*run.errors, {"target": "partitions", "error": type(exc).__name__}]
        run.save(update_fields=["errors"])
    for target in targets:
        if run.cursor.get(target.name) == DONE:
            continue
        try:
            _sweep_target(run, target, declaration, now or timezone.now(), batch_size, progress)
        except DatabaseError as exc:
            _record_error(run, target, exc)
        except Exception as exc:  # one target's bug must not stop the others
            log.exception("retention: %s failed", target.name)
            _record_error(run, target, exc)
    with transaction.atomic():
        _finish(run, RunStatus.COMPLETED)
    log.info("retention: %s %s: %d expired, %d held, %d deferred", run.reference, run.status,
             run.total("expired"), run.total("held"), run.total("deferred"))
    return run


def _record_error(run: RetentionRun, target: RetentionTarget, exc: Exception) -> None:
    run.refresh_from_db(fields=["counts", "cursor"])  # what the failed batch did not commit
    run.errors = [*run.errors, {"target": target.name, "error": type(exc).__name__}]
    run.cursor[target.name] = DONE
    run.save(update_fields=["errors", "cursor"])


def _held(target: RetentionTarget) -> Q | None:
    return holds.held_q(target, list(holds.active_holds()))


def _sweep_target(run: RetentionRun, target: RetentionTarget, declaration: Declaration,
                  now: datetime, batch_size: int, progress: Progress | None) -> None:
    rules = target.rules(declaration)
    counts = _counts(run, target)
    if rules:
        _expire_batches(run, target, declaration, rules, now, batch_size, counts, progress)
    with transaction.atomic():
        run.cursor[target.name] = DONE
        _save(run)


def _drop_partitions(run: RetentionRun, selected: list[RetentionTarget],
                     declaration: Declaration, now: datetime,
                     progress: Progress | None) -> None:
    """Drop wholly expired months of partitioned tables (PostgreSQL), oldest first.

    Targets may share a table (the technical log: requests and security events, each its own
    rule); they must together cover every row of it. A month goes when, for every target of its
    table, the month's last instant has expired under the target's rules and no record of the
    target is held; the first month that fails stops the table, since later ones expire later.
    A run limited to some rules drops a table's months only when it sweeps all its targets."""
    tables: dict[str, list[RetentionTarget]] = {}
    for target in registry.targets.values():
        if target.partitions is not None:
            tables.setdefault(target.partitions.table, []).append(target)
    names = {t.name for t in selected}
    for sharing in tables.values():
        parts = sharing[0].partitions
        if not all(t.name in names for t in sharing) or not parts.is_partitioned():
            continue
        rules = {t.name: t.rules(declaration) for t in sharing}
        if not all(rules.values()) or any(t.trigger_fields([r]) != {parts.column}
                                          for t in sharing for r in rules[t.name]):
            continue  # a target without rules keeps its rows; rows decide, not months
        for month in parts.months():
            start, end = month_bounds(month)
            ends = {t.name: t.expires_at(t.model(**{parts.column: end - timedelta(microseconds=1)}),
                                         rules[t.name]) for t in sharing}
            if any(e is None or e > now for e in ends.values()):
                break
            rows = sharing[0].model._default_manager.filter(**{f"{parts.column}__gte": start,
                                                               f"{parts.column}__lt": end})
            if any((held := _held(t)) is not None and rows.filter(t.scope, held).exists()
                   for t in sharing):
                continue  # a held record: the batches take the rest of this month
            deciding_target = max(sharing, key=lambda t: ends[t.name])
            counts = _counts(run, deciding_target)
            with transaction.atomic():
                estimate = _estimated_rows(parts.name(month))
                name = parts.drop_month(month)
                append_event(actor=run.actor, action="retention.partition_dropped", obj=run,
                             details={"run": run.reference, "store": deciding_target.name,
                                      "partition": name, "records": estimate})
                counts["expired"] += estimate
                counts["partitions"].append(name)
                _save(run)
            if progress:
                progress(deciding_target.name, estimate)


def _estimated_rows(table: str) -> int:
    """The planner's row count of a partition (kept by autovacuum's ANALYZE): counting ten
    million rows exactly would cost more than dropping them."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
        row = cursor.fetchone()
    return max(int(row[0]), 0) if row else 0


def _expire_batches(run: RetentionRun, target: RetentionTarget, declaration: Declaration,
                    rules: list[RetentionRule], now: datetime, batch_size: int,
                    counts: dict[str, Any], progress: Progress | None) -> None:
    fields = target.trigger_fields(rules)
    candidates = target.candidates(declaration, now).order_by("pk").only("pk", *fields)
    while True:
        cursor = run.cursor.get(target.name)
        page = candidates.filter(pk__gt=cursor) if cursor is not None else candidates
        rows = list(page[:batch_size])
        if not rows:
            return
        due: dict[Any, RetentionRule] = {}
        for record in rows:
            decided = deciding(target, record, rules)
            if decided is not None and decided[0] <= now:
                due[record.pk] = decided[1]
        held = _held(target)
        kept = set()
        if due and held is not None:
            kept = set(target.objects().filter(held, pk__in=list(due)).values_list("pk", flat=True))
        todo = [pk for pk in due if pk not in kept]
        with transaction.atomic():
            removed = 0
            if todo:
                removed = target.expire(target.model._default_manager.filter(pk__in=todo),
                                        actor=run.actor, run_ref=run.reference)
            counts["expired"] += removed
            counts["held"] += len(kept)
            counts["deferred"] += len(todo) - removed
            counts["batches"] += 1
            for pk, rule in due.items():
                if pk not in kept:
                    name = rule_name(rule)
                    counts["rules"][name] = counts["rules"].get(name, 0) + 1
            run.cursor[target.name] = _json_key(rows[-1].pk)
            _save(run)
        if progress:
            progress(target.name, len(rows))


def _json_key(pk: Any) -> Any:
    return pk if isinstance(pk, int | str) else str(pk)


# --- reading without changing -----------------------------------------------------------------

@dataclass
class TargetPlan:
    """What a run would do to one target at ``now``."""

    target: str
    method: str
    rules: list[str]
    expired: int = 0
    held: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    first_due: datetime | None = None  # the earliest expiry among ``expired``
    last_due: datetime | None = None
    next_expiry: datetime | None = None  # the earliest expiry still to come


def _scan(target: RetentionTarget, declaration: Declaration, now: datetime,
          since: datetime | None = None) -> TargetPlan:
    """One pass over the target's candidates at ``now``; with ``since``, only what expires
    after it (the upcoming window)."""
    rules = target.rules(declaration)
    plan = TargetPlan(target.name, target.method, [rule_name(r) for r in rules])
    if not rules:
        return plan
    held_filter = _held(target)
    held_pks = (set(target.candidates(declaration, now).filter(held_filter)
                    .values_list("pk", flat=True)) if held_filter is not None else set())
    fields = target.trigger_fields(rules)
    candidates = target.candidates(declaration, now).order_by("pk").only("pk", *fields)
    for record in candidates.iterator(chunk_size=2000):
        decided = deciding(target, record, rules)
        if decided is None:
            continue
        end, rule = decided
        if end > now:
            plan.next_expiry = min(filter(None, (plan.next_expiry, end)))
            continue
        if since is not None and end <= since:
            continue
        if record.pk in held_pks:
            plan.held += 1
            continue
        plan.expired += 1
        plan.by_rule[rule_name(rule)] = plan.by_rule.get(rule_name(rule), 0) + 1
        plan.first_due = min(filter(None, (plan.first_due, end)))
        plan.last_due = max(filter(None, (plan.last_due, end)))
    if len(fields) == 1:  # expiry grows with the one trigger field: the next record decides
        (name,) = fields
        later = (target.objects().filter(**{f"{name}__isnull": False})
                 .exclude(pk__in=target.candidates(declaration, now).values("pk"))
                 .order_by(name).only("pk", name).first())
        if later is not None and (decided := deciding(target, later, rules)) is not None:
            plan.next_expiry = min(filter(None, (plan.next_expiry, decided[0])))
    return plan


def plan(*, rules: Iterable[str] = (), now: datetime | None = None) -> list[TargetPlan]:
    """What a run now would expire, per target and rule, and what holds keep (changes
    nothing). The partitions a run would drop are counted in their records."""
    declaration, _ = _policy()
    now = now or timezone.now()
    return [_scan(t, declaration, now) for t in select_targets(declaration, rules)]


def upcoming(*, days: int = 30, now: datetime | None = None) -> list[TargetPlan]:
    """What will expire in the next ``days`` (not what has expired already): per target, how
    many records, when the first and the last of them fall due, and what holds will keep."""
    declaration, _ = _policy()
    now = now or timezone.now()
    return [p for t in select_targets(declaration)
            if (p := _scan(t, declaration, now + timedelta(days=days), since=now)).expired
            or p.held]


def expiry_of(target: RetentionTarget, record: Model, declaration: Declaration) -> datetime | None:
    """When ``record`` expires under the declaration (the record's page shows it)."""
    rules = target.rules(declaration)
    return target.expires_at(record, rules) if rules else None

