"""The rights engine: plan a request across every registered store, then act, step by step.

The operator sees :func:`plan_request` (what each store holds about the person, and what a duty
keeps) before anything is done; :func:`start` then queues :func:`process_request`,
which runs :func:`process`: one :class:`~.models.RequestStep` per (source, action) of the
request's current ``attempt``, each re-reading its store as it acts (a plan is never acted on
from a cache, so data written in between is not missed).

Exactly once, provably: a step's action, its audit events, its ledger entry and the row that
marks it done are written in ONE transaction (:func:`_run_step`). A worker killed at any moment
leaves either the whole step or none of it; the task is run again (the worker's lease,
:mod:`privet.core.leases`), finds the done steps done and does the rest from the stores' present
state. Each step's transaction first takes the request's row (a conditional UPDATE on its status
and attempt), so two workers never do one step at once, and a step of an attempt that was
replaced, or of a request that was refused or withdrawn meanwhile, is not taken.

What each right does (README, "Carrying a request out"):

- access: every source's export; portability: the exports of the sources whose data the person
  provided (:func:`provided_by_subject`); both then one encrypted archive (:mod:`.archive`).
- rectification: ``source.rectify(subject, request.changes)`` on each source.
- erasure: ``source.erase`` on each source, an :class:`~.models.ErasureRecord` per source that
  erased something, then the declared recipients of the purposes whose data was erased are
  recorded as notified (Art. 19; the operator tells them: the declaration holds no addresses).
- restriction / objection: ``source.restrict`` / ``source.object``.
- withdrawal of consent: a new consent receipt refusing every optional purpose for the
  request's visitor id, and ``source.object`` on the sources whose processing rests on consent.
- data held for a client (processor sources, a request naming the client): summarised for the
  controller (counts per category), the request waits for the client's decision
  (:func:`record_controller_decision`), then goes on or completes.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django_tasks import task

from privet.audit.services import Actor, append_event
from privet.core.bidi import has_bidi_controls
from privet.policy.selectors import declaration_in_force
from privet.registry import (
    ATTRIBUTES,
    ActionReport,
    ErasureReport,
    Kept,
    SourcePlan,
    SubjectQuery,
    SubjectSource,
    registry,
)

from .errors import InvalidRequest, InvalidTransition, ProcessingPaused
from .labels import attribute_label
from .models import (
    REASON_MAX,
    ErasureRecord,
    MailKind,
    RequestStep,
    Right,
    RightsRequest,
    RightsSettings,
    Status,
)
from .services import _text, _transition, _user, is_paused, queue_mail

log = logging.getLogger("privet.rights")

ENGINE_ACTOR = "system:rights"

# Steps that belong to no source (the names start with "_", which no source name does).
ARCHIVE_STEP = ("_archive", "build")
RECIPIENTS_STEP = ("_recipients", "notify")
CONSENT_STEP = ("_consent", "withdraw")

# What the studio does with data it holds for a client, as the client (the controller) decides.
CARRY_OUT = "carry_out"  # act on the client's data as the person asked
CONTROLLER_ANSWERS = "controller_answers"  # the client answers the person itself
DECISIONS = (CARRY_OUT, CONTROLLER_ANSWERS)

# The action on each source, per right.
ACTIONS = {
    Right.ACCESS: "export", Right.PORTABILITY: "export", Right.RECTIFICATION: "rectify",
    Right.ERASURE: "erase", Right.RESTRICTION: "restrict", Right.OBJECTION: "object",
    Right.WITHDRAW_CONSENT: "object",
}
CONSENT_ARTICLE = "6(1)(a)"
CHANGE_MAX = 254  # a corrected value: as long as the longest field it may go to (an email)


def subject_of(request: RightsRequest) -> SubjectQuery:
    """Who the request is about: the identifiers it holds (the email verified; a phone or a
    visitor id only with it), and the client, with the person's handle on the client's
    platforms, for data held as that client's processor."""
    return SubjectQuery(email=request.email, phone=request.phone or None,
                        visitor_id=request.visitor_id or None, client=request.client or None,
                        handle=request.handle or None)


