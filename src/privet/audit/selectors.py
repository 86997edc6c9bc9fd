"""Reading the audit log: verification of the chain, and an object's or a person's history."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.db import models

from privet.pseudonyms import subject_ref

from .chain import HASHED_FIELDS, SEP
from .models import GENESIS_HASH, AuditEvent

VERIFY_FIELDS = (*HASHED_FIELDS, "hash")


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_at: int | None = None
    reason: str = ""


def verify_chain(
    *, progress: Callable[[int], None] | None = None, chunk_size: int = 5000
) -> VerifyResult:
    """Walk the whole chain in order and report the first broken link.

    Detects an edited row (its hash no longer matches its content), a deleted or inserted row
    (the sequence skips, or the next row's ``prev_hash`` no longer matches). Cost: one streaming
    read of the table plus one SHA-256 per row.
    """
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    rows = AuditEvent.objects.order_by("seq").values_list(*VERIFY_FIELDS).iterator(chunk_size)
    sha256, join = hashlib.sha256, SEP.join  # the hot loop: chain.canonical() inlined
    for seq, created_at, *texts, prev_hash, stored_hash in rows:
        if seq != expected_seq:
            return VerifyResult(False, checked, expected_seq,
                                f"event #{expected_seq} is missing (next stored event is #{seq})")
        if prev_hash != expected_prev:
            return VerifyResult(False, checked, seq,
                                f"event #{seq} does not chain to event #{seq - 1} "
                                "(an earlier event was changed or removed)")
        payload = join((str(seq), created_at.isoformat(timespec="microseconds"), *texts, prev_hash))
        if sha256(payload.encode()).hexdigest() != stored_hash:
            return VerifyResult(False, checked, seq,
                                f"event #{seq} was modified after it was written")
        expected_prev = stored_hash
        expected_seq += 1
        checked += 1
        if progress and checked % chunk_size == 0:
            progress(chunk_size)
    if progress and checked % chunk_size:
        progress(checked % chunk_size)
    return VerifyResult(True, checked)


def events_for_object(obj: models.Model) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


def events_for_subject(identifier: str) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(subject_ref=subject_ref(identifier))
