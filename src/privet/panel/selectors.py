"""Reads of the panel's own pages (the enquiry pages read through privet.enquiries.selectors)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import reverse

from privet.audit.models import AuditEvent
from privet.audit.selectors import usernames
from privet.enquiries.models import Enquiry


def recent_audit_events(*, action: str = "") -> QuerySet[AuditEvent]:
    """Audit events newest first, optionally of one action (served by the primary key order)."""
    qs = AuditEvent.objects.order_by("-seq")
    return qs.filter(action=action) if action else qs


def audit_actions() -> list[str]:
    """Every action that occurs in the log, for the filter (one DISTINCT query)."""
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())


@dataclass(frozen=True)
class AuditRow:
    """An audit event as the log page shows it: codes kept, plus who (a username for
    ``user:<id>``) and a link to the object when the panel has a page for it and it still exists."""

    event: AuditEvent
    actor: str
    object_url: str = ""


def audit_rows(events: Sequence[AuditEvent]) -> list[AuditRow]:
    """``events`` with their actors' usernames and links to their enquiries (two queries: the
    users, the enquiries that still exist; none when no event names one)."""
    names = usernames(e.actor for e in events)
    enquiry_type = Enquiry._meta.label_lower
    ids = {int(e.object_id) for e in events
           if e.object_type == enquiry_type and e.object_id.isdecimal()}
    existing = set(Enquiry.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()

    def url(event: AuditEvent) -> str:
        if event.object_type == enquiry_type and event.object_id.isdecimal() and (
                int(event.object_id) in existing):
            return reverse("panel:enquiry_detail", kwargs={"pk": int(event.object_id)})
        return ""

    return [AuditRow(event=e, actor=names.get(e.actor, e.actor), object_url=url(e)) for e in events]
