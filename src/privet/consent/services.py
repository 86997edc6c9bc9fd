"""Recording a cookie choice. :func:`record_consent` is the only writer of ``ConsentReceipt``.

No audit event per receipt: receipts are themselves the append-only proof, one per choice, and
at banner volume they would drown the audit chain (whose writers take one global lock). The
audit log records what operators and the retention engine do with receipts (exports, expiry:
one event per batch or dropped month) instead.
"""

from __future__ import annotations

import re
from datetime import date

from django.db import transaction
from django.db.models import QuerySet

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


# The expiry marker the append-only triggers let a DELETE through with (migration 0006): on
# PostgreSQL a setting of the transaction, on SQLite the row of consent_receipt_expiry_permit.
EXPIRY_SETTING = "privet.expiring"


def _expiry_marker(on: bool) -> None:
    connection = transaction.get_connection()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config(%s, %s, true)", [EXPIRY_SETTING, "on" if on else "off"])
        elif connection.vendor == "sqlite":
            cursor.execute("INSERT INTO consent_receipt_expiry_permit (id) VALUES (1)" if on
                           else "DELETE FROM consent_receipt_expiry_permit")


@transaction.atomic
def expire_receipts(*, receipts: QuerySet[ConsentReceipt], actor: Actor = "system:retention",
                    run_ref: str = "") -> int:
    """Delete a batch of receipts the retention engine found expired; returns how many.

    The one DELETE the append-only triggers let through (consent migration 0006): the marker is
    set for this delete alone, in its transaction, and cleared before anything else runs in it;
    if the delete fails, the transaction's rollback takes the marker with it. Months that have
    wholly expired do not come here: the engine drops their partitions (``RECEIPTS``). One audit
    event for the batch, with its size: a receipt names no one, and the run's record says which
    rule expired them.
    """
    keys = list(receipts.order_by().values_list("pk", flat=True))
    if not keys:
        return 0
    _expiry_marker(True)
    removed, _ = ConsentReceipt.objects.filter(pk__in=keys).delete()
    _expiry_marker(False)
    if removed:
        append_event(actor=actor, action="consent.receipts_expired",
                     object_type=ConsentReceipt._meta.label_lower,
                     details={"records": removed, **({"run_ref": run_ref} if run_ref else {})})
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
