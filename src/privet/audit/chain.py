"""The canonical form of an audit event and its hash: the one definition append and verify share.

The canonical form is the fields in a fixed order, joined by the ASCII unit separator (0x1F).
That is unambiguous because no field can contain it: ``append_events`` refuses control
characters in the short text fields, and ``details`` is canonical JSON, which escapes every
control character. A join keeps verification cheap (one SHA-256 and one string join per event),
so ``privet audit verify`` runs at close to the speed of reading the table.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

SEP = "\x1f"
# The order of the hashed fields; VERIFY_FIELDS in selectors reads them in this order.
HASHED_FIELDS = (
    "seq", "created_at", "actor", "action", "object_type", "object_id",
    "subject_ref", "policy_version", "details", "prev_hash",
)


def canonical(row: tuple) -> bytes:
    """``row`` holds the values of HASHED_FIELDS, in that order."""
    seq, created_at, *texts = row
    when: datetime = created_at
    return SEP.join((str(seq), when.isoformat(timespec="microseconds"), *texts)).encode()


def event_hash(row: tuple) -> str:
    return hashlib.sha256(canonical(row)).hexdigest()


def canonical_details(details: dict) -> str:
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def has_control_characters(value: str) -> bool:
    return any(ord(ch) < 0x20 for ch in value)
