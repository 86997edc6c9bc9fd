"""Reads for the panel and the audit log's links."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse

from .models import LegalHold, RetentionRun


def run_reference(pk: int | str) -> str:
    pk = str(pk)
    return f"RUN-{int(pk):06d}" if pk.isascii() and pk.isdecimal() else pk


def hold_reference(pk: int | str) -> str:
    pk = str(pk)
    return f"HOLD-{int(pk):05d}" if pk.isascii() and pk.isdecimal() else pk


def _urls(model, name: str, object_ids: Iterable[str]) -> dict[str, str]:
    ids = [int(i) for i in object_ids if str(i).isdecimal()]
    try:
        return {str(pk): reverse(name, args=[pk])
                for pk in model.objects.filter(pk__in=ids).values_list("pk", flat=True)}
    except NoReverseMatch:  # the panel's pages are not installed
        return {}


def run_url(object_ids: Iterable[str]) -> dict[str, str]:
    return _urls(RetentionRun, "panel:retention-run", object_ids)


def hold_url(object_ids: Iterable[str]) -> dict[str, str]:
    return _urls(LegalHold, "panel:retention-hold", object_ids)


def recent_runs(limit: int = 20) -> QuerySet[RetentionRun]:
    return RetentionRun.objects.order_by("-started_at")[:limit]


def last_run() -> RetentionRun | None:
    return RetentionRun.objects.order_by("-started_at").first()
