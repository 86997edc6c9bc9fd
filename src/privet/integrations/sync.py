"""Syncs: bringing a client's platform objects in, page by page, within its grant and contract.

A connector's :meth:`~.connectors.Connector.sync` says *what* a workflow reads (TikTok:
:mod:`.tiktok.sync`); this module owns *how* a list is read, whichever the platform:

- :func:`walk` reads one list (a stream: the account's videos, one video's comments...) through
  the outbound client (:func:`.http.start` and :func:`.http.finish`: declared endpoint,
  declared host, live grant, the scope; retried on rate limits, the token refreshed on the page
  it expired on), asking for the next page while it stores the last. Each item
  goes through the connector's data contract (:meth:`.ObjectContract.keep`) before anything of
  it is looked at, so a field the contract does not name never reaches the database.
- Each page is upserted by its platform id in one transaction with the cursor of the next page
  (:class:`.models.SyncState`): a sync that crashes resumes at the first page it had not
  stored, with no duplicate (the upsert) and no gap (the cursor is never ahead of the data).
- The platform's two paging styles: a cursor with ``has_more`` (the account API; a short page
  is not the end) and numbered pages with ``page_info.total_page`` (the Marketing API).
- Incremental: a stream's items come newest first; a run stops after the page that reaches the
  newest item of the last complete run (less an overlap, for late arrivals), unless ``full``.

:func:`run_workflow` is the one entry point (the task, the panel's "Sync now", the bench): it
refuses a workflow the client has not chosen or whose scopes the grant lacks (nothing is
attempted), records a :class:`.models.SyncRun` and an audit event with the counts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from privet.audit.services import Actor, actor_label, append_event
from privet.errors import PrivetError

from .connectors import Connector, Workflow, connectors
from .errors import PlatformError, Refused
from .http import Pending, abandon, finish, seen_live, start
from .models import Comment, Grant, IntegrationRecord, OutboundCall, SyncRun, SyncState

log = logging.getLogger("privet.integrations")

# Items newer than the last run's newest, less this, are read again (a comment that arrived
# while the last run was paging, a clock that differs): the upsert makes them harmless.
OVERLAP_SECONDS = 3600


class SyncError(PrivetError):
    code = "sync_error"


class WorkflowUnavailable(SyncError):
    """The workflow cannot run on this grant: not chosen for the client, not this grant's kind
    of authorisation, or a scope it needs was not granted. Nothing was attempted."""

    code = "workflow_unavailable"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class GrantEnded(SyncError):
    """The grant ended (revoked, deauthorised, expired) while a sync was reading with it:
    nothing more is stored from it (its data's clock has started; a late page must not
    escape it)."""

    code = "grant_ended"


class SyncConflict(SyncError):
    """Another runner stored a page of this stream meanwhile: this one stops (nothing of its
    page is stored; the other goes on)."""

    code = "sync_conflict"


@dataclass(frozen=True)
class Stream:
    """One list a connector reads. ``row`` turns an item as the contract kept it into the
    model's fields (with ``external_id``; ``None`` to skip an item without an id);
    ``created`` gives a row's time (epoch seconds) for incremental syncs (``None``: the list
    is read whole every time)."""

    name: str
    endpoint: str
    contract: str
    model: type[IntegrationRecord]
    list_key: str
    row: Callable[[dict[str, Any]], dict[str, Any] | None]
    paging: Literal["cursor", "page"] = "cursor"
    page_size: int = 20
    size_param: str = "max_count"
    created: Callable[[dict[str, Any]], int | None] | None = None
    flatten: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    # The stored rows a complete read of the list (of ``parent``) covers, as a filter: those it
    # did not see were deleted on the platform and are deleted here. ``None``: never.
    covers: Callable[[str], dict[str, Any]] | None = None


@dataclass
class Walked:
    """What one :func:`walk` did, and the grant to go on with (refreshed on the way)."""

    grant: Grant
    records: int = 0
    pages: int = 0
    dropped: int = 0
    removed: int = 0
    done: bool = True
    rows: list[dict[str, Any]] = field(default_factory=list)


def state_of(grant: Grant, stream: str, parent: str = "") -> SyncState:
    state, _ = SyncState.objects.for_client(grant.client).get_or_create(
        client=grant.client, grant=grant, stream=stream, parent=parent[:200])
    return state


def _items(answer_data: Any, key: str) -> list[dict[str, Any]]:
    items = answer_data.get(key) if isinstance(answer_data, dict) else None
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _next(stream: Stream, data: Mapping[str, Any], cursor: Any) -> Any:
    """The next page's cursor, or ``None`` at the end of the list."""
    if stream.paging == "page":
        info = data.get("page_info") if isinstance(data.get("page_info"), dict) else {}
        page = int(cursor or 1)
        try:
            total = int(info.get("total_page") or 0)
        except (TypeError, ValueError):
            total = 0
        return page + 1 if page < total else None
    if not data.get("has_more"):
        return None
    following = data.get("cursor")
    if following is None or following == cursor:
        return None  # a platform that says "more" without moving would loop for ever
    return following


