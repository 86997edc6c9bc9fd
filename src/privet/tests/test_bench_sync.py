"""The sync bench (bench/bench_sync.py) at a tiny scale: its fake serves from a process of its
own, the client authorises the real way, the cold sync and the alternating rounds print their
figures, every sync stores exactly the fake's comments (no duplicate, none missing), and its
database is dropped, so ``make bench`` cannot rot between the runs that take minutes. Times on a
busy machine say nothing here: goals off. Runs in the private PostgreSQL cluster (skipped without
PostgreSQL's binaries, failed under CI).
"""

from __future__ import annotations

import re

from .bench_runs import databases, run_bench

COMMENTS = 300


def test_sync_bench_prints_its_figures_and_stores_exactly_the_fakes_comments(private_postgres, tmp_path):
    run = run_bench("bench_sync.py", private_postgres, tmp_path / "data", timeout=300,
                    PRIVET_BENCH_SYNC_COMMENTS=str(COMMENTS), PRIVET_BENCH_SYNC_ROUNDS="2")
    out, line = run.out, run.line

    line(rf"^the fake \(a process of its own\) serves one video with {COMMENTS} comments; 30 a page$")
    line(rf"^  sync: {COMMENTS} comments in [\d.]+s = [\d,]+ comments/s \(10 pages, one transaction "
         r"each\)$")
    line(r"^  raw inserts of the same rows \(30 a transaction\): [\d.]+s = [\d,]+ rows/s$")
    line(rf"^cold sync of {COMMENTS} comments +[\d.]+ s = +[\d,]+ comments/s = [\d.]+ x raw inserts$")
    rounds = re.findall(r"^  round (\d) (sync|raw) +[\d,]+ (?:comments|rows)/s \([\d.]+s\)$", out,
                        re.MULTILINE)
    assert rounds == [(str(n), arm) for n in (1, 2) for arm in ("sync", "raw")], out
    line(r"^sync/raw throughput ratio: median \d+\.\d{3} \(rounds \d+\.\d{3}\.\.\d+\.\d{3}; "
         r"goal >= 0\.5\): (goal met|GOAL MISSED)$")
    line(rf"^synced rows: {COMMENTS} = the fake's {COMMENTS} comments after each of 3 syncs "
         r"\(no duplicate, none missing\)$")
    assert "privet_bench_sync" not in databases(private_postgres)
