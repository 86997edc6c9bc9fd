"""The rights engine: plan a request across every registered store, then act, step by step.

The operator sees :func:`plan_request` (what each store holds about the person, and what a duty
keeps) before anything is done; :func:`start` then queues :func:`~.tasks.process_request`,
which takes one :class:`~.models.RequestStep` per (source, action) and re-reads each store as
it acts: a plan is never acted on from a cache, so data written in between is not missed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from privet.audit.services import Actor
from privet.registry import SourcePlan, SubjectQuery, SubjectSource, registry

from .errors import ProcessingPaused
from .models import RightsRequest, Status


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


@transaction.atomic(durable=True)
def start(*, request: RightsRequest, actor: Actor) -> RightsRequest:
    """The operator saw the plan and carries the request out: in progress, work queued."""
    from .services import _transition, is_paused
    from .tasks import process_request

    if is_paused():
        raise ProcessingPaused("Processing of rights requests is paused; resume it first.")
    request = RightsRequest.objects.select_for_update().get(pk=request.pk)
    request = _transition(request, Status.IN_PROGRESS, actor=actor, action="rights.started",
                          started_at=timezone.now())
    attempt = request.attempt
    transaction.on_commit(lambda: process_request.enqueue(request.pk, attempt))
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