def sources_for(request: RightsRequest) -> list[SubjectSource]:
    """The sources a request reaches, by name: the studio's own (controller) stores always; a
    client's (processor) stores only when the request names that client."""
    return [s for _name, s in sorted(registry.sources.items())
            if s.role == "controller" or request.client]


@dataclass(frozen=True)
class RequestPlan:
    request: RightsRequest
    sources: tuple[SourcePlan, ...]

    @property
    def records(self) -> int:
        return sum(p.records for p in self.sources)

    @property
    def kept(self) -> int:
        return sum(p.kept_records for p in self.sources)

    @property
    def erasable(self) -> int:
        return sum(p.erasable for p in self.sources)


def plan_request(request: RightsRequest) -> RequestPlan:
    """What every store holds about the person now (reads only; one or two queries a store)."""
    subject = subject_of(request)
    return RequestPlan(request, tuple(s.plan(subject) for s in sources_for(request)))


def correctable_attributes(request: RightsRequest) -> list[str]:
    """The attributes (:data:`~privet.registry.ATTRIBUTES`) that some source the request reaches
    can correct, sorted: what a rectification form offers."""
    return sorted(set().union(*(s.attributes for s in sources_for(request))) & ATTRIBUTES)


def clean_changes(request: RightsRequest, changes: Any) -> dict[str, str]:
    """``{attribute: new value}`` for a rectification, checked: known attributes that a source
    holds, text values without control characters, at least one. Raises
    :class:`~.errors.InvalidRequest` (nothing stored)."""
    if not isinstance(changes, dict) or not changes:
        raise InvalidRequest(gettext("Give at least one corrected value for a rectification."))
    allowed = set(correctable_attributes(request))
    cleaned: dict[str, str] = {}
    for attribute, value in changes.items():
        if attribute not in allowed:
            raise InvalidRequest(
                gettext("No store can correct '%(attribute)s'; correctable: %(allowed)s.")
                % {"attribute": attribute,
                   "allowed": ", ".join(attribute_label(a) for a in sorted(allowed))
                   or gettext("none")})
        what = {"attribute": attribute_label(attribute)}
        if not isinstance(value, str) or not value.strip():
            raise InvalidRequest(gettext("The new value of %(attribute)s must be text.") % what)
        value = value.strip()
        if len(value) > CHANGE_MAX or has_bidi_controls(value) or "\x00" in value:
            raise InvalidRequest(gettext("The new value of %(attribute)s is too long or holds a "
                                         "control character.") % what)
        cleaned[attribute] = value
    return cleaned


@transaction.atomic(durable=True)
def start(*, request: RightsRequest, actor: Actor,
          changes: dict[str, str] | None = None) -> RightsRequest:
    """The operator saw the plan and carries the request out: in progress, work queued.

    A rectification needs ``changes`` (``{attribute: new value}``), stored on the request for
    the engine's steps; other rights take none."""

    if is_paused():
        raise ProcessingPaused(
            gettext("Processing of rights requests is paused; resume it first."))
    request = RightsRequest.objects.select_for_update().get(pk=request.pk)
    fields: dict[str, Any] = {"started_at": timezone.now()}
    audit: dict[str, Any] = {}
    if request.right == Right.RECTIFICATION:
        fields["changes"] = clean_changes(request, changes)
        audit["fields"] = sorted(fields["changes"])  # which attributes, never the values
    elif changes:
        raise InvalidRequest(gettext("Only a rectification carries corrected values."))
    request = _transition(request, Status.IN_PROGRESS, actor=actor, action="rights.started",
                          details=audit, **fields)
    _queue(request)
    return request


def categories_needing_more_proof(plan: RequestPlan) -> list[str]:
    """The categories found for the person that the declaration in force marks ``more_proof``
    (GDPR Art. 12(6)): the panel offers to ask the person for more proof before acting."""
    from privet.policy.selectors import declaration_in_force

    declaration = declaration_in_force()
    if declaration is None:
        return []
    held = {c for p in plan.sources for c, n in p.holdings.items() if n}
    return [c.id for c in declaration.categories if c.more_proof and c.id in held]


