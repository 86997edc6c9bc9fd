"""Periodic jobs, queued by the task workers themselves: Django has no scheduler, and a cron
line is one more thing to set up (``privet demo`` would need it too).

An app registers a job in its ``AppConfig.ready``::

    schedule.every(timedelta(minutes=15), "rights.housekeeping", jobs.housekeeping)

Every ``privet worker`` calls :func:`queue_due_jobs` at each beat of its lease (a few seconds
apart); a job is queued when ``every`` has passed since it was last queued. A conditional
update of :class:`~.models.ScheduledJob` decides which worker queues it, so with several
workers a job is queued once. The job is an ordinary task: the worker that picks it up runs
it, and a worker killed mid-job leaves it to be run again (:mod:`.leases`); jobs must therefore
be safe to run twice and to run late, which "do what is due now" jobs are by nature.

``privet manage run_scheduled_jobs`` queues (or, with ``--now``, runs) them by hand, for cron
lovers and for tests.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

log = logging.getLogger("privet.schedule")


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    task: Any  # a django_tasks Task taking no arguments


JOBS: dict[str, Job] = {}


def every(interval: timedelta, name: str, task: Any) -> None:
    """Run ``task`` (no arguments) about every ``interval``, on whichever worker is up."""
    JOBS[name] = Job(name, interval, task)


def _claim(job: Job, now) -> bool:
    """Whether this process is the one to queue ``job`` now (one or two queries)."""
    from .models import ScheduledJob

    due = Q(last_queued_at__isnull=True) | Q(last_queued_at__lte=now - job.every)
    if ScheduledJob.objects.filter(due, name=job.name).update(last_queued_at=now):
        return True
    try:
        with transaction.atomic():
            ScheduledJob.objects.create(name=job.name, last_queued_at=now)
    except IntegrityError:  # it exists and is not due, or another worker just created it
        return False
    return True


def queue_due_jobs(now=None) -> list[str]:
    """Queue every job that is due; returns their names. Called by every worker's heartbeat."""
    now = now or timezone.now()
    queued = []
    for job in JOBS.values():
        if _claim(job, now):
            job.task.enqueue()
            queued.append(job.name)
    if queued:
        log.info("schedule: queued %s", ", ".join(queued))
    return queued
