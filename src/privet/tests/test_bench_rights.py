"""The rights bench (bench/bench_rights.py) at a tiny scale: its generator loads every store on
PostgreSQL, its measurement runs each source's plan, export and erase, and its plan check passes,
so ``make bench`` cannot rot between the runs that take minutes.

At this scale no table is big enough for the planner to prefer an index, so the bench's second
check is what holds here: every query on a table of personal data, EXPLAINed with
``enable_seqscan = off``, must have an index to serve it (a dropped index fails this test).
Runs in the private PostgreSQL cluster (skipped without PostgreSQL's binaries, failed under CI).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from privet.core.tests.cluster import privet_env

BENCH = Path(__file__).resolve().parents[3] / "bench" / "bench_rights.py"


def test_rights_bench_generates_measures_and_finds_no_scan(private_postgres, tmp_path):
    env = privet_env(tmp_path / "data", PRIVET_BENCH_PG=private_postgres.url("postgres").rsplit("/", 1)[0],
                     PRIVET_BENCH_PEOPLE="300", PRIVET_BENCH_SAMPLE="8",
                     PRIVET_BENCH_GOALS="off")  # times vary with the machine's load; plans do not
    done = subprocess.run([sys.executable, str(BENCH)], env=env, capture_output=True, text=True,
                          timeout=600)
    out = done.stdout
    assert done.returncode == 0, out[-4000:] + done.stderr[-4000:]
    rows = dict(re.findall(r"^  (\w+)\s+([\d,]+)$", out, re.MULTILINE))
    assert rows["enquiries_enquiry"] == "330"  # every tenth person has two
    assert rows["consent_consentreceipt"] == f"{sum(1 + (i * 7) % 19 for i in range(1, 301)):,}"
    assert rows["rights_rightsrequest"] == "30"
    for store in ("enquiries_enquirystatuschange", "enquiries_enquirynote", "enquiries_outgoingmail",
                  "audit_auditevent"):
        assert int(rows[store].replace(",", "")) > 0
    for line in ("plan (every source)", "export (+ JSON)", "erase (every source)"):
        assert re.search(rf"^{re.escape(line)}\s+p50 +[\d.]+ ms = +[\d.]+ x lookup", out, re.MULTILINE)
    # The plans of the person's queries are shown, the phone and email ones by their indexes.
    assert "enq_phone_digits_idx" in out and "enq_email_upper_idx" in out
    assert "rights_email_idx" in out
    assert "without an index for the query: none" in out
    # Its database is gone afterwards.
    listed = subprocess.run(
        ["psql", private_postgres.url("postgres"), "-Atc", "SELECT datname FROM pg_database"],
        capture_output=True, text=True, check=True).stdout.split()
    assert "privet_bench_rights" not in listed
