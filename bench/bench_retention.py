"""Retention: the sweeper's batched expiry, and a month of logs by partition drop against DELETE.

On PostgreSQL only, in a database of its own (``privet_bench_retention``, created and dropped):

1. **Sweeper.** PRIVET_BENCH_ENQUIRIES (1,000,000 by default; ``--quick``: 100,000) enquiries
   closed 400 days ago, each with its status history, COPYed in; then ``engine.sweep`` expires
   them all as the daily run does: batches of 1,000, one transaction each, a cascade to the
   history, one audit event per batch, the run record moved with every batch. Printed: rows per
   second, and the ratio to a bare batched ``DELETE`` of the same rows (loaded again the same
   way) in the same run: what the engine's bookkeeping costs.
2. **Partition drop.** PRIVET_BENCH_LOG_ROWS (10,000,000; ``--quick``: 1,000,000) technical-log
   rows in one month, COPYed twice into two months of the partitioned log table: one month is
   expired by the engine (detach and drop, one audit event), the other by batched ``DELETE``
   (10,000 rows a transaction, as a table without partitions must). Goal: the drop under 1 s
   and at least 100 times faster.

PRIVET_BENCH_PG (default postgres://postgres@127.0.0.1:5432) names the server; without a
reachable PostgreSQL the bench says so and is skipped. PRIVET_BENCH_GOALS=off reports the goals
without failing on them (the suite's tiny run on a busy machine).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from pgserver import admin, pg_base, reachable  # noqa: E402 (the bench folder is on the path above)

POLICY = ROOT / "src" / "privet" / "policy" / "default_policy.yaml"
DB_NAME = os.environ.get("PRIVET_BENCH_RETENTION_DB", "privet_bench_retention")
CHUNK = 50_000  # lines per COPY write
DROP_GOAL_S = 1.0
DROP_GOAL_RATIO = 100.0
DELETE_BATCH = 10_000


def main(args) -> bool:
    """``make bench``'s entry: a child process, whose Django is set up on this bench's database."""
    env = dict(os.environ)
    if getattr(args, "quick", False):
        env.setdefault("PRIVET_BENCH_ENQUIRIES", "100000")
        env.setdefault("PRIVET_BENCH_LOG_ROWS", "1000000")
    return subprocess.run([sys.executable, __file__], env=env).returncode == 0


def setup_django(url: str) -> None:
    os.environ["PRIVET_SECRET_KEY"] = "bench-only-" + "r" * 40
    os.environ["PRIVET_DATA_DIR"] = tempfile.mkdtemp(prefix="privet-bench-retention-")
    os.environ["PRIVET_DATABASE_URL"] = url
    os.environ.setdefault("PRIVET_CACHE_BACKEND", "locmem")
    os.environ["PRIVET_LOG_LEVEL"] = "WARNING"
    os.environ["PRIVET_TELEMETRY"] = "0"
    os.environ["DJANGO_SETTINGS_MODULE"] = "privet.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from privet.audit import actors
    from privet.policy.services import publish_version

    publish_version(source=POLICY.read_text(), actor=actors.CLI, origin=POLICY.name)


def copy_rows(url: str, table: str, columns: str, lines) -> int:
    """COPY ``lines`` (text format, one per row) into ``table``; returns how many."""
    import psycopg

    count, buffer = 0, []
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        conn.execute("SET synchronous_commit = off")
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for line in lines:
                buffer.append(line)
                if len(buffer) >= CHUNK:
                    copy.write("".join(buffer).encode())
                    count += len(buffer)
                    buffer.clear()
            if buffer:
                copy.write("".join(buffer).encode())
                count += len(buffer)
    return count


def analyze(*tables: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'ANALYZE "{table}"')


def next_id(table: str, column: str = "id") -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f'SELECT coalesce(max("{column}"), 0) + 1 FROM "{table}"')
        return cursor.fetchone()[0]


def move_sequence(table: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                       f'(SELECT coalesce(max(id), 1) FROM "{table}"))')


# --- 1. the sweeper on enquiries ------------------------------------------------------------------

ENQUIRY_COLUMNS = ("id, name, company, email, phone, project_type, message, channel, status, "
                   "received_at, closed_at, last_contact_at, language, policy_version, updated_at")
CHANGE_COLUMNS = "id, enquiry_id, from_status, to_status, at, date_only, recorded_at, reason"


def load_enquiries(url: str, n: int) -> tuple[int, int]:
    """``n`` enquiries closed 400 days ago with one status change each; returns the id range."""
    from privet.policy.selectors import current_hash

    policy = current_hash()
    closed = datetime.now(UTC) - timedelta(days=400)
    closed_text = f"{closed:%Y-%m-%d %H:%M:%S}+00"
    received_text = f"{closed - timedelta(days=10):%Y-%m-%d %H:%M:%S}+00"
    first, first_change = next_id("enquiries_enquiry"), next_id("enquiries_enquirystatuschange")
    copy_rows(url, "enquiries_enquiry", ENQUIRY_COLUMNS, (
        f"{first + i}\tPerson {i}\t\tperson{i}@bench.example.com\t\twebsite\tA small website, "
        f"please.\temail\tclosed\t{received_text}\t{closed_text}\t{closed_text}\ten\t{policy}\t"
        f"{closed_text}\n"
        for i in range(n)))
    copy_rows(url, "enquiries_enquirystatuschange", CHANGE_COLUMNS, (
        f"{first_change + i}\t{first + i}\tnew\tclosed\t{closed_text}\tf\t{closed_text}\t\n"
        for i in range(n)))
    move_sequence("enquiries_enquiry")
    move_sequence("enquiries_enquirystatuschange")
    analyze("enquiries_enquiry", "enquiries_enquirystatuschange")
    return first, first + n - 1


def bare_delete(first: int, last: int, batch: int) -> int:
    """The same rows gone by plain batched DELETEs (history first), one transaction each."""
    from django.db import connection, transaction

    removed = 0
    for start in range(first, last + 1, batch):
        end = min(start + batch - 1, last)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM enquiries_enquirystatuschange "
                           "WHERE enquiry_id BETWEEN %s AND %s", [start, end])
            cursor.execute("DELETE FROM enquiries_enquiry WHERE id BETWEEN %s AND %s", [start, end])
            removed += cursor.rowcount
    return removed


def sweeper(url: str, n: int) -> tuple[float, float]:
    from privet.enquiries.models import Enquiry
    from privet.retention import engine

    started = time.perf_counter()
    load_enquiries(url, n)
    print(f"  loaded {n:,} closed enquiries with their history in "
          f"{time.perf_counter() - started:.1f}s", flush=True)
    started = time.perf_counter()
    run = engine.sweep(rules=["contact_details/enquiries"], batch_size=engine.BATCH_SIZE)
    took = time.perf_counter() - started
    assert run.total("expired") == n and not Enquiry.objects.exists(), run.counts
    rate = n / took
    print(f"  sweeper: {n:,} enquiries expired in {took:.1f}s = {rate:,.0f} rows/s "
          f"({run.counts['enquiries.without_offer']['batches']:,} batches, one audit event each)",
          flush=True)

    first, last = load_enquiries(url, n)
    started = time.perf_counter()
    removed = bare_delete(first, last, engine.BATCH_SIZE)
    bare = time.perf_counter() - started
    assert removed == n
    bare_rate = n / bare
    print(f"  bare batched DELETE of the same rows: {bare:.1f}s = {bare_rate:,.0f} rows/s", flush=True)
    return rate, rate / bare_rate


# --- the run --------------------------------------------------------------------------------------

def run() -> int:
    base = pg_base()
    why = reachable(base)
    if why:
        print(f"SKIPPED: the retention bench runs on PostgreSQL only, and none answers at {base} "
              f"({why}). Set PRIVET_BENCH_PG to a server's URL (without the database name).")
        return 0
    enquiries = int(os.environ.get("PRIVET_BENCH_ENQUIRIES", "1000000"))
    goals = os.environ.get("PRIVET_BENCH_GOALS", "on") != "off"
    url = f"{base}/{DB_NAME}"
    admin(base, f'DROP DATABASE IF EXISTS "{DB_NAME}"')
    admin(base, f'CREATE DATABASE "{DB_NAME}"')
    ok = True
    try:
        setup_django(url)
        print(f"1. sweeper: {enquiries:,} expired enquiries", flush=True)
        rate, ratio = sweeper(url, enquiries)
        print(f"sweeper expiry          {rate:>12,.0f} rows/s = {ratio:.2f} x bare batched DELETE")
        ok = partitions_part(url, goals) and ok
    finally:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        admin(base, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    return 0 if ok else 1


# --- 2. a month of the technical log: partition drop against batched DELETE ----------------------

LOG_COLUMNS = ("at, kind, method, route, status, duration_ms, user_agent_family, os_family, "
               "network, pseudonym, details")
ROUTES = ("site:home", "policy:page", "consent:receipts", "enquiries:contact", "panel:dashboard")


def load_month(url: str, month, rows: int) -> int:
    """``rows`` request records spread over ``month`` (its own partition, made first)."""
    from privet.core.partitions import add_months, month_bounds
    from privet.telemetry.partitions import LOG

    LOG.ensure(today=month, months_ahead=0)
    start, _ = month_bounds(month)
    seconds = int((datetime.combine(add_months(month, 1), datetime.min.time(), UTC)
                   - start).total_seconds())
    step = max(1, seconds * 1000 // rows)  # milliseconds between records
    base = start.timestamp()

    def lines():
        for i in range(rows):
            at = datetime.fromtimestamp(base + i * step / 1000, UTC)
            yield (f"{at:%Y-%m-%d %H:%M:%S.%f}+00\trequest\tGET\t{ROUTES[i % 5]}\t200\t"
                   f"{i % 97 / 10:.1f}\tfirefox\tlinux\t203.0.{i % 256}.0/24\t{i % 65536:032x}\t{{}}\n")

    return copy_rows(url, "telemetry_technicalrecord", LOG_COLUMNS, lines())


def checkpoint() -> None:
    """Write out what loading left in memory, so that neither timed path pays for it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")


