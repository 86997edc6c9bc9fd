"""The rights engine: plan a request across every registered store, then act, step by step.

The operator sees :func:`plan_request` (what each store holds about the person, and what a duty
keeps) before anything is done; :func:`start` then queues :func:`~.tasks.process_request`,
which takes one :class:`~.models.RequestStep` per (source, action) and re-reads each store as
it acts: a plan is never acted on from a cache, so data written in between is not missed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from privet.audit.services import Actor
from privet.core.bidi import has_bidi_controls
from privet.registry import ATTRIBUTES, SourcePlan, SubjectQuery, SubjectSource, registry

from .errors import InvalidRequest, ProcessingPaused
from .models import Right, RightsRequest, Status

CHANGE_MAX = 254  # a corrected value: as long as the longest field it may go to (an email)


def subject_of(request: RightsRequest) -> SubjectQuery:
    """Who the request is about: the identifiers it holds (the email verified; a phone or a
    visitor id only with it), and the client for data held as that client's processor."""
    return SubjectQuery(email=request.email, phone=request.phone or None,
                        visitor_id=request.visitor_id or None, client=request.client or None)


def sources_for(request: RightsRequest) -> list[SubjectSource]:
    """The sources a request reaches: the studio's own (controller) stores always; a client's
    (processor) stores only when the request names that client."""
    return [s for s in registry.sources.values()
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
        raise InvalidRequest("Give at least one corrected value for a rectification.")
    allowed = set(correctable_attributes(request))
    cleaned: dict[str, str] = {}
    for attribute, value in changes.items():
        if attribute not in allowed:
            raise InvalidRequest(f"No store can correct {attribute!r}; correctable: "
                                 f"{', '.join(sorted(allowed)) or 'none'}.")
        if not isinstance(value, str) or not value.strip():
            raise InvalidRequest(f"The new value of {attribute!r} must be text.")
        value = value.strip()
        if len(value) > CHANGE_MAX or has_bidi_controls(value) or "\x00" in value:
            raise InvalidRequest(f"The new value of {attribute!r} is too long or holds a "
                                 f"control character.")
        cleaned[attribute] = value
    return cleaned


@transaction.atomic(durable=True)
def start(*, request: RightsRequest, actor: Actor,
          changes: dict[str, str] | None = None) -> RightsRequest:
    """The operator saw the plan and carries the request out: in progress, work queued.

    A rectification needs ``changes`` (``{attribute: new value}``), stored on the request for
    the engine's steps; other rights take none."""
    from .services import _transition, is_paused
    from .tasks import process_request

    if is_paused():
        raise ProcessingPaused("Processing of rights requests is paused; resume it first.")
    request = RightsRequest.objects.select_for_update().get(pk=request.pk)
    fields: dict[str, Any] = {"started_at": timezone.now()}
    audit: dict[str, Any] = {}
    if request.right == Right.RECTIFICATION:
        fields["changes"] = clean_changes(request, changes)
        audit["fields"] = sorted(fields["changes"])  # which attributes, never the values
    elif changes:
        raise InvalidRequest("Only a rectification carries corrected values.")
    request = _transition(request, Status.IN_PROGRESS, actor=actor, action="rights.started",
                          details=audit, **fields)
    attempt = request.attempt
    transaction.on_commit(lambda: process_request.enqueue(request.pk, attempt))
    return request
