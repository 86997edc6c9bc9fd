"""The retention bench (bench/bench_retention.py) at a tiny scale: its loader COPYs enquiries
and two months of the technical log, the sweeper expires every enquiry, the batched DELETE and
the partition drop each empty their month, and its database is dropped, so ``make bench`` cannot
rot between the runs that take many minutes. Times on a busy machine say nothing here: goals off.
Runs in the private PostgreSQL cluster (skipped without PostgreSQL's binaries, failed under CI).
"""

from __future__ import annotations

import math

from privet.retention import engine

from .bench_runs import databases, run_bench

ENQUIRIES = 500
LOG_ROWS = 20_000


def test_retention_bench_expires_every_row_and_drops_its_database(private_postgres, tmp_path):
    run = run_bench("bench_retention.py", private_postgres, tmp_path / "data", timeout=600,
                    PRIVET_BENCH_ENQUIRIES=str(ENQUIRIES), PRIVET_BENCH_LOG_ROWS=str(LOG_ROWS))
    line = run.line

    line(rf"^1\. sweeper: {ENQUIRIES} expired enquiries$")
    line(rf"^  loaded {ENQUIRIES} closed enquiries with their history in [\d.]+s$")
    batches = math.ceil(ENQUIRIES / engine.BATCH_SIZE)
    line(rf"^  sweeper: {ENQUIRIES} enquiries expired in [\d.]+s = [\d,]+ rows/s "
         rf"\({batches} batches, one audit event each\)$")
    line(r"^  bare batched DELETE of the same rows: [\d.]+s = [\d,]+ rows/s$")
    line(r"^sweeper expiry +[\d,]+ rows/s = [\d.]+ x bare batched DELETE$")
    by_delete, by_drop = line(rf"^2\. technical log: {LOG_ROWS:,} request records in each of "
                              r"(\d{4}-\d\d) and (\d{4}-\d\d) \(13 months kept").groups()
    line(rf"^  loaded {2 * LOG_ROWS:,} records in [\d.]+s$")
    line(rf"^  batched DELETE \(10,000 a transaction\): {LOG_ROWS:,} rows in [\d.]+s \(and its "
         r"space comes back only after a VACUUM, not timed\)$")
    dropped = line(r"^  the retention run \(detach \+ drop, audit, run record\): [\d.]+s; "
                   r"partitions dropped: (.+)$").group(1).split(", ")
    assert dropped == [f"telemetry_technicalrecord_p{by_drop.replace('-', '_')}"]
    assert by_delete < by_drop
    line(r"^month by partition drop +[\d.]+ s \(goal < 1 s\) = [\d,]+ x faster than batched "
         r"DELETE \(goal >= 100\): (goal met|GOAL MISSED)$")
    assert "privet_bench_retention" not in databases(private_postgres)
