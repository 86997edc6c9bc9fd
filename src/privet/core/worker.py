"""``privet worker`` on the database backend: django-tasks-db's worker, kept alive through database
outages and holding a lease (:mod:`.leases`) so that a killed worker's tasks run again.

django-tasks-db's ``db_worker`` ends at the first ``OperationalError`` it does not expect, so a
PostgreSQL restart stopped all background work (mail) while the site kept taking enquiries. Here
its :class:`~django_tasks_db.management.commands.db_worker.Worker` runs inside a loop that, when
the database is away (:func:`~.outage.is_database_unavailable`), logs it, waits with backoff
(stamina, from half a second up to :data:`RECONNECT_WAIT_MAX`) for as long as the outage lasts,
says when it is back, and carries on. A task that the outage interrupted is not marked failed
(it did not fail; the database went away under it): it stays RUNNING under this worker's id and
is queued again when the database is back (:func:`.leases.requeue_orphaned_tasks`).

The log names the exception's type, never its message: a connection error quotes the server's
address.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import partial

import stamina
from django.db import close_old_connections, connection, connections
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from . import leases, schedule
from .outage import is_database_unavailable

log = logging.getLogger("privet.worker")

RECONNECT_WAIT_INITIAL = 0.5  # seconds
RECONNECT_WAIT_MAX = 15.0  # an outage of hours is checked on every 15 s or so, not hammered


class DatabaseGone(Exception):
    """The database went away while a task ran; the task stays RUNNING and is run again."""


class LeasedWorker(Worker):
    """django-tasks-db's worker, with a lease renewed beside its tasks and tasks that a database
    outage interrupts left to be run again instead of failed."""

    def run_task(self, db_task_result: DBTaskResult) -> None:
        # The library records any exception of the task with set_failed(); this one instance's
        # set_failed is shadowed so that an outage is not recorded as the task's failure (which
        # would fail, say, a mail that was never tried).
        db_task_result.set_failed = partial(self._set_failed, db_task_result.set_failed)
        with leases.holding(self.worker_id):  # what the task claims, it claims as this worker
            super().run_task(db_task_result)

    @staticmethod
    def _set_failed(set_failed, exc: BaseException) -> None:
        if isinstance(exc, Exception) and is_database_unavailable(exc):
            raise DatabaseGone(type(exc).__name__) from None
        try:
            set_failed(exc)
        except Exception as error:  # the database went away between the failure and its record
            if is_database_unavailable(error):
                raise DatabaseGone(type(error).__name__) from None
            raise


class Heartbeat(threading.Thread):
    """Renews the worker's lease every ``every`` seconds, and queues again the tasks of workers
    whose lease lapsed. Its own database connection; an outage is logged once, not every beat."""

    def __init__(self, worker_id: str, every: float) -> None:
        super().__init__(name="privet-worker-lease", daemon=True)
        self.worker_id, self.every = worker_id, every
        self.stopped = threading.Event()
        self.failing = False

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            self.beat()
        connection.close()

    def beat(self) -> None:
        try:
            if not leases.renew_lease(self.worker_id):
                log.warning("worker: this worker's lease had been given up (it was frozen for "
                            "longer than the lease); taken again")
            leases.requeue_orphaned_tasks()
            schedule.queue_due_jobs()
        except Exception as exc:
            if not is_database_unavailable(exc):
                log.exception("worker: renewing the lease failed")
            elif not self.failing:
                log.warning("worker: cannot renew the lease, the database is unavailable (%s)",
                            type(exc).__name__)
            self.failing = True
            connection.close()  # a broken connection is not reused at the next beat
        else:
            self.failing = False


def wait_for_database() -> float:
    """Block until the database answers, retrying with backoff for as long as it takes; returns
    how many seconds that took."""
    began = time.monotonic()
    for attempt in stamina.retry_context(on=is_database_unavailable, attempts=None, timeout=None,
                                         wait_initial=RECONNECT_WAIT_INITIAL,
                                         wait_max=RECONNECT_WAIT_MAX):
        with attempt:
            connections.close_all()  # a connection the outage broke is never reused
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
    return time.monotonic() - began


def run(*, worker_id: str, batch: bool, interval: float, queue_names: list[str],
        startup_delay: bool = True, backend_name: str = "default") -> None:
    """Run the database worker until it is stopped (or, with ``batch``, until the queue is
    empty), through any database outage."""
    worker = LeasedWorker(queue_names=queue_names, interval=interval, batch=batch,
                          backend_name=backend_name, startup_delay=startup_delay, max_tasks=None,
                          worker_id=worker_id, excluded_queue_names=[])
    worker.configure_signals()
    heartbeat = Heartbeat(worker_id, every=leases.lease_duration().total_seconds() / 4)
    try:
        while True:
            try:
                leases.take_lease(worker_id)
                leases.requeue_orphaned_tasks(own_worker_id=worker_id)
                if not heartbeat.is_alive():
                    heartbeat.start()
                worker.run()
                return
            except Exception as exc:
                if not (isinstance(exc, DatabaseGone) or is_database_unavailable(exc)):
                    raise
                log.warning("worker: the database is unavailable (%s); waiting for it, "
                            "reconnecting with backoff", exc if isinstance(exc, DatabaseGone)
                            else type(exc).__name__)
                waited = wait_for_database()
                log.warning("worker: the database is back after %.1f s; carrying on", waited)
                close_old_connections()
    finally:
        heartbeat.stopped.set()
        try:
            leases.release_lease(worker_id)
        except Exception as exc:  # stopping during an outage: the lease lapses by itself
            if not is_database_unavailable(exc):
                raise