def batched_delete(month) -> tuple[int, float]:
    """Every record of ``month`` gone by DELETEs of ``DELETE_BATCH`` rows, one transaction each,
    in key order (LIMIT without OFFSET): what a table without partitions must do."""
    from django.db import connection, transaction

    from privet.core.partitions import month_bounds

    start, end = month_bounds(month)
    removed, started = 0, time.perf_counter()
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM telemetry_technicalrecord WHERE id IN (SELECT id FROM "
                "telemetry_technicalrecord WHERE at >= %s AND at < %s ORDER BY id LIMIT %s)",
                [start, end, DELETE_BATCH])
            if not cursor.rowcount:
                return removed, time.perf_counter() - started
            removed += cursor.rowcount


def partitions_part(url: str, goals: bool) -> bool:
    from django.utils import timezone

    from privet.core.partitions import add_months, month_start
    from privet.retention import engine
    from privet.telemetry.models import TechnicalRecord
    from privet.telemetry.partitions import LOG

    rows = int(os.environ.get("PRIVET_BENCH_LOG_ROWS", "10000000"))
    this_month = month_start(timezone.now().astimezone(UTC).date())
    by_delete, by_drop = add_months(this_month, -16), add_months(this_month, -15)
    print(f"2. technical log: {rows:,} request records in each of {by_delete:%Y-%m} and "
          f"{by_drop:%Y-%m} (13 months kept, so both have expired)", flush=True)
    started = time.perf_counter()
    for month in (by_delete, by_drop):
        load_month(url, month, rows)
    analyze("telemetry_technicalrecord")
    print(f"  loaded {2 * rows:,} records in {time.perf_counter() - started:.1f}s", flush=True)

    checkpoint()
    removed, delete_s = batched_delete(by_delete)
    assert removed == rows, removed
    print(f"  batched DELETE ({DELETE_BATCH:,} a transaction): {removed:,} rows in {delete_s:.2f}s "
          "(and its space comes back only after a VACUUM, not timed)", flush=True)
    # The emptied month goes before the timed run, which then drops the other month only.
    LOG.drop_month(by_delete)
    checkpoint()
    started = time.perf_counter()
    run = engine.sweep(rules=["technical_data/improvement", "technical_data/security"])
    drop_s = time.perf_counter() - started
    dropped = [p for c in run.counts.values() for p in c.get("partitions", [])]
    assert dropped == [f"telemetry_technicalrecord_p{by_drop:%Y_%m}"], run.counts
    assert not TechnicalRecord.objects.filter(at__lt=datetime.combine(
        add_months(by_drop, 1), datetime.min.time(), UTC)).exists()
    ratio = delete_s / drop_s
    ok = drop_s < DROP_GOAL_S and ratio >= DROP_GOAL_RATIO
    print(f"  the retention run (detach + drop, audit, run record): {drop_s:.3f}s; "
          f"partitions dropped: {', '.join(dropped)}")
    print(f"month by partition drop {drop_s:>8.3f} s (goal < {DROP_GOAL_S:.0f} s) = "
          f"{ratio:,.0f} x faster than batched DELETE (goal >= {DROP_GOAL_RATIO:.0f}): "
          f"{'goal met' if ok else 'GOAL MISSED'}", flush=True)
    return ok or not goals


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    sys.exit(run())
