"""Audit chain: append and verify cost against plain inserts and reads of the same rows.

Builds a chain of N events (1,000,000 by default; ``--quick``: 50,000) in a fresh database and
measures, in the same run and on the same table:

- appends/s through ``append_events`` (canonical form, personal-data guard, SHA-256, seal, chain
  lock)
  as a ratio to plain ``bulk_create`` inserts of the same rows (goal: >= 0.5);
- ``verify_chain`` time as a ratio to a plain read of the same rows without hashing (goal: <= 2);
- for reference, the path a web request takes: ``append_event``, one event per transaction,
  onto the end of the full chain, as a ratio to single-row inserts each in its own transaction.

SQLite by default; set PRIVET_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_audit
to run it on PostgreSQL (the database is created if missing).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

CHUNK = 10_000  # events per transaction, for both the plain inserts and the appends
SINGLES = 2_000  # one-event transactions appended to the full chain (the request path)


def setup_django() -> None:
    os.environ.setdefault("PRIVET_SECRET_KEY", "bench-only-" + "z" * 40)
    os.environ["PRIVET_DATA_DIR"] = tempfile.mkdtemp(prefix="privet-bench-audit-")
    if url := os.environ.get("PRIVET_BENCH_DATABASE_URL"):
        os.environ["PRIVET_DATABASE_URL"] = url
        _ensure_pg_database(url)
    else:
        os.environ.pop("PRIVET_DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "privet.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _ensure_pg_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("select 1 from pg_database where datname=%s", [name]).fetchone():
            conn.execute(f'create database "{name}"')


def event_specs(n: int):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(n):
        yield {
            "actor": f"user:{i % 7}",
            "action": ("enquiry.status_changed", "consent.recorded", "policy.published")[i % 3],
            "object_type": "enquiries.enquiry",
            "object_id": str(i),
            "subject_ref": f"{i % 5000:032x}",
            "details": {"from": "new", "to": "offer", "n": i},
            "policy_version": "5d64c5766e4f72a32da356d182a3e1c1965f13ec0f6379921faefeed8b567665",
            "created_at": start + timedelta(seconds=i),
        }


def chunks(iterable, size):
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def append_only_guard(on: bool) -> None:
    """The benchmark removes its own rows between runs, which the append-only guard (audit
    migration 0004) refuses: it is lifted for that, as someone with the database's keys could."""
    import importlib

    from django.db import connection

    guard = importlib.import_module("privet.audit.migrations.0004_events_append_only")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f'ALTER TABLE "{guard.TABLE}" {"ENABLE" if on else "DISABLE"} '
                           "TRIGGER audit_event_append_only")
        else:
            for sql in guard.SQLITE_INSTALL if on else guard.SQLITE_REMOVE:
                cursor.execute(sql)


def clear() -> None:
    from django.db import connection

    from privet.audit.models import AuditEvent

    with connection.cursor() as cursor:
        table = AuditEvent._meta.db_table
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {table}")  # fires no row trigger
        else:
            append_only_guard(False)
            cursor.execute(f"DELETE FROM {table}")
            append_only_guard(True)


def plain_inserts(n: int) -> float:
    """Insert exactly the rows the chain will hold (hashes computed beforehand, untimed)."""
    from django.db import transaction

    from privet.audit.chain import HASHED_FIELDS, audit_keys, canonical_details, event_hash, seal
    from privet.audit.models import GENESIS_HASH, AuditEvent

    key = audit_keys()[0]
    elapsed = 0.0
    seq, prev = 0, GENESIS_HASH
    for batch in chunks(event_specs(n), CHUNK):
        rows = []
        for ev in batch:
            seq += 1
            fields = {
                "seq": seq, "created_at": ev["created_at"], "actor": ev["actor"],
                "action": ev["action"], "object_type": ev["object_type"],
                "object_id": ev["object_id"], "subject_ref": ev["subject_ref"],
                "policy_version": ev["policy_version"],
                "details": canonical_details(ev["details"]), "prev_hash": prev,
            }
            prev = event_hash(tuple(fields[name] for name in HASHED_FIELDS))
            rows.append(AuditEvent(hash=prev, mac=seal(prev, key), **fields))
        started = time.perf_counter()
        with transaction.atomic():
            AuditEvent.objects.bulk_create(rows, batch_size=2000)
        elapsed += time.perf_counter() - started
    return elapsed


