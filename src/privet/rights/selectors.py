"""Reads of rights requests for the panel, the portal and the engine."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from privet.audit.actions import action_label, details_pairs
from privet.audit.actors import actor_name
from privet.audit.selectors import events_for_object, usernames

from .deadlines import local_today
from .models import CLOSED_STATUSES, OPEN_STATUSES, RightsRequest, Status


def open_requests() -> QuerySet[RightsRequest]:
    """Open requests, the earliest due first (overdue ones come first by that order)."""
    return RightsRequest.objects.filter(status__in=OPEN_STATUSES).order_by("due_on", "received_at")


def request_urls(object_ids: Iterable[str]) -> dict[str, str]:
    """The panel pages of the requests that still exist, for the audit log's links."""
    ids = [int(i) for i in object_ids if str(i).isdecimal()]
    existing = RightsRequest.objects.filter(pk__in=ids).values_list("pk", flat=True)
    return {str(pk): reverse("panel:rights-request", args=[pk]) for pk in existing}


# The list's status filter for every open request, and for every closed one.
OPEN = "open"
CLOSED = "closed"
# The dashboard's "due soon": due within this many days (and not overdue).
DUE_SOON_DAYS = 7


def search_requests(*, status: str = OPEN, right: str = "", assigned_to: int | None = None,
                    overdue: bool = False, due_soon: bool = False,
                    today: date | None = None) -> QuerySet[RightsRequest]:
    """The panel's list: open requests by due date (overdue first, as the earliest due come
    first); closed ones most recently closed first. ``due_soon``: open, due from today to
    :data:`DUE_SOON_DAYS` days on (the dashboard's count). ``status`` is :data:`OPEN`,
    :data:`CLOSED`, a :class:`~.models.Status` or ``""`` (all). One query when read, served by
    ``rights_status_due_idx``."""
    qs = RightsRequest.objects.select_related("assigned_to")
    if status == OPEN:
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status == CLOSED:
        qs = qs.filter(status__in=CLOSED_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if right:
        qs = qs.filter(right=right)
    if assigned_to is not None:
        qs = qs.filter(assigned_to_id=assigned_to)
    today = today or local_today()
    if overdue:
        qs = qs.filter(status__in=OPEN_STATUSES, due_on__lt=today)
    if due_soon:
        qs = qs.filter(status__in=OPEN_STATUSES, due_on__gte=today,
                       due_on__lte=today + timedelta(days=DUE_SOON_DAYS))
    if status == CLOSED or status in CLOSED_STATUSES:
        return qs.order_by("-closed_at", "-pk")
    return qs.order_by("due_on", "received_at", "pk")


def status_counts() -> dict[str, int]:
    """``{status: count}`` for every status, zeros included (one aggregate query)."""
    counts = dict(RightsRequest.objects.values_list("status").annotate(n=Count("pk"))
                  .values_list("status", "n"))
    return {s: counts.get(s, 0) for s in Status.values}


@dataclass(frozen=True)
class DeadlineCounts:
    """The dashboard's card: open requests, and those an operator should look at first."""

    open: int
    overdue: int
    due_soon: int
    unverified: int
    failed: int


def deadline_counts(today: date | None = None) -> DeadlineCounts:
    """Counts for the dashboard (one aggregate query). ``due_soon``: open, due today or within
    :data:`DUE_SOON_DAYS` days, not yet overdue."""
    today = today or local_today()
    open_ = Q(status__in=OPEN_STATUSES)
    row = RightsRequest.objects.aggregate(
        open=Count("pk", filter=open_),
        overdue=Count("pk", filter=open_ & Q(due_on__lt=today)),
        due_soon=Count("pk", filter=open_ & Q(due_on__gte=today,
                                              due_on__lte=today + timedelta(days=DUE_SOON_DAYS))),
        unverified=Count("pk", filter=Q(status=Status.UNVERIFIED)),
        failed=Count("pk", filter=Q(status=Status.FAILED)),
    )
    return DeadlineCounts(**row)


@dataclass(frozen=True)
class HistoryEntry:
    """One audit event of a request, worded in the active language."""

    at: datetime
    actor: str
    title: str
    details: list[tuple[str, str]] = field(default_factory=list)
    action: str = ""


# Details the title or the page already says (the right; the person's pseudonymous client).
_HIDDEN_DETAILS = {"right", "client"}


def request_history(request: RightsRequest) -> list[HistoryEntry]:
    """Every audit event written about ``request``, oldest first, as sentences (two queries:
    the events, and the users they name)."""
    events = list(events_for_object(request))
    names = usernames(e.actor for e in events)
    entries = []
    for e in events:
        details = {k: v for k, v in json.loads(e.details or "{}").items()
                   if k not in _HIDDEN_DETAILS}
        entries.append(HistoryEntry(at=e.created_at, actor=actor_name(e.actor, names),
                                    title=action_label(e.action),
                                    details=details_pairs(details, action=e.action),
                                    action=e.action))
    return entries


def request_for_verification(token: str) -> RightsRequest | None:
    """The unverified request a verification token would verify, or ``None`` when the link is
    forged, expired, used or replaced (one answer for all); reads, spends nothing."""
    from .tokens import request_of_token

    return request_of_token(token)


def request_for_status(token: str) -> RightsRequest | None:
    """The request a status link names, or ``None`` for a forged link or a request that is gone."""
    from django.core.exceptions import ValidationError

    from .links import public_id_of_status_token

    public_id = public_id_of_status_token(token)
    if public_id is None:
        return None
    try:
        return RightsRequest.objects.filter(public_id=public_id).first()
    except ValidationError:
        return None
