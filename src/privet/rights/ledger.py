"""The erasure ledger after a restore from backup: erase again what the backup brought back.

A restored database brings back the records erased since the backup was taken, and with them an
older ledger that does not know of those erasures. So the ledger is also kept outside the
database (:func:`export_ledger`, JSON lines, no personal data: a keyed hash, record keys, the
request's reference, the source, the time), read back in after the restore
(:func:`import_ledger`), and replayed (:func:`replay_erasures`): each entry's record keys that
exist again are erased again through the source's ``erase_keys``
(:func:`privet.registry.erase_keys`), audited. README, "After a restore from backup".
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from django.db import transaction
from django.utils.dateparse import parse_datetime

from privet.audit import actors
from privet.audit.services import Actor, append_event
from privet.registry import erase_keys, registry

from .errors import InvalidRequest
from .models import ErasureRecord

REPLAY_ACTOR = f"{actors.CLI}:rights"
FIELDS = ("request_ref", "source", "subject_digest", "record_keys", "erased_at")


class DryRun(Exception):
    """Raised inside a dry run's transaction so that what it erased rolls back."""


@dataclass
class Replayed:
    """What replaying one ledger entry did (or, in a dry run, would do)."""

    request_ref: str
    source: str
    listed: int
    erased: list[str] = field(default_factory=list)
    problem: str = ""  # the source is gone, or cannot erase by key: nothing was checked


def _entry(record: ErasureRecord) -> dict[str, Any]:
    return {"request_ref": record.request_ref, "source": record.source,
            "subject_digest": record.subject_digest, "record_keys": list(record.record_keys),
            "erased_at": record.erased_at.isoformat()}


def _identity(entry: dict[str, Any]) -> tuple:
    """What makes two ledger entries the same one (primary keys are not: a restored database
    hands out again the keys of the rows written after its backup)."""
    return (entry["request_ref"], entry["source"], entry["subject_digest"],
            parse_datetime(entry["erased_at"]) if isinstance(entry["erased_at"], str)
            else entry["erased_at"])


def export_ledger(out: TextIO) -> int:
    """Write every ledger entry as one JSON object per line (oldest first); returns how many.
    Nothing in it identifies a person: the digest is keyed with a key outside the database."""
    count = 0
    for record in ErasureRecord.objects.order_by("erased_at", "pk").iterator():
        out.write(json.dumps(_entry(record), sort_keys=True) + "\n")
        count += 1
    return count


def _parse(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            raise InvalidRequest(f"line {number}: not JSON; expected one ledger entry per line "
                                 "as written by 'privet rights ledger --export'.") from None
        if not isinstance(entry, dict) or set(entry) != set(FIELDS):
            raise InvalidRequest(f"line {number}: a ledger entry has exactly the fields "
                                 f"{', '.join(FIELDS)}.")
        erased_at = parse_datetime(entry["erased_at"]) if isinstance(entry["erased_at"], str) \
            else None
        keys = entry["record_keys"]
        texts = (entry["request_ref"], entry["source"], entry["subject_digest"])
        if (erased_at is None or erased_at.tzinfo is None or not isinstance(keys, list)
                or not all(isinstance(k, str) and 0 < len(k) <= 100 for k in keys)
                or not all(isinstance(t, str) and 0 < len(t) <= 100 for t in texts)):
            raise InvalidRequest(f"line {number}: a field has the wrong type (erased_at: a time "
                                 "with its offset; record_keys: a list of texts).")
        yield {**entry, "erased_at": erased_at}


@transaction.atomic(durable=True)
def import_ledger(lines: Iterable[str], *, actor: Actor) -> tuple[int, int]:
    """Add the entries of an exported ledger that this database lacks (a restored database
    holds only those older than its backup); returns (added, already present). All or
    nothing: a bad line stores nothing."""
    entries = list(_parse(lines))
    present = {_identity(_entry(r)) for r in ErasureRecord.objects.all()}
    added = []
    for entry in entries:
        if _identity(entry) in present:
            continue
        present.add(_identity(entry))
        added.append(ErasureRecord(**entry))
    ErasureRecord.objects.bulk_create(added)
    if added:
        append_event(actor=actor, action="rights.ledger_imported",
                     details={"added": len(added), "present": len(entries) - len(added)})
    return len(added), len(entries) - len(added)


def _replay_one(record: ErasureRecord, *, actor: Actor, dry_run: bool) -> Replayed:
    done = Replayed(record.request_ref, record.source, len(record.record_keys))
    source = registry.sources.get(record.source)
    if source is None:
        done.problem = (f"the source {record.source!r} is not registered (its app was removed or "
                        "renamed); its records were not checked")
        return done
    try:
        with transaction.atomic(durable=True):
            erased = erase_keys(source, record.record_keys, actor=actor,
                                request_ref=record.request_ref)
            if erased is None:
                done.problem = (f"the source {record.source!r} cannot erase by key (it has no "
                                "erase_keys); its records were not checked")
                return done
            done.erased = list(erased)
            if erased:
                append_event(actor=actor, action="rights.erasure_replayed",
                             details={"request_ref": record.request_ref, "source": record.source,
                                      "records": len(erased), "ledger_entry": record.pk})
            if dry_run:
                raise DryRun
    except DryRun:
        pass
    return done


def replay_erasures(*, actor: Actor = REPLAY_ACTOR, dry_run: bool = False) -> list[Replayed]:
    """Erase again, for every ledger entry (oldest first), the listed records that exist again;
    one transaction per entry, audited (``rights.erasure_replayed`` plus the source's own
    events). A dry run does the same and rolls each entry back, so it reports exactly what a
    real run would erase, and changes nothing. Running it twice erases nothing the second time.
    An entry whose source is gone or cannot erase by key is reported with a ``problem``."""
    records = ErasureRecord.objects.order_by("erased_at", "pk")
    return [_replay_one(r, actor=actor, dry_run=dry_run) for r in records]
