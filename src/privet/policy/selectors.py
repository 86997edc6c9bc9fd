"""Which policy is in force, and its history."""

from __future__ import annotations

import time

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


# How long a web process may go on using the version it last read for hot paths that do not
# record it (CORS origins of the consent API, the banner's words): a newly published version, or
# one whose date has come, takes effect there within this many seconds. Saves a query per request.
HOT_PATH_MAX_AGE = 5.0
_hot: tuple[float, object, PolicyVersion | None] | None = None  # (read at, local date, version)


def current_version_for_hot_path() -> PolicyVersion | None:
    """:func:`current_version`, re-read at most every :data:`HOT_PATH_MAX_AGE` seconds per process.

    Only for answers that do not record which version was in force: a receipt, an enquiry or an
    audit event stores the hash of :func:`current_version` (or the one the visitor saw).
    """
    global _hot
    now, today = time.monotonic(), timezone.localdate()
    if _hot is None or now - _hot[0] >= HOT_PATH_MAX_AGE or _hot[1] != today:
        _hot = (now, today, current_version())
    return _hot[2]


def forget_hot_path_version() -> None:
    """After a publish in this process, read the version afresh at once (tests, the CLI)."""
    global _hot
    _hot = None


def version_history() -> QuerySet[PolicyVersion]:
    return PolicyVersion.objects.order_by("-effective", "-published_at")


def version_by_id(version: str) -> PolicyVersion | None:
    return PolicyVersion.objects.filter(version=version).first()


def declaration_in_force():
    """The declaration of the version in force, or ``None`` before the first publication."""
    version = current_version()
    return version.declaration() if version else None
