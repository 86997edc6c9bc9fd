"""Reads of rights requests for the panel, the portal and the engine."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.urls import reverse

from .models import OPEN_STATUSES, RightsRequest


def open_requests() -> QuerySet[RightsRequest]:
    """Open requests, the earliest due first (overdue ones come first by that order)."""
    return RightsRequest.objects.filter(status__in=OPEN_STATUSES).order_by("due_on", "received_at")


def request_urls(object_ids: Iterable[str]) -> dict[str, str]:
    """The panel pages of the requests that still exist, for the audit log's links."""
    ids = [int(i) for i in object_ids if str(i).isdecimal()]
    existing = RightsRequest.objects.filter(pk__in=ids).values_list("pk", flat=True)
    try:
        return {str(pk): reverse("panel:rights-request", args=[pk]) for pk in existing}
    except Exception:  # the panel's pages are not there yet
        return {}