def _queue(request: RightsRequest) -> None:
    pk, attempt = request.pk, request.attempt
    transaction.on_commit(lambda: process_request.enqueue(pk, attempt))


@transaction.atomic(durable=True)
def reprocess(*, request: RightsRequest, actor: Actor) -> RightsRequest:
    """Start a failed request again from the start: a new ``attempt`` (the earlier attempt's
    steps no longer count), back to verified, audited; then, unless processing is paused, in
    progress again with its work queued. Actions are idempotent, so what the failed attempt
    already did is found done in the stores (nothing is erased twice)."""

    request = RightsRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != Status.FAILED:
        raise InvalidTransition(gettext("%(ref)s has not failed; only a failed request is "
                                        "processed again from the start.")
                                % {"ref": request.reference})
    request = _transition(request, Status.VERIFIED, actor=actor, action="rights.reprocessed",
                          details={"attempt": request.attempt + 1}, attempt=request.attempt + 1,
                          error="", failed_at=None, result={})
    if is_paused():
        return request
    request = _transition(request, Status.IN_PROGRESS, actor=actor, action="rights.started",
                          started_at=timezone.now())
    _queue(request)
    return request


# --- the work ------------------------------------------------------------------------------------

class _NotOurs(Exception):
    """The request left ``in_progress`` or got a new attempt: this run stops, changing nothing."""


def subject_digest(subject: SubjectQuery) -> str:
    """The erasure ledger's keyed hash of the person's normalised identifiers: BLAKE2b keyed
    with a key derived from the audit key, which lives outside the database
    (``PRIVET_AUDIT_KEY``, or derived from the secret key), so a copy of the database alone
    cannot test a guessed address against it."""
    ids = subject.identifiers()
    parts = []
    if email := ids.get("email"):
        parts.append("email:" + email.strip().lower())
    if phone := ids.get("phone"):
        parts.append("phone:" + "".join(c for c in phone if c.isascii() and c.isdigit()))
    if visitor := ids.get("visitor_id"):
        parts.append("visitor_id:" + visitor.strip().lower())
    if handle := ids.get("handle"):
        parts.append("handle:" + handle.strip().lstrip("@").lower())
    key = hashlib.sha256(b"privet.rights.ledger:" + settings.PRIVET_AUDIT_KEY.encode()).digest()
    return hashlib.blake2b("|".join(parts).encode(), key=key, digest_size=32).hexdigest()


def _kept(kept: tuple[Kept, ...]) -> list[dict[str, Any]]:
    return [{"records": k.records, "reason": k.reason, "rules": [str(r) for r in k.rules]}
            for k in kept]


def _source_report(plan: SourcePlan, *, erased: int = 0, changed: int = 0,
                   kept: tuple[Kept, ...] = (), **extra: Any) -> dict[str, Any]:
    """One source's entry of ``request.result["sources"]`` (counts and reasons only)."""
    return {"records": plan.records, "holdings": dict(plan.holdings), "erased": erased,
            "changed": changed, "kept": _kept(kept or plan.kept), **extra}


def provided_by_subject(source: SubjectSource) -> bool:
    """Whether portability (Art. 20) exports ``source``: its own ``provided_by_subject`` if it
    says; otherwise, whether a category it holds is declared with the source ``data_subject``
    (the person gave it), read from the declaration in force."""
    said = getattr(source, "provided_by_subject", None)
    if said is not None:
        return bool(said)
    declaration = declaration_in_force()
    if declaration is None:
        return False
    categories = {registry.category_of(m, f.name) for m in source.models
                  for f in m._meta.get_fields() if registry.category_of(m, f.name)}
    return any("data_subject" in c.sources for c in declaration.categories if c.id in categories)


