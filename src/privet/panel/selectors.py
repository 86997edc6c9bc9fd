"""Reads of the panel's own pages (the enquiry pages read through privet.enquiries.selectors)."""

from __future__ import annotations

from django.db.models import QuerySet

from privet.audit.models import AuditEvent


def recent_audit_events(*, action: str = "") -> QuerySet[AuditEvent]:
    """Audit events newest first, optionally of one action (served by the primary key order)."""
    qs = AuditEvent.objects.order_by("-seq")
    return qs.filter(action=action) if action else qs


def audit_actions() -> list[str]:
    """Every action that occurs in the log, for the filter (one DISTINCT query)."""
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())
