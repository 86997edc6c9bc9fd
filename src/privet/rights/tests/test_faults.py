"""A worker SIGKILLed at random points of erasures: every request is still completed exactly once,
no half-erased state is ever visible, and the audit chain verifies. Real ``privet worker``
processes (django-tasks-db, leases) on the test database: SQLite, or PostgreSQL in the suite's
PostgreSQL run. The kill points are SQL statements of the engine's work (:mod:`.killer`).

The seed is printed; ``PRIVET_FAULT_SEED=<seed>`` runs the same plan again. The benchmark
(``bench/bench_rights_faults.py``) runs 200 trials.
"""

from __future__ import annotations

import os
import random

import pytest
from django.db import connection

from privet.core.tests.cluster import privet_env
from privet.enquiries.tests.faults import database_url

from . import erasure_faults

pytestmark = pytest.mark.django_db(transaction=True)

TRIALS = 20


@pytest.fixture
def env(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    return privet_env(tmp_path / "data", PRIVET_DATABASE_URL=database_url(connection.settings_dict),
                      PRIVET_SECRET_KEY=settings.SECRET_KEY)


def test_erasures_complete_exactly_once_whatever_statement_the_worker_is_killed_at(
        published, env, tmp_path):
    seed = int(os.environ.get("PRIVET_FAULT_SEED") or random.randrange(1 << 30))
    print(f"PRIVET_FAULT_SEED={seed}")
    log = tmp_path / "workers.log"
    figures = erasure_faults.run(published, TRIALS, env, log, random.Random(seed), timeout=90)
    print(figures.line(), f"kill points {figures.kill_points}")

    assert figures.kills == figures.trials == TRIALS  # each request's task killed once
    assert figures.completed == TRIALS and figures.duplicates == 0
    verified = erasure_faults.audit_verify(env)
    assert verified.returncode == 0, verified.stderr
    assert "Audit chain intact" in verified.stdout
    assert "Traceback" not in log.read_text(errors="replace")