def _purposes_of(source: SubjectSource) -> set[str]:
    """The declared purposes the source's records serve (by the retention targets of its
    models)."""
    return {p for t in registry.targets.values() if t.model in source.models for p in t.purposes}


def consent_based(source: SubjectSource) -> bool:
    """Whether some processing of the source's records rests on consent (Art. 6(1)(a)) in the
    declaration in force: a withdrawal of consent stops it (marked like an objection)."""
    declaration = declaration_in_force()
    if declaration is None:
        return False
    purposes = _purposes_of(source)
    return any(declaration.legal_basis(b).article == CONSENT_ARTICLE
               for p in declaration.purposes if p.id in purposes for b in p.legal_bases)


def _lock(request_id: int, attempt: int, status: str = Status.IN_PROGRESS) -> RightsRequest:
    """Take the request's row for this transaction (a conditional UPDATE: a row lock on
    PostgreSQL, the write lock on SQLite) if it is still ``status`` in ``attempt``."""
    if not RightsRequest.objects.filter(pk=request_id, status=status, attempt=attempt).update(
            updated_at=timezone.now()):
        raise _NotOurs
    return RightsRequest.objects.get(pk=request_id)


def _run_step(request_id: int, attempt: int, source: str, action: str,
              act: Callable[[RightsRequest], dict[str, Any]]) -> dict[str, Any]:
    """Do one step once: in one transaction, skip it if done, else act and mark it done with
    its report. Killed anywhere inside, nothing of it stays; run again, it is done again from
    the store's present state."""
    with transaction.atomic(durable=True):
        request = _lock(request_id, attempt)
        step, _ = RequestStep.objects.get_or_create(request=request, attempt=attempt,
                                                    source=source, action=action)
        if step.state == RequestStep.State.DONE:
            return step.report
        report = act(request)
        RequestStep.objects.filter(pk=step.pk).update(
            state=RequestStep.State.DONE, report=report, error="", finished_at=timezone.now())
        return report


def _act_on_source(source: SubjectSource, action: str) -> Callable[[RightsRequest], dict]:
    def act(request: RightsRequest) -> dict[str, Any]:
        subject, ref = subject_of(request), request.reference
        plan = source.plan(subject)  # re-read now, in the step's transaction
        if action == "export":
            from .archive import write_part

            data = source.export(subject, actor=ENGINE_ACTOR, request_ref=ref)
            write_part(request, source.name, data)
            return _source_report(plan, exported=True)
        if action == "erase":
            report: ErasureReport = source.erase(subject, actor=ENGINE_ACTOR, request_ref=ref)
            if report.keys:
                ErasureRecord.objects.create(request_ref=ref, source=source.name,
                                             subject_digest=subject_digest(subject),
                                             record_keys=list(report.keys))
            return _source_report(plan, erased=report.erased, kept=report.kept,
                                  purposes=sorted(_purposes_of(source)) if report.erased else [])
        if action == "rectify":
            # Each source corrects the attributes it holds; the others are not its to change.
            changes = {k: v for k, v in (request.changes or {}).items() if k in source.attributes}
            done: ActionReport = source.rectify(subject, changes, actor=ENGINE_ACTOR,
                                                request_ref=ref)
        elif action == "restrict":
            done = source.restrict(subject, actor=ENGINE_ACTOR, request_ref=ref)
        elif action == "object":
            done = source.object(subject, actor=ENGINE_ACTOR, request_ref=ref)
        elif action == "route":
            return _source_report(plan)
        else:
            raise ValueError(f"unknown action {action!r}")
        return _source_report(plan, changed=done.changed, kept=done.not_changed)

    return act


