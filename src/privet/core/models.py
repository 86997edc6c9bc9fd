"""The shared runtime's one table: the task workers' leases (:mod:`privet.core.leases`)."""

from __future__ import annotations

from datetime import timedelta

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


# --- the mail outbox's row, shared by every app that mails (enquiries, rights) ------------------

# How long one worker owns a mail it started sending (its retries take about two minutes): no
# other worker sends the same mail meanwhile, and after it one may (the first one died).
SENDING_LEASE = timedelta(minutes=5)


def new_message_id() -> str:
    """A new ``Message-ID`` (RFC 5322) for an outbox row, on the sender address's domain: stored
    with the row, so every attempt at the same mail carries the same one and a receiving system
    that drops duplicates by Message-ID shows a mail sent twice once."""
    from email.utils import make_msgid

    from django.conf import settings

    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("<> ") or "localhost"
    return make_msgid(idstring="privet", domain=domain)


class MailState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Not sent")
    # The worker stopped (killed, or the connection dropped) after handing the mail to the mail
    # server and before hearing whether it took it: it may have arrived. Not sent again by
    # itself (that could deliver it twice); an operator decides (core.outbox.Outbox.mark_uncertain).
    UNCERTAIN = "uncertain", _("May have been sent")


class OutboxMail(models.Model):
    """The fields of one mail in a transactional outbox (:mod:`privet.core.outbox`), written in
    the transaction of the change it tells of. Concrete outboxes add what the mail is about
    (a foreign key) and its kind; the row holds no address: the sender reads the recipients
    when it sends, so erasing what the mail is about erases the mail too."""

    state = models.CharField(_("state"), max_length=10, choices=MailState.choices,
                             default=MailState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # The exception's class name only: SMTP errors quote the recipients' addresses.
    error = models.CharField(_("error"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    queued_at = models.DateTimeField(_("queued"), default=timezone.now,
                                     help_text="When it was last handed to the task queue.")
    # Set while a worker owns the mail (a lease of SENDING_LEASE, renewed at every attempt).
    sending_since = models.DateTimeField(_("sending since"), null=True, blank=True)
    # The worker that claimed it (its id; core.leases knows whether it is alive): another worker
    # leaves the mail alone while that lease holds, and takes it over once it lapsed.
    claimed_by = models.CharField(_("claimed by"), max_length=64, blank=True, default="")
    # Set (committed) just before the end of the message goes to the mail server, cleared when
    # the server refuses it: a claim found with this set after its worker stopped is UNCERTAIN.
    handed_at = models.DateTimeField(_("handed to the mail server"), null=True, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True,
                                  default=new_message_id)
    finished_at = models.DateTimeField(_("sent or given up"), null=True, blank=True)

    class Meta:
        abstract = True
