"""The telemetry bench (bench/bench_telemetry.py) at a tiny scale: its two servers start, its
rounds alternate and print, the technical log holds one record per answer of the server with
it and none of the other's, and its database is dropped, so ``make bench`` cannot rot between
the runs that take minutes. Times on a busy machine say nothing here: goals off.
Runs in the private PostgreSQL cluster (skipped without PostgreSQL's binaries, failed under CI).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from privet.core.tests.cluster import privet_env

BENCH = Path(__file__).resolve().parents[3] / "bench" / "bench_telemetry.py"
RATE = r"\s+\d+ req/s  \(server CPU +\d+ us/req, client CPU +\d+ us/req\)$"


def test_telemetry_bench_alternates_rounds_and_loses_no_record(private_postgres, tmp_path):
    env = privet_env(tmp_path / "data", PRIVET_BENCH_PG=private_postgres.url("postgres").rsplit("/", 1)[0],
                     PRIVET_BENCH_ROUNDS="3", PRIVET_BENCH_SECONDS="0.5", PRIVET_BENCH_CLIENTS="2",
                     PRIVET_BENCH_GOALS="off")
    done = subprocess.run([sys.executable, str(BENCH)], env=env, capture_output=True, text=True,
                          timeout=300)
    out = done.stdout
    assert done.returncode == 0, out[-4000:] + done.stderr[-4000:]
    assert re.search(r"^  client ceiling \(health\)" + RATE, out, re.MULTILINE), out
    rounds = re.findall(r"^  round (\d) (with|without) the log" + RATE, out, re.MULTILINE)
    assert rounds == [(str(i), arm) for i in (1, 2, 3) for arm in ("with", "without")], out
    assert re.search(r"^throughput ratio with/without: median \d\.\d{3} \(rounds \d\.\d{3}\.\."
                     r"\d\.\d{3}; goal >= 0\.85\): (goal met|GOAL MISSED)$", out, re.MULTILINE), out
    records, answered = re.search(r"^technical log after a graceful stop: ([\d,]+) request records "
                                  r"for ([\d,]+) answers of the server with the log \(none lost;",
                                  out, re.MULTILINE).groups()
    assert records == answered and int(records.replace(",", "")) > 0
    assert out.rstrip().endswith("non-2xx answers: 0")
    listed = subprocess.run(
        ["psql", private_postgres.url("postgres"), "-Atc", "SELECT datname FROM pg_database"],
        capture_output=True, text=True, check=True).stdout.split()
    assert "privet_bench_telemetry" not in listed