def _notify_recipients(request: RightsRequest) -> dict[str, Any]:
    """Art. 19: the declared recipients of the purposes whose data was erased, recorded as
    notified (one audit event each). The declaration names recipients by kind, with no
    address: the operator tells each one (the panel and the result list them)."""
    purposes: set[str] = set()
    for step in RequestStep.objects.filter(request=request, attempt=request.attempt,
                                           action="erase", state=RequestStep.State.DONE):
        purposes.update(step.report.get("purposes", []))
    declaration = declaration_in_force()
    recipients = sorted({r for p in (declaration.purposes if declaration else ())
                         if p.id in purposes for r in p.recipients})
    for recipient in recipients:
        append_event(actor=ENGINE_ACTOR, action="rights.recipient_notified", obj=request,
                     subject=request.email,
                     details={"recipient": recipient, "request_ref": request.reference,
                              "purposes": sorted(purposes)})
    return {"recipients": recipients}


def _withdraw_consent(request: RightsRequest) -> dict[str, Any]:
    """A new consent receipt for the request's visitor id refusing every optional purpose (the
    banner's "Reject all"), if that visitor id ever gave a choice; audited."""
    from privet.consent import BANNER_VERSION
    from privet.consent.selectors import receipts_for_visitor
    from privet.consent.services import record_consent
    from privet.policy.selectors import current_hash

    if not request.visitor_id:
        return {"receipt": False}
    last = receipts_for_visitor(request.visitor_id).last()
    declaration = declaration_in_force()
    if last is None or declaration is None:
        return {"receipt": False}
    sites = [w.id for w in declaration.websites]
    site = last.site if last.site in sites or not sites else sites[0]
    optional = [p.id for p in declaration.cookies.purposes if not p.required]
    record_consent(site=site, visitor_id=request.visitor_id, choices=dict.fromkeys(optional, False),
                   policy_hash=current_hash(), method="reject_all", gpc=False,
                   banner_version=BANNER_VERSION, language=request.language)
    append_event(actor=ENGINE_ACTOR, action="rights.consent_withdrawn", obj=request,
                 subject=request.visitor_id,
                 details={"purposes": optional, "request_ref": request.reference})
    return {"receipt": True, "purposes": optional}


def _steps(request: RightsRequest) -> list[tuple[str, str, Callable[[RightsRequest], dict]]]:
    """The request's steps in order, for the studio's own sources (the client's come later)."""
    own = [s for s in sources_for(request) if s.role == "controller"]
    action = ACTIONS[Right(request.right)]
    steps: list[tuple[str, str, Callable]] = []
    if request.right == Right.WITHDRAW_CONSENT:
        steps.append((*CONSENT_STEP, _withdraw_consent))
        own = [s for s in own if consent_based(s)]
    elif request.right == Right.PORTABILITY:
        own = [s for s in own if provided_by_subject(s)]
    steps += [(s.name, action, _act_on_source(s, action)) for s in own]
    return steps


def _client_steps(request: RightsRequest, decision: str | None):
    """The steps on the client's (processor) sources: routing (a summary for the controller),
    then, once the client decided the studio carries the request out, the action itself."""
    theirs = [s for s in sources_for(request) if s.role == "processor"]
    steps = [(s.name, "route", _act_on_source(s, "route")) for s in theirs]
    if decision == CARRY_OUT:
        action = ACTIONS[Right(request.right)]
        steps += [(s.name, action, _act_on_source(s, action)) for s in theirs]
    return steps


def process(request_id: int, attempt: int) -> str:
    """Carry out the request's steps of ``attempt``; returns what happened: ``completed``,
    ``awaiting_controller``, ``paused``, ``failed`` or ``skipped`` (not in progress, or a newer
    attempt). Safe to run again at any point, and by two workers at once."""

    request = RightsRequest.objects.filter(pk=request_id).first()
    if request is None or request.status != Status.IN_PROGRESS or request.attempt != attempt:
        return "skipped"
    decision = (request.result.get("controller") or {}).get("decision")
    steps = _steps(request) + _client_steps(request, decision)
    current = ("", "")
    try:
        for source, action, act in steps:
            if is_paused():
                log.warning("rights: %s paused before %s.%s; resumes when processing is resumed",
                            request.reference, source, action)
                return "paused"
            current = (source, action)
            _run_step(request_id, attempt, source, action, act)
        if request.right == Right.ERASURE:
            current = RECIPIENTS_STEP
            _run_step(request_id, attempt, *RECIPIENTS_STEP, _notify_recipients)
        if request.right in (Right.ACCESS, Right.PORTABILITY):
            from .archive import build_archive

            current = ARCHIVE_STEP
            _run_step(request_id, attempt, *ARCHIVE_STEP, build_archive)
        return _finish(request_id, attempt)
    except _NotOurs:
        return "skipped"
    except Exception as exc:  # recorded on the request for an operator, never swallowed silently
        _fail(request_id, attempt, current, exc)
        return "failed"


