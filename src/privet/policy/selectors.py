"""Which policy is in force, and its history."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from .models import PolicyVersion


def current_version() -> PolicyVersion | None:
    """The newest version whose effective date has come (one query)."""
    today = timezone.localdate()
    return (
        PolicyVersion.objects.filter(effective__lte=today)
        .order_by("-effective", "-published_at")
        .first()
    )


def version_history() -> QuerySet[PolicyVersion]:
    return PolicyVersion.objects.order_by("-effective", "-published_at")


def version_by_id(version: str) -> PolicyVersion | None:
    return PolicyVersion.objects.filter(version=version).first()
