"""Appending to the audit log. :func:`append_event` is the only writer of ``AuditEvent``."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from datetime import UTC
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connections, models, router, transaction
from django.utils import timezone

from privet.errors import PrivetError
from privet.pseudonyms import subject_ref as make_subject_ref

from .chain import (
    HASHED_FIELDS,
    audit_keys,
    canonical_details,
    event_hash,
    has_control_characters,
    seal,
)
from .models import GENESIS_HASH, AuditEvent
from .selectors import VerifyResult, verify_chain

# Arbitrary constant naming the chain's PostgreSQL advisory lock ("PRVTAUDT" in ASCII).
CHAIN_LOCK_KEY = 0x5052565441554454 & 0x7FFFFFFFFFFFFFFF

# Details describe what happened, never to whom: keys with these words (``email``, ``first_name``,
# ``phoneNumber``) and values shaped like an email or IP address are refused. A key ending in
# ``_ref`` holds a keyed pseudonym (``ip_ref``), which is what to store instead.
_PERSONAL_WORDS = {"email", "name", "surname", "phone", "telephone", "mobile", "ip", "address",
                   "message", "password", "username", "pesel", "birthday"}
_KEY_WORDS_RE = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.I)
_IPV4_RE = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
_ADDRESS_CANDIDATE_RE = re.compile(r"[0-9A-Fa-f:.%]*:[0-9A-Fa-f:.%]*:[0-9A-Fa-f:.%]*")


class PersonalDataInAuditDetails(PrivetError):
    code = "personal_data_in_audit"


Actor = AbstractBaseUser | str | None


def actor_label(actor: Actor) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return f"user:{actor.pk}"


def _is_personal_key(key: str) -> bool:
    words = [w.lower() for w in _KEY_WORDS_RE.findall(key)]
    return bool(words) and words[-1] != "ref" and any(w in _PERSONAL_WORDS for w in words)


def _looks_like_address(text: str) -> bool:
    """An email, an IPv4 address, or an IPv6 address anywhere in ``text``."""
    if _EMAIL_RE.search(text) or _IPV4_RE.search(text):
        return True
    for candidate in _ADDRESS_CANDIDATE_RE.findall(text):
        for form in (candidate, candidate.rstrip(".:")):  # "... at 2001:db8::1."
            try:
                ipaddress.IPv6Address(form)
            except ValueError:
                continue
            return True
    return False


def _check_details(details: Any, path: str = "details") -> None:
    """Refuse personal data anywhere in ``details``: nested dicts and lists are walked too."""
    if isinstance(details, dict):
        for key, value in details.items():
            if _is_personal_key(str(key)):
                raise PersonalDataInAuditDetails(
                    f"{path}.{key}: audit details must not hold personal data"
                )
            _check_details(value, f"{path}.{key}")
    elif isinstance(details, list | tuple):
        for i, value in enumerate(details):
            _check_details(value, f"{path}[{i}]")
    elif isinstance(details, str) and _looks_like_address(details):
        raise PersonalDataInAuditDetails(
            f"{path}: looks like an email or IP address; store a subject reference instead"
        )


def _lock_chain(using: str) -> None:
    """Serialise appenders so each reads the true last event before chaining to it.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: the settings open every transaction
    with BEGIN IMMEDIATE, so the write lock is already held (checked by ``privet.E101``).
    """
    conn = connections[using]
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


_policy_hash_provider: Callable[[], str] | None = None


def set_policy_hash_provider(provider: Callable[[], str] | None) -> None:
    """Name the function that tells :func:`append_events` the hash of the policy in force.

    The audit log is a lower layer than the policy: publishing a version writes an audit event,
    so ``privet.policy`` imports this module and this module must not import it back. Instead the
    policy app registers :func:`privet.policy.selectors.current_hash` here in its
    ``AppConfig.ready()``; without it (the audit app alone, ``None`` to unset) events record ``""``.
    """
    global _policy_hash_provider
    _policy_hash_provider = provider


def _current_policy_hash() -> str:
    return _policy_hash_provider() if _policy_hash_provider is not None else ""


def append_event(
    *,
    actor: Actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    subject: str | None = None,
    details: dict[str, Any] | None = None,
    policy_version: str | None = None,
) -> AuditEvent:
    """Append one event to the chain; call it inside the transaction of the change it records.

    ``subject`` is the person's identifier (email, phone, visitor id); only its keyed pseudonym
    is stored. ``details`` must describe the change without personal data. ``policy_version``
    defaults to the hash of the policy in force (see :func:`set_policy_hash_provider`).
    """
    return append_events(
        [
            {
                "actor": actor,
                "action": action,
                "obj": obj,
                "object_type": object_type,
                "object_id": object_id,
                "subject": subject,
                "details": details,
                "policy_version": policy_version,
            }
        ]
    )[0]


def append_events(events: Iterable[dict[str, Any]], *, batch_size: int = 2000) -> list[AuditEvent]:
    """Append many events in one transaction under one lock (imports, the benchmark)."""
    using = router.db_for_write(AuditEvent)
    key = audit_keys()[0]
    rows: list[AuditEvent] = []
    with transaction.atomic(using=using):
        _lock_chain(using)
        last = AuditEvent.objects.using(using).order_by("-seq").values_list("seq", "hash").first()
        seq, prev = last if last else (0, GENESIS_HASH)
        policy_hash: str | None = None
        now = timezone.now()
        for ev in events:
            details = ev.get("details") or {}
            _check_details(details)
            obj = ev.get("obj")
            if ev.get("policy_version") is not None:
                version = ev["policy_version"]
            else:
                if policy_hash is None:
                    policy_hash = _current_policy_hash()
                version = policy_hash
            subject = ev.get("subject")
            seq += 1
            created_at = ev.get("created_at") or now
            if timezone.is_naive(created_at):
                raise PrivetError("audit event created_at must be timezone-aware")
            fields = {
                "seq": seq,
                # Hashed as written and as read back: the database returns UTC.
                "created_at": created_at.astimezone(UTC),
                "actor": actor_label(ev.get("actor")),
                "action": ev["action"],
                "object_type": obj._meta.label_lower if obj is not None else ev.get("object_type", ""),
                "object_id": str(obj.pk) if obj is not None else str(ev.get("object_id", "")),
                "subject_ref": make_subject_ref(subject) if subject else ev.get("subject_ref", ""),
                "policy_version": version,
                "details": canonical_details(details),
                "prev_hash": prev,
            }
            for name in ("actor", "action", "object_type", "object_id", "subject_ref", "policy_version"):
                if has_control_characters(fields[name]):
                    raise PrivetError(f"audit event field {name!r} must not contain control characters")
            prev = event_hash(tuple(fields[name] for name in HASHED_FIELDS))
            rows.append(AuditEvent(hash=prev, mac=seal(prev, key), **fields))
        AuditEvent.objects.using(using).bulk_create(rows, batch_size=batch_size)
    return rows


def record_verification(*, actor: Actor) -> VerifyResult:
    """Verify the whole chain and write the outcome into it (``audit.verified`` or
    ``audit.broken``, with where it broke), so the log shows who checked it and when.

    Not one transaction: the walk may take seconds on a long log and must not hold the chain
    lock meanwhile; the event goes after whatever was appended during the walk.
    """
    result = verify_chain()
    append_event(
        actor=actor,
        action="audit.verified" if result.ok else "audit.broken",
        details={"checked": result.checked, "broken_at": result.broken_at, "reason": result.reason},
    )
    return result


def record_export(*, actor: Actor, filters: dict[str, str]) -> None:
    """Audit a download of the log (the panel's CSV export) with the filters it used; written
    before the file is, since the file is streamed."""
    append_event(actor=actor, action="audit.exported", details={"filters": filters})
