"""`privet worker` while PostgreSQL restarts and stays down: a real worker process on a private
cluster that the test restarts and stops under it, a real SMTP server. The worker waits, says so
in its log (without the server's address), reconnects, and the next enquiry's mail arrives."""

from __future__ import annotations

import email
import re

import psycopg
import pytest
from aiosmtpd.controller import Controller

from privet.core.tests.cluster import privet_env
from privet.core.tests.processes import start_worker, submit_enquiries, wait_until
from privet.core.tests.test_cli import free_port


@pytest.fixture
def worker_env(private_database, smtp_inbox, settings, tmp_path):
    return privet_env(tmp_path / "data", PRIVET_DATABASE_URL=private_database,
                      PRIVET_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                      PRIVET_EMAIL_HOST="127.0.0.1", PRIVET_EMAIL_PORT=str(settings.EMAIL_PORT),
                      PRIVET_OPERATOR_EMAILS="team@studio.test")


def delivered_to(inbox, address: str) -> bool:
    return any(address in rcpts for _from, rcpts, _raw in inbox.messages)


def test_the_worker_survives_a_database_restart_and_an_outage_and_says_so(
        private_postgres, worker_env, smtp_inbox, tmp_path):
    log = tmp_path / "worker.log"
    worker = start_worker(worker_env, log)
    try:
        wait_until(lambda: "Starting worker" in log.read_text(), what="the worker starts",
                   process=worker, log=log)
        submit_enquiries(worker_env, 1)
        wait_until(lambda: delivered_to(smtp_inbox, "person1@example.com"),
                   what="the first mail", process=worker, log=log)

        private_postgres.restart()  # "terminating connection due to administrator command"
        submit_enquiries(worker_env, 2)
        wait_until(lambda: delivered_to(smtp_inbox, "person2@example.com"),
                   what="the mail after a restart", process=worker, log=log)

        # An outage of some length: down until the worker has tried and waited several times.
        # Counted from here: the restart above may have logged retries and a return already.
        def retries() -> int:
            return len(re.findall(r"retrying .* after OperationalError", log.read_text()))

        def returns() -> int:
            return log.read_text().count("the database is back")

        # Idle first: both mails of both enquiries done, so the outage meets the worker's own
        # loop, not a task finishing its mail (which waits out an outage by itself).
        wait_until(lambda: len(re.findall(r"state=(SUCCESSFUL|FAILED)", log.read_text())) >= 4,
                   what="the queue is empty", process=worker, log=log)
        retried, returned = retries(), returns()
        private_postgres.stop()
        wait_until(lambda: retries() >= retried + 3,
                   what="the worker retries with backoff", process=worker, log=log)
        private_postgres.start()
        wait_until(lambda: returns() > returned,
                   what="the worker reconnects", process=worker, log=log)
        submit_enquiries(worker_env, 3)
        wait_until(lambda: delivered_to(smtp_inbox, "person3@example.com"),
                   what="the mail after an outage", process=worker, log=log)
        assert worker.poll() is None
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    text = log.read_text()
    assert "the database is unavailable (OperationalError)" in text
    # What it says names the exception's type only: no server address, no connection string.
    port = worker_env["PRIVET_DATABASE_URL"].rsplit(":", 1)[1].split("/")[0]
    for secret in ("127.0.0.1", port, "postgres://", "Traceback", "person1@example.com"):
        assert secret not in text


class StopsTheDatabase:
    """An SMTP server that stops the private cluster when the first mail's MAIL FROM arrives, so
    the database goes away under a worker in the middle of a task; counts what it took."""

    def __init__(self, cluster) -> None:
        self.cluster, self.stopped, self.taken = cluster, False, []

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # aiosmtpd hook
        if not self.stopped:
            self.stopped = True
            self.cluster.stop()
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd hook
        self.taken.append(email.message_from_bytes(envelope.original_content)["Message-ID"])
        return "250 OK"


def test_a_task_the_outage_interrupts_is_run_again_when_the_database_is_back_not_failed(
        private_postgres, private_database, tmp_path):
    sink = StopsTheDatabase(private_postgres)
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = privet_env(tmp_path / "data", PRIVET_DATABASE_URL=private_database,
                     PRIVET_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                     PRIVET_EMAIL_HOST="127.0.0.1", PRIVET_EMAIL_PORT=str(controller.port),
                     PRIVET_OPERATOR_EMAILS="team@studio.test")
    log = tmp_path / "worker.log"
    submit_enquiries(env, 1)
    worker = start_worker(env, log)
    try:
        wait_until(lambda: "the database is unavailable" in log.read_text(),
                   what="the worker meets the outage mid-task", process=worker, log=log)
        private_postgres.start()
        wait_until(lambda: len(sink.taken) == 2, what="both mails", process=worker, log=log)
        wait_until(lambda: "queued again" in log.read_text(), what="the task queued again",
                   process=worker, log=log)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        controller.stop()
    with psycopg.connect(private_database.replace("postgres://", "postgresql://")) as db:
        states = db.execute("select state, message_id from enquiries_outgoingmail").fetchall()
        tasks = db.execute("select status from django_tasks_database_dbtaskresult").fetchall()
    # Each mail arrived once: the one cut short never got the end of its message to the server.
    assert sorted(sink.taken) == sorted(mid for _state, mid in states)
    assert {state for state, _mid in states} == {"sent"}
    assert {status for (status,) in tasks} == {"SUCCESSFUL"}
