"""The canonical form of an audit event and its hash: the one definition append and verify share.

The canonical form is the fields in a fixed order, joined by the ASCII unit separator (0x1F).
That is unambiguous because no field can contain it: ``append_events`` refuses control
characters in the short text fields, and ``details`` is canonical JSON, which escapes every
control character. A join keeps verification cheap (one SHA-256 and one string join per event),
so ``privet audit verify`` runs at close to the speed of reading the table.

The hash alone proves that nothing changed only to someone who cannot recompute it; anyone who
can write to the database can. So each event is also *sealed*: ``mac`` is a MAC of its hash
under the audit key (``PRIVET_AUDIT_KEY``, kept in the environment, never in the database):
BLAKE2b in its keyed mode, which hashlib offers as a MAC in its own right, as strong as HMAC and
a third of its cost here, which keeps verification within twice a plain read of the table.
The hash covers the previous event's hash, so a seal vouches for the whole chain up to its event:
a chain re-hashed from any event, or an event appended by hand, fails at the first event whose
seal does not match. Only the newest events' removal needs more (an anchor kept elsewhere).
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


SEAL_PERSON = b"privet.audit"  # BLAKE2's personalisation: a seal is good for nothing else


def seal_key(secret: str) -> bytes:
    """The 32-byte BLAKE2b key made from a configured audit key (any length from 32 characters)."""
    return hashlib.sha256(secret.encode()).digest()


def audit_keys() -> tuple[bytes, ...]:
    """The key that seals new events, then the older keys whose seals still verify (settings
    ``PRIVET_AUDIT_KEY`` and ``PRIVET_AUDIT_KEY_FALLBACKS``)."""
    from django.conf import settings

    return tuple(seal_key(k) for k in (settings.PRIVET_AUDIT_KEY, *settings.PRIVET_AUDIT_KEY_FALLBACKS))


def sealer(key: bytes) -> hashlib.blake2b:
    """A keyed BLAKE2b, nothing fed yet: ``.copy()``, feed an event's hash, and read its seal."""
    return hashlib.blake2b(key=key, digest_size=32, person=SEAL_PERSON)


def seal(digest: str, key: bytes) -> str:
    """An event's seal: the keyed BLAKE2b (32 bytes, hex) of its hash under ``key``."""
    mac = sealer(key)
    mac.update(digest.encode())
    return mac.hexdigest()


def canonical_details(details: dict) -> str:
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def has_control_characters(value: str) -> bool:
    return any(ord(ch) < 0x20 for ch in value)