def chained_appends(n: int) -> float:
    from privet.audit.services import append_events

    started = time.perf_counter()
    for batch in chunks(event_specs(n), CHUNK):
        append_events(batch)
    return time.perf_counter() - started


def single_inserts(n: int) -> float:
    """``n`` rows continuing the chain, one plain INSERT per transaction; removed afterwards."""
    from django.db import transaction

    from privet.audit.models import AuditEvent

    last = AuditEvent.objects.order_by("-seq").first()
    rows = [AuditEvent(seq=last.seq + 1 + i, created_at=last.created_at, actor="bench",
                       action="thing.done", details="{}", prev_hash=f"f{i:063x}", hash=f"e{i:063x}")
            for i in range(n)]
    started = time.perf_counter()
    for row in rows:
        with transaction.atomic():
            row.save(force_insert=True)
    elapsed = time.perf_counter() - started
    append_only_guard(False)
    AuditEvent.objects.filter(seq__gt=last.seq).delete()
    append_only_guard(True)
    return elapsed


def single_appends(n: int) -> float:
    """``n`` events through ``append_event``, each its own transaction, as a request makes them."""
    from privet.audit.services import append_event

    started = time.perf_counter()
    for i in range(n):
        append_event(actor="bench", action="thing.done", object_type="thing", object_id=str(i),
                     details={"i": i})
    return time.perf_counter() - started


def plain_read() -> tuple[float, int]:
    from privet.audit.models import AuditEvent
    from privet.audit.selectors import VERIFY_FIELDS

    started = time.perf_counter()
    count = 0
    rows = AuditEvent.objects.order_by("seq").values_list(*VERIFY_FIELDS).iterator(5000)
    for _row in rows:
        count += 1
    return time.perf_counter() - started, count


def verify() -> tuple[float, bool, int]:
    from privet.audit.selectors import verify_chain

    started = time.perf_counter()
    result = verify_chain()
    return time.perf_counter() - started, result.ok, result.checked


def progress(msg: str) -> None:
    print(f"  {msg}", flush=True)


def main(args) -> bool:
    n = 50_000 if getattr(args, "quick", False) else 1_000_000
    setup_django()
    from django.db import connection

    print(f"audit chain of {n:,} events on {connection.vendor}, {CHUNK:,} events per transaction")
    clear()
    progress("plain inserts...")
    t_plain = plain_inserts(n)
    clear()
    progress("chained appends...")
    t_append = chained_appends(n)
    # Read and verify alternate, twice each, and the best of each counts: both see equally
    # warm caches, and a burst of load from elsewhere on the machine cannot favour one arm.
    t_read = t_verify = float("inf")
    for round_ in (1, 2):
        progress(f"plain read ({round_}/2)...")
        elapsed, read_count = plain_read()
        t_read = min(t_read, elapsed)
        progress(f"verify ({round_}/2)...")
        elapsed, ok, checked = verify()
        t_verify = min(t_verify, elapsed)
    progress(f"{SINGLES:,} single-row inserts, then {SINGLES:,} single appends, onto the chain...")
    t_single_plain = single_inserts(SINGLES)
    t_single_append = single_appends(SINGLES)

    insert_rate, append_rate = n / t_plain, n / t_append
    append_ratio = append_rate / insert_rate
    verify_ratio = t_verify / t_read
    print(f"plain inserts   {insert_rate:>12,.0f} rows/s   ({t_plain:.1f}s)")
    print(f"chained appends {append_rate:>12,.0f} events/s ({t_append:.1f}s)")
    print(f"plain read      {n / t_read:>12,.0f} rows/s   ({t_read:.1f}s)")
    print(f"verify          {n / t_verify:>12,.0f} events/s ({t_verify:.1f}s)  chain ok={ok}")
    print(f"single inserts  {SINGLES / t_single_plain:>12,.0f} rows/s   (one per transaction)")
    print(f"append_event    {SINGLES / t_single_append:>12,.0f} events/s (one per transaction)")
    print(f"RATIO appends/plain inserts = {append_ratio:.2f}  (goal >= 0.5)")
    print(f"RATIO verify/plain read     = {verify_ratio:.2f}  (goal <= 2)")
    print(f"ratio append_event/single insert = {t_single_plain / t_single_append:.2f}  "
          "(for reference: the chain lock, the last-event read and the policy lookup per request)")
    return ok and checked == read_count == n and append_ratio >= 0.5 and verify_ratio <= 2


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    sys.exit(0 if main(parser.parse_args()) else 1)
