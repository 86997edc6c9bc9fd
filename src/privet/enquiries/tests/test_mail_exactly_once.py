"""A worker killed with SIGKILL while it sends mail: its task runs again by itself, and every mail
arrives, none twice. Real worker processes (`privet worker`) on the test database (SQLite, or
PostgreSQL in the suite's PostgreSQL run), a real SMTP server that kills them at seeded random
points of the conversation (:mod:`.faults`), and a restart after each kill.

The seed is printed; run again with ``PRIVET_FAULT_SEED=<seed>`` to get the same plan.
"""

from __future__ import annotations

import logging
import os
import random
import time

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from privet.core.tests.cluster import privet_env
from privet.core.tests.processes import start_worker
from privet.enquiries.models import MailState, OutgoingMail
from privet.enquiries.services import submit_enquiry

from .conftest import free_port
from .faults import POINTS, UNCERTAIN_POINTS, FaultySink, RawDatabase, database_url

pytestmark = pytest.mark.django_db(transaction=True)

LEASE = "1"  # seconds: a killed worker's tasks run again about a second later


@pytest.fixture
def sink(settings):
    """The killing SMTP server, started; ``sink.plan`` is filled in by the test."""
    server_log = logging.getLogger("mail.log")
    level = server_log.level
    server_log.setLevel(logging.CRITICAL)  # it reports every connection the kills cut
    handler = FaultySink({}, RawDatabase(connection.settings_dict))
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    handler.join()
    controller.stop()
    server_log.setLevel(level)


@pytest.fixture
def worker_env(sink, settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.PRIVET_OPERATOR_EMAILS = ["team@studio.test"]
    return privet_env(tmp_path / "data", PRIVET_DATABASE_URL=database_url(connection.settings_dict),
                      PRIVET_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                      PRIVET_EMAIL_HOST="127.0.0.1", PRIVET_EMAIL_PORT=str(sink.port),
                      PRIVET_OPERATOR_EMAILS="team@studio.test", PRIVET_WORKER_LEASE_SECONDS=LEASE,
                      PRIVET_LOG_LEVEL="WARNING")


def submit(count: int) -> None:
    for n in range(count):
        submit_enquiry(data={"name": f"Person {n}", "email": f"person{n}@example.com",
                             "project_type": "website", "message": "We need a website, please."},
                       client_ref="test", language="en")


def run_until_done(sink: FaultySink, env: dict, log, rng: random.Random, *, timeout: float,
                   same_id: float = 0.5) -> int:
    """Run a worker; each time it is killed start another, under the same id (with probability
    ``same_id``) or a new one, until no mail is pending and no task queued or running. Returns
    how many workers were started."""
    ids = iter(f"worker-{n}" for n in range(1000))
    worker_id = next(ids)
    sink.worker = start_worker(env, log, "--worker-id", worker_id)
    started = 1
    deadline = time.monotonic() + timeout
    try:
        while True:
            if sink.worker.poll() is not None:
                if rng.random() >= same_id:
                    worker_id = next(ids)
                sink.worker = start_worker(env, log, "--worker-id", worker_id)
                started += 1
            unfinished = DBTaskResult.objects.filter(
                status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]).exists()
            if not unfinished and not OutgoingMail.objects.filter(state=MailState.PENDING).exists():
                return started
            assert time.monotonic() < deadline, (
                f"not done within {timeout} s: {sink.kills}\n{log.read_text()[-3000:]}")
            time.sleep(0.05)
    finally:
        sink.worker.terminate()
        sink.worker.wait(timeout=30)


def test_a_killed_workers_task_is_run_again_by_itself(published, sink, worker_env, tmp_path):
    """Killed while it sends the acknowledgement; the next worker (another id) finds the task
    left running once the lease lapsed, and runs it: the mail arrives, once, nobody resent it."""
    sink.plan = {1: "mail-from"}
    submit(1)
    log = tmp_path / "worker.log"
    started = run_until_done(sink, worker_env, log, random.Random(1), timeout=60, same_id=0)
    assert started == 2 and sink.kills == [(1, "mail-from", None)]
    mails = OutgoingMail.objects.all()
    assert {m.state for m in mails} == {MailState.SENT}
    assert sorted(sink.delivered.values()) == [1, 1]
    assert sorted(sink.delivered) == sorted(m.message_id for m in mails)
    [retried] = [t for t in DBTaskResult.objects.all() if len(t.worker_ids) == 2]
    assert retried.status == TaskResultStatus.SUCCESSFUL and retried.worker_ids[0] != retried.worker_ids[1]
    assert "was left running" in log.read_text() and "queued again" in log.read_text()


def test_mail_is_delivered_exactly_once_when_the_worker_is_killed_at_random_points(
        published, sink, worker_env, tmp_path):
    seed = int(os.environ.get("PRIVET_FAULT_SEED") or random.randrange(1 << 30))
    rng = random.Random(seed)
    submit(50)  # 100 mails: each enquiry's acknowledgement and its notice to operators
    sessions = sorted(rng.sample(range(1, 101), 10))
    sink.plan = {session: rng.choice(POINTS) for session in sessions}
    print(f"PRIVET_FAULT_SEED={seed} kills at SMTP session: {sink.plan}")

    log = tmp_path / "worker.log"
    started = run_until_done(sink, worker_env, log, rng, timeout=180)

    rows = {m.message_id: m for m in OutgoingMail.objects.all()}
    assert len(rows) == 100 and len(sink.kills) == len(sink.plan) and started == len(sink.plan) + 1
    # Every mail arrived, and none twice (nor anything that is not one of these rows).
    assert sink.delivered == dict.fromkeys(rows, 1)
    # Those killed between handing the mail over and recording the server's answer are marked
    # "may have been sent" for an operator, not sent again; every other one is marked sent.
    uncertain = {mid for _session, point, mid in sink.kills if point in UNCERTAIN_POINTS}
    assert {mid for mid, m in rows.items() if m.state == MailState.UNCERTAIN} == uncertain
    assert {m.state for mid, m in rows.items() if mid not in uncertain} == {MailState.SENT}
    assert not DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL).exists()