def upsert(grant: Grant, model: type[IntegrationRecord], rows: list[dict[str, Any]]) -> int:
    """Store ``rows`` (model fields with ``external_id``) for ``grant``: new ones created,
    known ones updated. Rows of one page with the same id keep the last.

    The grant's row is locked and must still be live: a grant ended meanwhile (the owner
    revoked it, an operator disconnected it) raises :class:`GrantEnded` and nothing is stored,
    and one ending after this waits for the commit, then marks these rows too
    (``grants._end`` locks the same row)."""
    if not rows:
        return 0
    # No savepoint inside a page's transaction (two round trips a page): nothing is raised
    # inside the block, so it never dooms a caller's transaction by itself.
    with transaction.atomic(savepoint=False):
        live = Grant.objects.for_client(grant.client).select_for_update().filter(
            pk=grant.pk, status=Grant.Status.ACTIVE).exists()
        if live:
            seen_live(grant)
            unique = {r["external_id"]: r for r in rows}
            now = timezone.now()
            objects = [model(client=grant.client, grant=grant, synced_at=now, **r)
                       for r in unique.values()]
            columns = sorted({k for r in unique.values() for k in r if k != "external_id"}
                             | {"synced_at"})
            model.objects.for_client(grant.client).bulk_create(
                objects, update_conflicts=True, unique_fields=["grant", "external_id"],
                update_fields=columns)
    if not live:
        raise GrantEnded(f"{grant} ended; nothing more is stored from it.")
    return len(objects)


@dataclass
class Page:
    """One answer of :func:`walk` read through the contract, before it is stored."""

    rows: list[dict[str, Any]]
    dropped: int
    following: Any  # the next page's cursor, or None at the end of the list
    finished: bool  # the end of the list, or (incremental) the last run's newest reached


def _read_page(grant: Grant, stream: Stream, data: Any, cursor: Any,
               progress: dict[str, Any]) -> Page:
    """The items of one answer through the contract, and whether the walk goes on (known
    before the page is stored, so the next page is asked for only if it will be read)."""
    contract = connectors.get(grant.connector).contract[stream.contract]
    rows, dropped, times = [], 0, []
    for item in _items(data, stream.list_key):
        kept, extra = contract.keep(stream.flatten(item) if stream.flatten else item)
        dropped += extra
        row = stream.row(kept)
        if row is None:
            continue
        rows.append(row)
        if stream.created is not None:
            created = stream.created(kept)
            if created is not None:
                times.append(created)
    following = _next(stream, data, cursor)
    if times:
        progress["newest"] = max([t for t in (progress.get("newest"),) if t is not None] + times)
    reached = progress.get("since") is not None and times and min(times) < progress["since"]
    return Page(rows=rows, dropped=dropped, following=following,
                finished=following is None or bool(reached))


def _store_page(grant: Grant, current: Grant, stream: Stream, page: Page,
                recorded: list[OutboundCall], state: SyncState, seq: int,
                progress: dict[str, Any], expected: int | None, parent: str) -> tuple[int, int]:
    """One page of :func:`walk`: its rows, its call's record and the stream's next cursor
    stored in one transaction, if no other runner stored a page of the stream meanwhile
    (``seq``). Returns the rows stored, and those removed by a complete read
    (:func:`_reconcile`)."""
    for record in recorded:
        record.dropped_fields = page.dropped  # counted on the call's record, never kept
    removed = 0
    with transaction.atomic():
        stored = upsert(current, stream.model, page.rows)
        OutboundCall.objects.for_client(grant.client).bulk_create(recorded)
        changes: dict[str, Any] = {
            "seq": F("seq") + 1, "pages": F("pages") + 1, "records": F("records") + stored,
            "dropped_fields": F("dropped_fields") + page.dropped}
        if page.finished:
            changes |= {"status": SyncState.Status.DONE, "progress": {},
                        "finished_at": timezone.now(),
                        "high_water": progress.get("newest") or state.high_water}
            # The count the parent announced when this read began: items that came while a
            # cut-short read waited to resume are newer than it, so the next sync sees a
            # changed count and reads them.
            announced = progress.get("expected", expected)
            if announced is not None:
                changes["progress"] = {"expected": announced}
            if page.following is None and progress.get("since") is None:
                removed = _reconcile(current, stream, parent, progress.get("started"))
        else:
            changes["progress"] = {**progress, "cursor": page.following}
        if not SyncState.objects.for_client(grant.client).filter(
                pk=state.pk, seq=seq).update(**changes):
            raise SyncConflict(f"Another sync stored a page of {stream.name} {parent} "
                               "meanwhile; this one stops.")
    return stored, removed


