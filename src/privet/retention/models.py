"""The retention engine's records: its runs and the legal holds that keep records past their
expiry.

A :class:`RetentionRun` is written as the sweep goes, in the transaction of each batch, so a run
killed at any point says exactly what it had done and where it stopped; the next run takes it
over (:mod:`.engine`). A :class:`LegalHold` keeps records the declaration's rules would expire:
one record, every record of a person, or every record held for a client. Holds are placed and
lifted only by :mod:`.holds`, each change audited.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

EMAIL_MAX = 254
PHONE_MAX = 30
VISITOR_ID_MAX = 64
NOTE_MAX = 2000


def run_reference(pk: int | str) -> str:
    """What a run is called in the panel and the audit log: ``RUN-000042``."""
    pk = str(pk)
    return f"RUN-{int(pk):06d}" if pk.isascii() and pk.isdecimal() else pk


def hold_reference(pk: int | str) -> str:
    """What a hold is called: ``HOLD-00042``."""
    pk = str(pk)
    return f"HOLD-{int(pk):05d}" if pk.isascii() and pk.isdecimal() else pk


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Completed with errors")


class RetentionRun(models.Model):
    """One sweep: what it expired per target and rule, what holds kept, where it stands.

    ``counts`` is ``{target: {"expired": n, "held": n, "deferred": n, "batches": n,
    "partitions": [names], "rules": {rule: n}}}``; ``deferred`` are expired records the target
    did not remove (restricted since they were read, say): the next run offers them again. ``cursor`` is
    ``{target: last primary key done}`` (``"done"`` when finished): the batch that moved it
    committed with it. ``errors`` names the target and the exception's class, never its
    message (it could quote a record).
    """

    started_at = models.DateTimeField(_("started"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(_("status"), max_length=12, choices=RunStatus.choices,
                              default=RunStatus.RUNNING)
    actor = models.CharField(max_length=64)
    policy_version = models.CharField(max_length=64, blank=True)
    rules = models.JSONField(default=list, blank=True)  # the --rule filter; [] = every rule
    counts = models.JSONField(default=dict, blank=True)
    cursor = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    resumed = models.PositiveIntegerField(default=0)  # times another process took it over

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return run_reference(self.pk) if self.pk else "RUN-new"

    @property
    def duration(self):
        return (self.finished_at or self.heartbeat_at) - self.started_at

    def total(self, key: str) -> int:
        return sum(c.get(key, 0) for c in self.counts.values())


class HoldScope(models.TextChoices):
    PERSON = "person", _("A person")
    CLIENT = "client", _("A client")
    RECORD = "record", _("One record")


class HoldReason(models.TextChoices):
    CLAIM = "claim", _("A claim or a dispute")
    TAX_AUDIT = "tax_audit", _("A tax audit")
    AUTHORITY = "authority", _("An authority's request")
    OTHER = "other", _("Another legal duty")


class LegalHold(models.Model):
    """Keeps records past their declared expiry while it is active: not lifted, and its
    ``ends_on`` (inclusive, local date) not passed. A hold on a person names them by the
    identifiers the rights engine searches by; when the hold ends they are blanked and only
    ``subject_ref`` (a keyed pseudonym) stays, so an ended hold holds no contact details."""

    scope = models.CharField(_("holds"), max_length=8, choices=HoldScope.choices)
    reason = models.CharField(_("reason"), max_length=12, choices=HoldReason.choices)
    note = models.TextField(_("note"), max_length=NOTE_MAX, blank=True,
                            help_text=_("The matter, a case number: whatever the next person "
                                        "needs to know when to lift it."))
    email = models.EmailField(_("email"), max_length=EMAIL_MAX, blank=True)
    phone = models.CharField(_("phone"), max_length=PHONE_MAX, blank=True)
    visitor_id = models.CharField(_("visitor id"), max_length=VISITOR_ID_MAX, blank=True)
    subject_ref = models.CharField(max_length=32, blank=True)
    client = models.CharField(_("client"), max_length=64, blank=True)
    target = models.CharField(_("store"), max_length=64, blank=True)
    record_key = models.CharField(_("record"), max_length=64, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True,
                               help_text=_("Leave empty to hold until lifted."))
    placed_at = models.DateTimeField(_("placed"), default=timezone.now)
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        ordering = ["-placed_at"]
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        indexes = [models.Index(fields=["ended_at"], name="hold_open_idx")]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return hold_reference(self.pk) if self.pk else "HOLD-new"

    def is_active(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.ended_at is None and (self.ends_on is None or self.ends_on >= today)
