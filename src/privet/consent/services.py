"""Recording a cookie choice. :func:`record_consent` is the only writer of ``ConsentReceipt``.

No audit event per receipt: receipts are themselves the append-only proof, one per choice, and
at banner volume they would drown the audit chain (whose writers take one global lock). The
audit log records what operators do with receipts (exports, partition drops) instead.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

from django.db import transaction
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth

from privet.audit.services import Actor, append_event
from privet.errors import PrivetError
from privet.policy.schema import CookiePurpose
from privet.policy.selectors import declaration_for_hash
from privet.useragents import user_agent_family

from . import partitions
from .models import ConsentReceipt
from .selectors import refused_by_gpc, site_for

VISITOR_ID_RE = re.compile(r"^[0-9a-f]{32}$")


class UnknownPolicyVersion(PrivetError):
    code = "unknown_policy_version"


class UnknownSite(PrivetError):
    code = "unknown_site"


class UnknownPurpose(PrivetError):
    code = "unknown_purpose"


class InvalidVisitorId(PrivetError):
    code = "invalid_visitor_id"


class MethodContradictsChoices(PrivetError):
    """``reject_all`` that grants an optional purpose, or ``accept_all`` that refuses one: the
    receipt would prove a choice the visitor did not make, whichever half is true."""

    code = "method_contradicts_choices"


def record_consent(
    *,
    site: str,
    visitor_id: str,
    choices: dict[str, bool],
    policy_hash: str,
    method: str,
    gpc: bool,
    banner_version: str,
    language: str,
    user_agent: str = "",
) -> ConsentReceipt:
    """Store one choice after checking it against the policy version the visitor was shown.

    Every optional purpose of that version is recorded: one left out counts as not granted;
    required purposes are always granted; with Global Privacy Control the purposes it refuses
    (marketing) are recorded as refused whatever was sent. Bad input raises a
    :class:`PrivetError` and stores nothing.

    On PostgreSQL the first receipt a process stores in a month also makes sure the monthly
    partitions ahead exist (:func:`partitions.keep_ahead`; free on every other receipt).
    """
    if not VISITOR_ID_RE.match(visitor_id):
        raise InvalidVisitorId("The visitor id must be 32 lowercase hexadecimal characters.")
    declaration = declaration_for_hash(policy_hash)
    if declaration is None:
        raise UnknownPolicyVersion(
            f"No published policy version has the hash {policy_hash[:12]}...; reload the page "
            "to get the policy in force."
        )
    if site_for(declaration, site) is None:
        known = ", ".join(w.id for w in declaration.websites)
        raise UnknownSite(f"Site {site!r} is not declared in the policy's websites ({known}).")
    purposes = declaration.cookies.purposes
    declared = {p.id for p in purposes}
    if unknown := sorted(set(choices) - declared):
        raise UnknownPurpose(
            f"Unknown cookie purpose {', '.join(map(repr, unknown))}; this policy declares "
            f"{', '.join(sorted(declared))}."
        )
    _check_method(method, choices, purposes, gpc=gpc)
    recorded = {
        p.id: p.required or (bool(choices.get(p.id)) and not (gpc and refused_by_gpc(p)))
        for p in purposes
    }
    partitions.keep_ahead()
    return ConsentReceipt.objects.create(
        site=site,
        visitor_id=visitor_id,
        choices=recorded,
        method=method,
        gpc=gpc,
        policy_hash=policy_hash,
        banner_version=banner_version,
        language=language,
        user_agent_family=user_agent_family(user_agent),
    )


def _check_method(method: str, choices: dict[str, bool], purposes: list[CookiePurpose], *,
                  gpc: bool) -> None:
    """Refuse a ``method`` that says otherwise than ``choices`` about the optional purposes.

    ``accept_all`` must grant every optional purpose, except one that Global Privacy Control
    refuses when GPC is on (the banner sends those as refused); ``reject_all`` must grant none.
    Required purposes are always granted, whatever is sent, so they are not compared.
    """
    optional = [p for p in purposes if not p.required]
    if method == "reject_all":
        wrong = [p.id for p in optional if choices.get(p.id)]
        if wrong:
            raise MethodContradictsChoices(
                f"The method is reject_all, but choices grant {', '.join(wrong)}; send those as "
                "false, or use the method custom."
            )
    elif method == "accept_all":
        wrong = [p.id for p in optional if not choices.get(p.id) and not (gpc and refused_by_gpc(p))]
        if wrong:
            raise MethodContradictsChoices(
                f"The method is accept_all, but choices do not grant {', '.join(wrong)}; send "
                "those as true, or use the method custom."
            )


@transaction.atomic
def expire_receipts(*, receipts: QuerySet[ConsentReceipt], actor: Actor = "system:retention",
                    run_ref: str = "") -> int:
    """Remove expired receipts the only way an append-only table allows: whole months.

    On PostgreSQL a monthly partition all of whose receipts are in ``receipts`` (the retention
    engine found them expired) is dropped, one ``DROP TABLE`` for the month, and audited;
    a month with any receipt still needed waits for a later run. Elsewhere (SQLite, the default
    partition) nothing is removed: the append-only triggers refuse row deletes. Returns how
    many receipts were removed.
    """
    if not partitions.is_partitioned():
        return 0
    per_month = (receipts.order_by().annotate(month=TruncMonth("created_at", tzinfo=UTC))
                 .values("month").annotate(n=Count("id")))
    existing = set(partitions.month_partitions())
    removed, dropped = 0, []
    for row in per_month:
        month = row["month"].date()
        if month not in existing:
            continue
        start, end = (datetime.combine(m, time.min, UTC)
                      for m in (month, partitions.add_months(month, 1)))
        if ConsentReceipt.objects.filter(created_at__gte=start, created_at__lt=end).count() != row["n"]:
            continue
        removed += row["n"]
        dropped.append(partitions.drop_month(month))
    if dropped:
        append_event(actor=actor, action="consent.partitions_dropped",
                     object_type="consent.consentreceipt",
                     details={"partitions": dropped, "receipts": removed,
                              **({"run_ref": run_ref} if run_ref else {})})
    return removed


@transaction.atomic
def record_receipts_export(*, visitor_id: str, receipts: int, actor: Actor,
                           request_ref: str = "") -> None:
    """Audit that a visitor's receipts were handed to them (Art. 15/20): one event."""
    append_event(actor=actor, action="consent.receipts_exported",
                 object_type=ConsentReceipt._meta.label_lower, subject=visitor_id,
                 details={"receipts": receipts, **({"request_ref": request_ref} if request_ref else {})})


def record_period_export(*, since: date, until: date, actor: Actor) -> None:
    """Audit that the receipts of a period were downloaded (the panel's CSV export): who, when,
    and which days. Written before the file is, since the file is streamed."""
    append_event(actor=actor, action="consent.receipts_period_exported",
                 object_type=ConsentReceipt._meta.label_lower,
                 details={"from": since.isoformat(), "to": until.isoformat()})