def _reconcile(grant: Grant, stream: Stream, parent: str, started: str | None) -> int:
    """After a complete read of a list from its first page: the stored rows it covers that
    the read did not touch (every row it saw was upserted after ``started``) are gone from
    the platform, and go here too. A row a webhook stored meanwhile is newer than ``started``
    and stays."""
    if stream.covers is None or not started:
        return 0
    return stream.model.objects.for_client(grant.client).filter(
        grant=grant, synced_at__lt=datetime.fromisoformat(started), **stream.covers(parent)
    ).delete()[0]


def walk(grant: Grant, stream: Stream, *, params: Mapping[str, Any], parent: str = "",
         full: bool = False, keep_rows: bool = False, expected: int | None = None) -> Walked:
    """Read the list ``stream`` (of ``parent``: a video's comments) for ``grant`` from where
    it stands: the page after the last stored one if a run was cut short, else the first. A
    platform error stops it with the state ``failed`` and its cursor kept; it is raised.
    ``expected``: the count the parent announced (a video's comments), kept with the state
    when the walk completes, so the next sync can skip an unchanged parent.

    The next page is asked for (:func:`.http.start`: checked here, sent from another thread)
    while this one is stored, and its answer taken (:func:`.http.finish`) once this one is
    committed: a failure of the next page leaves this one stored, as one after the other did."""
    connector = connectors.get(grant.connector)
    state = state_of(grant, stream.name, parent)
    resuming = state.status != SyncState.Status.DONE and "cursor" in state.progress
    if resuming:
        progress = dict(state.progress)
        if full:
            progress["since"] = None  # a full read resumes too, but reads to the end
    else:
        progress = {"cursor": 1 if stream.paging == "page" else None, "newest": None,
                    "since": None if full or state.high_water is None
                    else state.high_water - OVERLAP_SECONDS,
                    "started": timezone.now().isoformat(), "expected": expected}
    walked = Walked(grant=grant)
    SyncState.objects.for_client(grant.client).filter(pk=state.pk).update(
        status=SyncState.Status.RUNNING, started_at=state.started_at if resuming else timezone.now(),
        error="", **({} if resuming else {"pages": 0, "records": 0, "dropped_fields": 0}))
    seq = state.seq

    def ask(cursor: Any) -> Pending:
        page_params = {**params, stream.size_param: stream.page_size}
        if cursor is not None:
            page_params["page" if stream.paging == "page" else "cursor"] = cursor
        return start(grant.client, connector, stream.endpoint, grant=walked.grant,
                     params=page_params)

    def failed(exc: Exception) -> None:
        SyncState.objects.for_client(grant.client).filter(pk=state.pk).update(
            status=SyncState.Status.FAILED, error=type(exc).__name__[:100])
        walked.done = False

    cursor = progress["cursor"]
    try:
        pending = ask(cursor)
    except Refused as exc:
        failed(exc)
        raise
    while True:
        recorded: list[OutboundCall] = []  # the page's call record, stored with its rows
        try:
            answer = finish(pending, calls=recorded)
        except Exception as exc:  # the state says so; the next run resumes at this page
            failed(exc)
            raise
        walked.grant = answer.grant or walked.grant
        page = _read_page(grant, stream, answer.data, cursor, progress)
        following: Pending | None = None
        refused: Refused | None = None
        if not page.finished:
            try:
                following = ask(page.following)
            except Refused as exc:  # recorded; raised once this page is stored
                refused = exc
        try:
            stored, removed = _store_page(grant, walked.grant, stream, page, recorded, state,
                                          seq, progress, expected, parent)
        except BaseException as exc:
            # The calls went out: their records outlive a page that was not stored.
            for record in recorded:
                record.pk = None
            OutboundCall.objects.for_client(grant.client).bulk_create(recorded)
            if following is not None:
                abandon(following)
            if not isinstance(exc, SyncConflict):  # the other runner owns the state
                failed(exc)
            raise
        seq += 1
        walked.pages += 1
        walked.records += stored
        walked.dropped += page.dropped
        walked.removed += removed
        if keep_rows:
            walked.rows.extend(page.rows)
        if page.finished:
            return walked
        cursor = progress["cursor"] = page.following
        if refused is not None:
            failed(refused)
            raise refused
        assert following is not None
        pending = following


