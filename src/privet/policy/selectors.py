"""Which policy is in force, and its history."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from .models import PolicyVersion


def current_version() -> PolicyVersion | None:
    """The newest version whose effective date has come (one query).

    Every request that shows a banner, stores a receipt or writes an audit event asks this, so the
    row comes without its two large texts: ``declaration()`` is cached per process, and reading
    ``canonical`` or ``source`` costs one more query.
    """
    today = timezone.localdate()
    return (
        PolicyVersion.objects.filter(effective__lte=today)
        .defer("canonical", "source")
        .order_by("-effective", "-published_at")
        .first()
    )


def version_history() -> QuerySet[PolicyVersion]:
    return PolicyVersion.objects.order_by("-effective", "-published_at")


def version_by_id(version: str) -> PolicyVersion | None:
    return PolicyVersion.objects.filter(version=version).first()
