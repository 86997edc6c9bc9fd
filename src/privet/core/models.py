"""The shared runtime's one table: the task workers' leases (:mod:`privet.core.leases`)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WorkerLease(models.Model):
    """A running ``privet worker`` says it is alive by renewing ``renewed_at`` every few seconds
    (a thread beside its tasks, so a long task keeps it). A lease not renewed for
    ``PRIVET_WORKER_LEASE_SECONDS`` belongs to a worker that was killed or cut off: the tasks it
    had claimed are queued again. Not personal data: a random id and two times."""

    worker_id = models.CharField(_("worker"), max_length=64, primary_key=True)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    renewed_at = models.DateTimeField(_("last renewed"), default=timezone.now)

    class Meta:
        verbose_name = _("worker lease")
        verbose_name_plural = _("worker leases")
        # Leases that lapsed (leases.requeue_orphaned_tasks, every beat of every worker).
        indexes = [models.Index(fields=["renewed_at"], name="core_lease_renewed_idx")]

    def __str__(self) -> str:
        return f"worker {self.worker_id}"


class ScheduledJob(models.Model):
    """When a periodic job (:mod:`privet.core.schedule`) was last queued, so that of several
    workers exactly one queues it each time it is due. Not personal data: a name and a time."""

    name = models.CharField(_("job"), max_length=100, primary_key=True)
    last_queued_at = models.DateTimeField(_("last queued"), null=True, blank=True)

    class Meta:
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")

    def __str__(self) -> str:
        return self.name
