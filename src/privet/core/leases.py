"""Task workers' leases: how a task left running by a killed worker is found and run again.

django-tasks-db marks a task RUNNING when a worker claims it and SUCCESSFUL or FAILED when the
worker ends it; a worker killed in between (SIGKILL, the OOM killer, a power cut) leaves it
RUNNING for ever, and it offers nothing to tell a dead worker from a slow one. So each
``privet worker`` holds a lease (:class:`~.models.WorkerLease`): it takes it before claiming any
task and renews it every quarter of ``PRIVET_WORKER_LEASE_SECONDS`` from a thread beside its
tasks. Every worker, at every renewal, queues again the RUNNING tasks whose worker's lease lapsed
(:func:`requeue_orphaned_tasks`); a task keeps its id, so the task itself can tell it is being
run again (the mail outbox does: :mod:`privet.enquiries.outbox`).

Not a guess by age: a task may run for an hour as long as its worker keeps renewing. A worker
that was only frozen longer than the lease (a stopped VM) and wakes up may finish a task that
another worker runs again; tasks must therefore be safe to run twice, and the outbox makes mail
so. A worker id is unique in the pool (django-tasks-db's rule), so a worker started again under
the id it had also takes back the tasks its previous self left running.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .models import WorkerLease

log = logging.getLogger("privet.worker")

# A task interrupted this many times is failed instead of queued again: it is probably what
# kills its workers (memory), and an operator must look at it.
MAX_RUNS = 5
# Leases that lapsed this long ago are deleted (their tasks were queued again long before).
FORGET_AFTER = timedelta(days=1)


# Who runs the task at hand: the database worker's id while it runs one (holding()); elsewhere
# (the immediate or RQ backend) this process's own id, which holds no lease.
_holder: ContextVar[str | None] = ContextVar("privet_lease_holder", default=None)
_PROCESS_ID = "process-" + get_random_string(24)


@contextmanager
def holding(worker_id: str) -> Iterator[None]:
    """Inside this block, :func:`current_holder` is ``worker_id`` (the worker runs a task)."""
    token = _holder.set(worker_id)
    try:
        yield
    finally:
        _holder.reset(token)


def current_holder() -> str:
    """The id a task's claims are made under (``OutgoingMail.claimed_by``): its worker's, whose
    lease says whether it is alive, or, outside a leased worker, this process's (no lease)."""
    return _holder.get() or _PROCESS_ID


class TaskInterrupted(Exception):
    """A task's worker stopped before the task ended, :data:`MAX_RUNS` times."""


def lease_duration() -> timedelta:
    return timedelta(seconds=settings.PRIVET_WORKER_LEASE_SECONDS)


def take_lease(worker_id: str) -> None:
    """Start (or, under the same id after a restart, take over) ``worker_id``'s lease."""
    now = timezone.now()
    WorkerLease.objects.update_or_create(worker_id=worker_id,
                                         defaults={"started_at": now, "renewed_at": now})


def renew_lease(worker_id: str) -> bool:
    """Renew the lease (one query); ``False`` when it was gone (forgotten after a long freeze)."""
    if WorkerLease.objects.filter(worker_id=worker_id).update(renewed_at=timezone.now()):
        return True
    take_lease(worker_id)
    return False


def release_lease(worker_id: str) -> None:
    """A worker that stops cleanly gives its lease up (its tasks have ended)."""
    WorkerLease.objects.filter(worker_id=worker_id).delete()


def holder_state(worker_id: str) -> str | None:
    """``"alive"`` (lease renewed within the lease's length), ``"lapsed"``, or ``None``: not a
    leased worker (the immediate or RQ backend, a worker from before leases) (one query)."""
    renewed = (WorkerLease.objects.filter(worker_id=worker_id)
               .values_list("renewed_at", flat=True).first())
    if renewed is None:
        return None
    return "alive" if renewed > timezone.now() - lease_duration() else "lapsed"


def lapsed_workers() -> set[str]:
    """Ids of the workers whose lease lapsed (one query)."""
    cutoff = timezone.now() - lease_duration()
    return set(WorkerLease.objects.filter(renewed_at__lte=cutoff).values_list("worker_id", flat=True))


def requeue_orphaned_tasks(*, own_worker_id: str | None = None) -> int:
    """Queue again every RUNNING task whose worker's lease lapsed and, with ``own_worker_id``, the
    ones this worker's id left running (only when it runs no task: at its start, or back from a
    database outage). Returns how many were queued again; a task interrupted :data:`MAX_RUNS`
    times is failed instead.

    Each change is one conditional UPDATE on the task's status and start time, so two workers
    doing this at once queue a task once, and a task that ended meanwhile is left alone.
    """
    lapsed = lapsed_workers()
    requeued = 0
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).only(
        "id", "worker_ids", "started_at", "task_path")
    for task in running:
        last = task.worker_ids[-1] if task.worker_ids else None
        if last is None or not (last in lapsed or last == own_worker_id):
            continue
        why = "its worker's lease lapsed" if last in lapsed else "this worker was interrupted"
        same_run = DBTaskResult.objects.filter(pk=task.pk, status=TaskResultStatus.RUNNING,
                                               started_at=task.started_at)
        if len(task.worker_ids) >= MAX_RUNS:
            task.set_failed(TaskInterrupted(
                f"The task was interrupted {len(task.worker_ids)} times ({why}); not run again."))
            log.error("worker: task %s (%s) was interrupted %d times; failed, not queued again",
                      task.pk, task.task_path, len(task.worker_ids))
            continue
        if same_run.update(status=TaskResultStatus.READY):
            requeued += 1
            log.warning("worker: task %s (%s) was left running (%s); queued again", task.pk,
                        task.task_path, why)
    WorkerLease.objects.filter(renewed_at__lte=timezone.now() - FORGET_AFTER).delete()
    return requeued
