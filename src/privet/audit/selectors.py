"""Reading the audit log: verification of the chain, an object's or a person's history, the
newest events, and the usernames behind ``user:<id>`` actors. Other apps read events here, never
through the model."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import models

from privet.pseudonyms import subject_ref

from .chain import HASHED_FIELDS, SEP, audit_keys, seal, sealer
from .models import GENESIS_HASH, AuditEvent

VERIFY_FIELDS = (*HASHED_FIELDS, "hash", "mac")


@dataclass(frozen=True)
class Head:
    """The newest event of a verified chain; kept outside the database, it is an anchor."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq} {self.hash}"

    @classmethod
    def parse(cls, text: str) -> Head:
        """Read ``"<seq> <hash>"`` (what ``str()`` writes); ValueError if it is not that."""
        seq, digest = text.split()
        if not seq.isdecimal() or len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise ValueError(f"not an audit head: {text.strip()!r}")
        return cls(int(seq), digest)


# Why a chain is broken (VerifyResult.kind), for callers that explain it in their own words.
MISSING = "missing"  # an event is gone: the sequence skips
UNLINKED = "unlinked"  # an event does not chain to the one before it
MODIFIED = "modified"  # an event's content no longer matches its hash
UNSEALED = "unsealed"  # an event's seal does not match: written or re-hashed without the key
ANCHOR_DIFFERS = "anchor_differs"  # the anchor's event is not the one the anchor recorded
TRUNCATED = "truncated"  # the log ends before the anchor's event


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_at: int | None = None
    reason: str = ""
    head: Head | None = None  # the last verified event (None for an empty log)
    kind: str = ""  # one of the constants above when not ok


def verify_chain(
    *, progress: Callable[[int], None] | None = None, chunk_size: int = 5000,
    anchor: Head | None = None,
) -> VerifyResult:
    """Walk the whole chain in order and report the first broken link.

    Detects an edited row (its hash no longer matches its content), a deleted or inserted row
    (the sequence skips, or the next row's ``prev_hash`` no longer matches), and an event
    written or re-hashed by anyone without the audit key (its seal does not match): a chain
    rewritten from any event, or a well-formed event forged at the head, is reported at the
    first event that changed. The chain alone cannot tell a removal of the newest events from a
    shorter log: ``anchor``, a head recorded by an earlier verification and kept elsewhere, can.
    Cost: one streaming read of the table plus one SHA-256 and one keyed BLAKE2b per row.
    """
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    key, *old_keys = audit_keys()
    keyed = sealer(key)
    rows = AuditEvent.objects.order_by("seq").values_list(*VERIFY_FIELDS).iterator(chunk_size)
    # The hot loop: chain.canonical() and chain.seal() inlined.
    sha256, join = hashlib.sha256, SEP.join
    for seq, created_at, *texts, prev_hash, stored_hash, mac in rows:
        if seq != expected_seq:
            return VerifyResult(False, checked, expected_seq,
                                f"event #{expected_seq} is missing (next stored event is #{seq})",
                                kind=MISSING)
        if prev_hash != expected_prev:
            return VerifyResult(False, checked, seq,
                                f"event #{seq} does not chain to event #{seq - 1} "
                                "(an earlier event was changed or removed)", kind=UNLINKED)
        payload = join((str(seq), created_at.isoformat(timespec="microseconds"), *texts, prev_hash))
        if sha256(payload.encode()).hexdigest() != stored_hash:
            return VerifyResult(False, checked, seq,
                                f"event #{seq} was modified after it was written", kind=MODIFIED)
        check = keyed.copy()
        check.update(stored_hash.encode())
        if check.hexdigest() != mac and not any(seal(stored_hash, old) == mac for old in old_keys):
            return VerifyResult(False, checked, seq,
                                f"event #{seq} does not carry the audit key's seal (it was written "
                                "or re-hashed outside Privet, or the audit key changed)",
                                kind=UNSEALED)
        if anchor and seq == anchor.seq and stored_hash != anchor.hash:
            return VerifyResult(False, checked, seq,
                                f"event #{seq} differs from the anchor recorded earlier "
                                "(the chain was rewritten from there or before)",
                                kind=ANCHOR_DIFFERS)
        expected_prev = stored_hash
        expected_seq += 1
        checked += 1
        if progress and checked % chunk_size == 0:
            progress(chunk_size)
    if progress and checked % chunk_size:
        progress(checked % chunk_size)
    if anchor and checked < anchor.seq:
        return VerifyResult(False, checked, checked + 1,
                            f"the log ends at event #{checked}, but the anchor recorded earlier "
                            f"names event #{anchor.seq}: newer events were removed",
                            kind=TRUNCATED)
    return VerifyResult(True, checked, head=Head(checked, expected_prev) if checked else None)


def events_for_object(obj: models.Model) -> models.QuerySet[AuditEvent]:
    """Everything recorded about ``obj``, oldest first (served by ``audit_object_idx``)."""
    return AuditEvent.objects.filter(object_type=obj._meta.label_lower,
                                     object_id=str(obj.pk)).order_by("seq")


def events_for_subject(identifier: str) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(subject_ref=subject_ref(identifier))


def recent_events(*, action: str = "") -> models.QuerySet[AuditEvent]:
    """Events newest first, optionally of one action (served by the primary key order)."""
    qs = AuditEvent.objects.order_by("-seq")
    return qs.filter(action=action) if action else qs


def filtered_events(*, since: datetime | None = None, until: datetime | None = None,
                    actor: str = "", action: str = "") -> models.QuerySet[AuditEvent]:
    """Events newest first, from ``since`` (inclusive) to ``until`` (exclusive), by one actor
    and of one action, each filter only when given (the panel's log and its CSV export).

    No index on ``created_at``: a period is rare next to the appends every index would slow;
    the newest pages come in primary-key order and a period costs one scan of the table.
    """
    qs = recent_events(action=action)
    if actor:
        qs = qs.filter(actor=actor)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    return qs


def actors() -> list[str]:
    """Every actor that occurs in the log, for a filter (one DISTINCT query)."""
    return list(AuditEvent.objects.order_by("actor").values_list("actor", flat=True).distinct())


def actions() -> list[str]:
    """Every action that occurs in the log, for a filter (one DISTINCT query)."""
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())


def usernames(actors: Iterable[str]) -> dict[str, str]:
    """``{"user:7": "olga"}`` for the ``user:<id>`` actors among ``actors`` (see
    :func:`~.services.actor_label`): one query, none when no user is among them."""
    ids = {int(a.split(":", 1)[1]) for a in actors
           if a.startswith("user:") and a.split(":", 1)[1].isdecimal()}
    if not ids:
        return {}
    User = get_user_model()
    return {f"user:{pk}": name
            for pk, name in User.objects.filter(pk__in=ids).values_list("pk", User.USERNAME_FIELD)}
