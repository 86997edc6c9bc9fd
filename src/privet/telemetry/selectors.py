"""Reads of the technical log."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from .models import REQUEST, TechnicalRecord


def security_events(*, kind: str = "", day: date | None = None,
                    pseudonym: str = "") -> QuerySet[TechnicalRecord]:
    """Security events, newest first, of one ``kind``, local ``day`` and ``pseudonym`` when
    given (each served by a partial index of migration 0001; a day prunes to one partition)."""
    events = TechnicalRecord.objects.exclude(kind=REQUEST)
    if kind:
        events = events.filter(kind=kind)
    if day:
        tz = timezone.get_default_timezone()
        since = timezone.make_aware(datetime.combine(day, time.min), tz)
        until = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min), tz)
        events = events.filter(at__gte=since, at__lt=until)
    if pseudonym:
        events = events.filter(pseudonym=pseudonym)
    return events.order_by("-at", "-id")