# --- workflows ------------------------------------------------------------------------------------

def unavailable_reason(grant: Grant, workflow: Workflow) -> str:
    """Why ``workflow`` cannot run on ``grant`` ("" if it can): ``not_chosen`` (not one of
    the client's workflows), ``other_flow`` (another kind of authorisation), ``not_live``,
    ``scope_not_granted``."""
    if workflow.id not in (grant.client.workflows or []):
        return "not_chosen"
    if grant.flow != workflow.flow:
        return "other_flow"
    if not grant.live:
        return "not_live"
    if set(workflow.scopes) - set(grant.scopes or []):
        return "scope_not_granted"
    return ""


def workflow_of(connector: Connector, workflow_id: str) -> Workflow:
    try:
        return connector.workflows[workflow_id]
    except KeyError:
        raise WorkflowUnavailable("unknown", f"{connector.id} has no workflow {workflow_id!r}; it "
                                  f"has {', '.join(connector.workflows)}.") from None


def run_workflow(grant: Grant, workflow_id: str, *, actor: Actor = "system:sync",
                 full: bool = False) -> SyncRun:
    """Sync what ``workflow_id`` reads for ``grant``; returns its run record (``done``, or
    ``failed`` with the error: the next run resumes where it stopped). Raises
    :class:`WorkflowUnavailable` (nothing attempted, nothing recorded) when it cannot run."""
    connector = connectors.get(grant.connector)
    workflow = workflow_of(connector, workflow_id)
    reason = unavailable_reason(grant, workflow)
    if reason:
        raise WorkflowUnavailable(reason, f"{workflow.id} cannot run on {grant}: {reason}.")
    run = SyncRun.objects.for_client(grant.client).create(
        client=grant.client, grant=grant, workflow=workflow.id, full=full,
        actor=actor_label(actor)[:150])
    counts: dict[str, int] = {}
    error = ""
    unexpected: Exception | None = None
    try:
        connector.sync(grant, workflow, full=full, counts=counts)
    except (PlatformError, Refused, SyncError) as exc:
        # Refused: the outbound client would not make a call (a host or scope that is not
        # allowed); recorded there as a refusal, and here the run stops on it.
        error = exc.code if isinstance(exc, SyncError) else type(exc).__name__
        if isinstance(exc, Refused):
            error = f"Refused:{exc.reason}"
        log.warning("integrations: sync of %s for client %s stopped: %s", workflow.id,
                    grant.client.slug, error)
    except Exception as exc:  # a bug or an outage of our own: recorded, then raised
        unexpected = exc
        error = type(exc).__name__
        log.exception("integrations: sync of %s for client %s failed", workflow.id,
                      grant.client.slug)
    run.finished_at = timezone.now()
    run.status = SyncRun.Status.FAILED if error else SyncRun.Status.DONE
    run.counts, run.error = counts, error[:100]
    with transaction.atomic():
        run.save(update_fields=["finished_at", "status", "counts", "error"])
        append_event(actor=actor, action="integrations.synced", obj=grant,
                     details={"client": grant.client.slug, "workflow": workflow.id,
                              "records": sum(counts.values()), "outcome": run.status,
                              **({"error": run.error} if error else {})})
    if unexpected is not None:
        raise unexpected
    return run


def available_workflows(grant: Grant) -> list[Workflow]:
    connector = connectors.get(grant.connector)
    return [w for w in connector.workflows.values() if not unavailable_reason(grant, w)]


def remove_comment(grant: Grant, comment: Comment) -> int:
    """Delete the local copy of a comment the platform no longer has, with its replies, and
    count it off its thread's replies. Returns the rows deleted."""
    comments = Comment.objects.for_client(grant.client).filter(grant=grant)
    with transaction.atomic():
        deleted, _ = comments.filter(Q(pk=comment.pk) | Q(parent_id=comment.external_id)).delete()
        if comment.parent_id:
            comments.filter(external_id=comment.parent_id, replies__gt=0).update(
                replies=F("replies") - 1)
    return deleted