def _controller_summary(request: RightsRequest, steps: list[RequestStep]) -> dict[str, Any]:
    holdings: dict[str, int] = {}
    records = 0
    for step in steps:
        if step.action == "route":
            records += step.report.get("records", 0)
            for category, n in step.report.get("holdings", {}).items():
                holdings[category] = holdings.get(category, 0) + n
    earlier = request.result.get("controller") or {}
    return {"client": request.client, "records": records, "holdings": holdings,
            "decision": earlier.get("decision", ""), "note": earlier.get("note", "")}


def build_result(request: RightsRequest) -> dict[str, Any]:
    """``request.result`` from the done steps of the current attempt (no personal data)."""
    steps = list(RequestStep.objects.filter(request=request, attempt=request.attempt,
                                            state=RequestStep.State.DONE).order_by("pk"))
    sources: dict[str, dict[str, Any]] = {}
    result: dict[str, Any] = {"sources": sources, "recipients_notified": [], "archive": False}
    for step in steps:
        if step.source == RECIPIENTS_STEP[0]:
            result["recipients_notified"] = step.report.get("recipients", [])
        elif step.source == ARCHIVE_STEP[0]:
            result["archive"] = bool(step.report.get("archive"))
        elif step.source == CONSENT_STEP[0]:
            result["consent_withdrawn"] = bool(step.report.get("receipt"))
        elif step.action != "route" or step.source not in sources:
            entry = {k: step.report.get(k, 0 if k != "holdings" else {})
                     for k in ("records", "holdings", "erased", "changed")}
            entry["kept"] = step.report.get("kept", [])
            sources[step.source] = entry
    if request.client:
        result["controller"] = _controller_summary(request, steps)
    return result


def _finish(request_id: int, attempt: int) -> str:
    """All steps done: completed, with its result and the person's answer mailed; or, with a
    client's data found and no decision yet, waiting for the client (the person told who)."""

    with transaction.atomic(durable=True):
        request = _lock(request_id, attempt)
        result = build_result(request)
        controller = result.get("controller") or {}
        if controller.get("records") and not controller.get("decision"):
            request = _transition(request, Status.AWAITING_CONTROLLER, actor=ENGINE_ACTOR,
                                  action="rights.routed", result=result,
                                  details={"client": request.client,
                                           "records": controller["records"]})
            queue_mail(request, MailKind.ROUTED)
            return "awaiting_controller"
        request = _transition(request, Status.COMPLETED, actor=ENGINE_ACTOR,
                              action="rights.completed", result=result, closed_at=timezone.now(),
                              details={"sources": sorted(result["sources"])})
        queue_mail(request, MailKind.COMPLETED)
    return "completed"


def _fail(request_id: int, attempt: int, step: tuple[str, str], exc: Exception) -> None:
    """A step raised: its transaction rolled back whole; the request is failed with the
    exception's class name (never its message, which may quote personal data), the step
    recorded failed, and a log line naming the request, the step and the class."""

    error = type(exc).__name__[:100]
    log.error("rights: %s failed at step %s.%s (%s); reprocess it once the cause is fixed",
              f"R-{request_id:06d}", step[0] or "-", step[1] or "-", error)
    with transaction.atomic(durable=True):
        try:
            request = _lock(request_id, attempt)
        except _NotOurs:
            return
        if step[0]:
            RequestStep.objects.update_or_create(
                request=request, attempt=attempt, source=step[0], action=step[1],
                defaults={"state": RequestStep.State.FAILED, "error": error,
                          "finished_at": timezone.now()})
        _transition(request, Status.FAILED, actor=ENGINE_ACTOR, action="rights.failed",
                    details={"error": error, "step": f"{step[0]}.{step[1]}"},
                    failed_at=timezone.now(), error=error)


