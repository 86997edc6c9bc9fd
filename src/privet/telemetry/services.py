"""Writing to the technical log, and expiring it.

:func:`record_request` (the middleware's) and :func:`record_security_event` (every other app's)
only queue a record (:mod:`.recorder` writes it in bulk); neither ever raises into its caller's
request, and neither writes an audit event: the log is itself the record, and at request volume
it would drown the audit chain. What operators and retention do to the log is audited instead.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import Resolver404, resolve
from django.utils import timezone

from privet.audit.services import Actor, append_event
from privet.clients import client_ip
from privet.useragents import os_family, user_agent_family

from . import pseudonyms
from .models import REQUEST, SECURITY_KINDS, UNRESOLVED, DailyKey, TechnicalRecord
from .recorder import Entry, recorder

logger = logging.getLogger(__name__)

# Details are codes (a sign-in stage, a limit's name, a link's kind), never what a person typed:
# a value is a short lowercase word, a number or a yes/no.
_CODE = re.compile(r"^[a-z0-9_.:-]{1,64}$")
ROUTE_MAX = 200
METHOD_MAX = 8
# How many rows one DELETE of expiry removes: short transactions, one audit event each.
EXPIRY_BATCH = 5000


class UnknownKind(ValueError):
    pass


def route_name(request: HttpRequest) -> str:
    """The request's route as the log keeps it: the resolver's view name (``panel:audit``,
    ``api:create_request``), else the URL pattern with its converters (``rights/<int:pk>/``),
    else :data:`UNRESOLVED`. Never the path, which may carry ids, tokens or anything typed."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        # Answered before URL resolution (an API middleware's 429): the path is resolved here.
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return UNRESOLVED
        except Exception:  # a URL the resolver chokes on is still "unresolved"
            return UNRESOLVED
    name = match.view_name if match.url_name else ""
    return (name or match.route or UNRESOLVED)[:ROUTE_MAX]


def _client(request: HttpRequest | None) -> dict[str, str]:
    if request is None:
        return {"ip": "", "user_agent_family": "", "os_family": ""}
    agent = request.META.get("HTTP_USER_AGENT", "")
    return {"ip": client_ip(request), "user_agent_family": user_agent_family(agent),
            "os_family": os_family(agent)}


def record_request(*, request: HttpRequest, status: int, duration_ms: float, at=None) -> None:
    """Queue the record of one request to Privet's pages or API (the middleware's)."""
    recorder.add(Entry(at=at or timezone.now(), kind=REQUEST, method=request.method[:METHOD_MAX],
                       route=route_name(request), status=status,
                       duration_ms=round(duration_ms, 3), **_client(request)))


def record_security_event(kind: str, request: HttpRequest | None = None, **details: Any) -> None:
    """Queue a security event (``sign_in_failed``, ``sign_in_locked``, ``verification_refused``,
    ``rate_limited``, ``webhook_refused``) with the client of ``request`` pseudonymised like a
    request's. ``details`` are codes that say what happened (``stage="password"``,
    ``limit="rights"``), never personal data: a value that is not a short code, a number or a
    yes/no is left out. Does nothing with ``PRIVET_TELEMETRY=0``."""
    if kind not in SECURITY_KINDS:
        raise UnknownKind(f"{kind!r} is not a security event; use one of: "
                          f"{', '.join(SECURITY_KINDS)}.")
    if not settings.PRIVET_TELEMETRY:
        return
    kept = {k: v for k, v in details.items()
            if isinstance(v, bool | int) or (isinstance(v, str) and _CODE.match(v))}
    route = route_name(request) if request is not None else ""
    method = request.method[:METHOD_MAX] if request is not None else ""
    recorder.add(Entry(at=timezone.now(), kind=kind, method=method, route=route, details=kept,
                       **_client(request)))


@transaction.atomic
def expire_records(records: QuerySet, *, actor: Actor = "system:retention",
                   run_ref: str = "") -> int:
    """Delete technical records (or daily keys) whose declared period has run out, in batches of
    :data:`EXPIRY_BATCH`; one audit event per batch with its size, never one per row. The
    retention engine found them expired; on PostgreSQL it drops whole months of the log's
    partitions itself and hands only the rest here."""
    model = records.model
    ids = list(records.order_by().values_list("pk", flat=True))
    removed = 0
    for start in range(0, len(ids), EXPIRY_BATCH):
        chunk = ids[start:start + EXPIRY_BATCH]
        deleted, _ = model._default_manager.filter(pk__in=chunk).delete()
        if deleted:
            removed += deleted
            append_event(actor=actor, action=_EXPIRED_ACTION[model], object_type=model._meta.label_lower,
                         details={"records": deleted, **({"run_ref": run_ref} if run_ref else {})})
    if model is DailyKey and removed:
        pseudonyms.forget_keys()
    return removed


_EXPIRED_ACTION = {
    TechnicalRecord: "telemetry.records_expired",
    DailyKey: "telemetry.keys_destroyed",
}
