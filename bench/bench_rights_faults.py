"""Rights engine under SIGKILL: 200 erasure requests, each one's worker killed at a random SQL
statement of its work, all carried out exactly once.

The suite's fault test (``src/privet/rights/tests/test_faults.py``) runs 20 trials; this runs
200, in batches of 20 people (:mod:`privet.rights.tests.erasure_faults`): real ``privet worker``
processes on the database backend, killed by themselves before the k-th statement of the first
run of a request's task (k drawn between 1 and the statements one erasure takes), restarted
after each kill; after each kill the database is checked for half-erased state and the audit
chain verified; at the end every request must be completed once, with the right result, and
``privet audit verify`` must pass. Prints trials, kills, completions, duplicates (goal: 0) and
the time.

SQLite in a fresh temporary folder by default; PRIVET_BENCH_PG=postgres://postgres@127.0.0.1:5432
runs it on PostgreSQL (the database privet_bench_rights_faults is created afresh and dropped).
It runs in its own process: ``make bench`` runs every bench in one, and Django is set up once
per process. PRIVET_FAULT_SEED repeats a run's plan; ``--quick``: 40 trials.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TRIALS = 200
BATCH = 20
DB_NAME = "privet_bench_rights_faults"


def _pg(base: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def child(trials: int) -> int:
    data = Path(tempfile.mkdtemp(prefix="privet-bench-rights-faults-"))
    os.environ.update({"PRIVET_SECRET_KEY": "bench-only-" + "r" * 40, "PRIVET_DATA_DIR": str(data),
                       "PRIVET_SITE_URL": "http://127.0.0.1:8000", "PRIVET_TASK_BACKEND": "db",
                       "PRIVET_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
                       "PRIVET_LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "privet.settings"})
    base = os.environ.get("PRIVET_BENCH_PG")
    if base:
        _pg(base, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        _pg(base, f"CREATE DATABASE {DB_NAME}")
        os.environ["PRIVET_DATABASE_URL"] = f"{base}/{DB_NAME}"
    else:
        os.environ.pop("PRIVET_DATABASE_URL", None)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from privet.core.tests.cluster import privet_env
    from privet.enquiries.tests.faults import database_url
    from privet.policy.services import publish_version
    from privet.rights.tests import erasure_faults

    call_command("migrate", verbosity=0)
    policy = publish_version(source=Path(settings.PRIVET_DEFAULT_POLICY_FILE).read_text("utf-8"),
                             actor="bench")
    seed = int(os.environ.get("PRIVET_FAULT_SEED") or random.randrange(1 << 30))
    rng = random.Random(seed)
    env = privet_env(data / "workers", PRIVET_DATABASE_URL=database_url(connection.settings_dict),
                     PRIVET_SECRET_KEY=settings.SECRET_KEY)
    print(f"{trials} erasure trials on {connection.vendor}, batches of {BATCH}, "
          f"PRIVET_FAULT_SEED={seed}", flush=True)
    totals = erasure_faults.Figures()
    began = time.perf_counter()
    ok = True
    for batch in range(0, trials, BATCH):
        size = min(BATCH, trials - batch)
        log = data / f"workers-{batch // BATCH}.log"
        try:
            figures = erasure_faults.run(policy, size, env, log, rng, timeout=600,
                                         first=batch + batch // BATCH + 1)
        except AssertionError as failure:
            print(f"  batch {batch // BATCH + 1}: FAILED: {failure}", flush=True)
            ok = False
            break
        for name in ("trials", "kills", "completed", "duplicates", "workers", "mail_unqueued"):
            setattr(totals, name, getattr(totals, name) + getattr(figures, name))
        totals.statements = max(totals.statements, figures.statements)
        totals.prepare_seconds += figures.prepare_seconds
        print(f"  batch {batch // BATCH + 1}: {figures.line()}", flush=True)
    totals.seconds = time.perf_counter() - began - totals.prepare_seconds
    verified = erasure_faults.audit_verify(env)
    said = (verified.stdout.strip().splitlines() or [verified.stderr.strip()])
    print(f"privet audit verify: exit {verified.returncode}: "
          f"{next((s for s in said if 'intact' in s or 'BROKEN' in s), said[-1])}")
    print(f"trials {totals.trials}  kills {totals.kills}  completions {totals.completed}  "
          f"duplicates {totals.duplicates}  workers started {totals.workers}  "
          f"answer mail left unqueued {totals.mail_unqueued}  "
          f"time {totals.seconds:.1f} s (+ {totals.prepare_seconds:.1f} s preparing data)")
    if base:
        connection.close()
        _pg(base, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    ok = (ok and verified.returncode == 0 and totals.duplicates == 0
          and totals.completed == totals.trials == trials and totals.kills == trials)
    print(f"goal (every request completed once, a kill in each, no duplicate): "
          f"{'met' if ok else 'MISSED'}")
    return 0 if ok else 1


def main(args) -> bool:
    trials = 40 if getattr(args, "quick", False) else TRIALS
    done = subprocess.run([sys.executable, __file__, "--child", str(trials)], check=False)
    return done.returncode == 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        sys.exit(child(int(sys.argv[2])))
    sys.exit(0 if main(None) else 1)