# --- data held for a client ------------------------------------------------------------------------

@transaction.atomic(durable=True)
def record_controller_decision(*, request: RightsRequest, decision: str, note: str,
                               actor: Actor) -> RightsRequest:
    """Record what the client (the controller of the data the studio holds for it) decided:
    ``carry_out`` (the studio acts on the client's data as the person asked: in progress
    again, the work queued) or ``controller_answers`` (the client answers the person itself:
    the studio's part is done, the request completes). Audited."""

    request = RightsRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != Status.AWAITING_CONTROLLER:
        raise InvalidTransition(gettext("%(ref)s is not waiting for the controller.")
                                % {"ref": request.reference})
    if decision not in DECISIONS:
        raise InvalidRequest(gettext("Unknown decision '%(decision)s'; one of: %(decisions)s.")
                             % {"decision": decision, "decisions": ", ".join(DECISIONS)})
    note = _text("note", note, 2000)
    result = dict(request.result)
    result["controller"] = {**(result.get("controller") or {}), "decision": decision,
                            "note": note}
    append_event(actor=actor, action="rights.controller_decision", obj=request,
                 subject=request.email, details={"client": request.client, "decision": decision})
    if decision == CARRY_OUT:
        request = _transition(request, Status.IN_PROGRESS, actor=actor, action="rights.started",
                              result=result)
        _queue(request)
        return request
    request = _transition(request, Status.COMPLETED, actor=actor, action="rights.completed",
                          result=result, closed_at=timezone.now(),
                          details={"sources": sorted(result.get("sources", {}))})
    queue_mail(request, MailKind.COMPLETED)
    return request


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """A short view of a result for logs and tests: totals, no categories."""
    sources = result.get("sources", {})
    return {"records": sum(s.get("records", 0) for s in sources.values()),
            "erased": sum(s.get("erased", 0) for s in sources.values()),
            "changed": sum(s.get("changed", 0) for s in sources.values())}


# --- the operators' pause switch ------------------------------------------------------------------

@transaction.atomic(durable=True)
def pause_processing(*, reason: str, actor: Actor) -> RightsSettings:
    """Stop the engine from taking new steps until resumed (deadlines keep running)."""
    reason = _text("reason", reason, REASON_MAX, required=True)
    row = RightsSettings.objects.select_for_update().get_or_create(pk=1)[0]
    row.paused_at, row.paused_reason, row.paused_by = timezone.now(), reason, _user(actor)
    row.save()
    append_event(actor=actor, action="rights.processing_paused", object_type="rights.settings",
                 object_id="1")
    return row


@transaction.atomic(durable=True)
def resume_processing(*, actor: Actor) -> RightsSettings:
    """Let the engine take steps again; requests left in progress by the pause go on."""
    row = RightsSettings.objects.select_for_update().get_or_create(pk=1)[0]
    row.paused_at, row.paused_reason, row.paused_by = None, "", None
    row.save()
    append_event(actor=actor, action="rights.processing_resumed", object_type="rights.settings",
                 object_id="1")
    # Requests the pause stopped mid-way go on from their next step (done steps stay done).
    waiting = list(RightsRequest.objects.filter(status=Status.IN_PROGRESS)
                   .values_list("pk", "attempt"))
    transaction.on_commit(lambda: [process_request.enqueue(pk, attempt)
                                   for pk, attempt in waiting])
    return row


# --- the task --------------------------------------------------------------------------------------

@task()
def process_request(request_id: int, attempt: int) -> str:
    """Carry out a request's steps of ``attempt``, each once (:func:`process`); safe to run
    again after a killed worker, and a no-op for an attempt that was replaced."""
    return process(request_id, attempt)
