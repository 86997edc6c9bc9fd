"""A real ``privet retention run`` SIGKILLed in the middle of its batches, then run again: every
expired record is gone, nothing unexpired was touched, the run's record adds up, each committed
batch has its one audit event, and the audit chain verifies.

The processes work on the test database: SQLite, or PostgreSQL in the suite's PostgreSQL run
(as the rights engine's fault test, ``privet.rights.tests.test_faults``). The kill waits for an
event, the run record's first committed batch, read by polling with a deadline; no timing is
asserted.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from privet.audit.models import AuditEvent
from privet.core.tests.cluster import privet_env
from privet.enquiries.models import Enquiry, Status
from privet.enquiries.tests.faults import database_url
from privet.retention import engine
from privet.retention.models import RetentionRun, RunStatus

pytestmark = pytest.mark.django_db(transaction=True)

EXPIRED, KEPT = 3000, 200
BATCH = 20
STORE = "enquiries.without_offer"
DEADLINE = 120  # seconds; a run that shows no batch by then has failed, whatever the reason


@pytest.fixture
def env(settings, tmp_path):
    return privet_env(tmp_path / "data", PRIVET_DATABASE_URL=database_url(connection.settings_dict),
                      PRIVET_SECRET_KEY=settings.SECRET_KEY)


def enquiries(n: int, *, closed_days_ago: float, prefix: str) -> None:
    """``n`` enquiries closed without an offer ``closed_days_ago`` days ago, in bulk (the
    services would take minutes and audit each one; the sweeper only reads the dates)."""
    closed = timezone.now() - timedelta(days=closed_days_ago)
    Enquiry.objects.bulk_create(
        [Enquiry(name="Anna Kowalska", email=f"{prefix}{i}@example.com", project_type="web_app",
                 message="A booking panel, please.", status=Status.CLOSED,
                 received_at=closed - timedelta(days=5), closed_at=closed)
         for i in range(n)], batch_size=500)


def snapshot(queryset) -> dict[int, tuple]:
    return {row[0]: row[1:] for row in queryset.order_by("pk").values_list(
        "pk", "email", "status", "closed_at", "updated_at")}


def retention_run(env: dict[str, str], log) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "privet", "retention", "run",
                             "--batch-size", str(BATCH)], env=env, stdout=log,
                            stderr=subprocess.STDOUT)


def first_batch_committed() -> RetentionRun:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        run = RetentionRun.objects.first()
        if run is not None and run.counts.get(STORE, {}).get("batches", 0) > 0:
            return run
        time.sleep(0.01)  # polling, not a timing assertion
    pytest.fail(f"no batch of {STORE} committed within {DEADLINE} s")


def test_a_run_killed_mid_batches_is_taken_over_and_ends_consistent(published, env, tmp_path):
    enquiries(EXPIRED, closed_days_ago=400, prefix="gone")
    enquiries(KEPT, closed_days_ago=90, prefix="kept")
    Enquiry.objects.bulk_create([Enquiry(name="Bob", email=f"open{i}@example.com",
                                         project_type="web_app", message="Hello.")
                                 for i in range(KEPT)])
    kept = snapshot(Enquiry.objects.exclude(email__startswith="gone"))
    logfile = tmp_path / "retention.log"

    with logfile.open("wb") as log:
        process = retention_run(env, log)
        try:
            first_batch_committed()
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    killed = RetentionRun.objects.get()
    assert killed.status == RunStatus.RUNNING and killed.finished_at is None
    done = killed.counts[STORE]["expired"]
    assert 0 < done < EXPIRED, "the run was to be killed mid-way"
    assert Enquiry.objects.filter(email__startswith="gone").count() == EXPIRED - done

    # Five minutes without a heartbeat pass: the stopped run may now be taken over.
    RetentionRun.objects.filter(pk=killed.pk).update(
        heartbeat_at=timezone.now() - engine.STALE_AFTER - timedelta(seconds=1))
    with logfile.open("ab") as log:
        again = retention_run(env, log)
        assert again.wait(timeout=300) == 0, logfile.read_text(errors="replace")

    assert not Enquiry.objects.filter(email__startswith="gone").exists()
    assert snapshot(Enquiry.objects.all()) == kept
    run = RetentionRun.objects.get()
    assert run.pk == killed.pk and run.resumed == 1
    assert run.status == RunStatus.COMPLETED and run.errors == []
    counts = run.counts[STORE]
    assert counts["expired"] == run.total("expired") == EXPIRED
    assert counts["held"] == counts["deferred"] == 0
    assert counts["rules"] == {"contact_details/enquiries/enquiry_closed": EXPIRED}
    events = [json.loads(e.details) for e in AuditEvent.objects.filter(action="enquiry.expired")]
    assert len(events) == counts["batches"]
    assert sum(e["records"] for e in events) == EXPIRED
    assert {e["run_ref"] for e in events} == {run.reference}
    assert AuditEvent.objects.filter(action="retention.run_finished").count() == 1

    verified = subprocess.run([sys.executable, "-m", "privet", "audit", "verify"], env=env,
                              capture_output=True, text=True, timeout=120)
    assert verified.returncode == 0, verified.stderr
    assert "Audit chain intact" in verified.stdout
    assert "Traceback" not in logfile.read_text(errors="replace")
