"""Rights requests (GDPR Arts. 15-22) and what working them leaves behind.

A request goes through these states (``TRANSITIONS``; only :mod:`.services` changes them, each
change audited in its transaction)::

    unverified ──verify──▶ verified ──start──▶ in_progress ──▶ completed
        │                     │  ▲                  │  ▲
        │                     ▼  │                  ▼  │
        │               awaiting_person       awaiting_controller (data held for a client)
        ▼
    closed_unverified (7 days without the link being used)

    and from any open state: refused (with a ground, Art. 12(4)/(5)) | withdrawn (by the person)
                              failed (a step raised; "reprocess" starts again from verified)

The deadline (:mod:`.deadlines`) counts from ``received_at``, not from verification.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from privet.core.models import OutboxMail

EMAIL_MAX = 254
PHONE_MAX = 30
VISITOR_ID_MAX = 64
HANDLE_MAX = 200  # as long as a platform account's username (integrations.PlatformAccount)
DETAILS_MAX = 5000
REASON_MAX = 2000


class Right(models.TextChoices):
    ACCESS = "access", _("Access (a copy of your data)")
    PORTABILITY = "portability", _("Portability (your data, machine-readable)")
    RECTIFICATION = "rectification", _("Rectification (correct your data)")
    ERASURE = "erasure", _("Erasure (delete your data)")
    RESTRICTION = "restriction", _("Restriction of processing")
    OBJECTION = "objection", _("Objection to processing")
    WITHDRAW_CONSENT = "withdraw_consent", _("Withdrawal of consent")


# GDPR article of each right, for pages and mail.
ARTICLES = {
    Right.ACCESS: "15", Right.PORTABILITY: "20", Right.RECTIFICATION: "16",
    Right.ERASURE: "17", Right.RESTRICTION: "18", Right.OBJECTION: "21",
    Right.WITHDRAW_CONSENT: "7(3)",
}


class Status(models.TextChoices):
    UNVERIFIED = "unverified", _("Awaiting verification")
    VERIFIED = "verified", _("Verified")
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING_PERSON = "awaiting_person", _("Waiting for the person")
    AWAITING_CONTROLLER = "awaiting_controller", _("Waiting for the controller")
    FAILED = "failed", pgettext_lazy("rights request", "Failed")
    COMPLETED = "completed", pgettext_lazy("rights request", "Completed")
    REFUSED = "refused", pgettext_lazy("rights request", "Refused")
    WITHDRAWN = "withdrawn", pgettext_lazy("rights request", "Withdrawn")
    CLOSED_UNVERIFIED = "closed_unverified", _("Closed: never verified")


CLOSED_STATUSES = (Status.COMPLETED, Status.REFUSED, Status.WITHDRAWN, Status.CLOSED_UNVERIFIED)
# Open and counting towards the deadline (every open state: the clock runs from receipt).
OPEN_STATUSES = tuple(s for s in Status.values if s not in CLOSED_STATUSES)

TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.UNVERIFIED: (Status.VERIFIED, Status.CLOSED_UNVERIFIED, Status.REFUSED,
                        Status.WITHDRAWN),
    Status.VERIFIED: (Status.IN_PROGRESS, Status.AWAITING_PERSON, Status.REFUSED,
                      Status.WITHDRAWN, Status.FAILED),
    Status.AWAITING_PERSON: (Status.VERIFIED, Status.REFUSED, Status.WITHDRAWN),
    Status.IN_PROGRESS: (Status.COMPLETED, Status.AWAITING_CONTROLLER, Status.FAILED,
                         Status.REFUSED, Status.WITHDRAWN),
    Status.AWAITING_CONTROLLER: (Status.IN_PROGRESS, Status.COMPLETED, Status.FAILED,
                                 Status.REFUSED, Status.WITHDRAWN),
    Status.FAILED: (Status.VERIFIED, Status.REFUSED, Status.WITHDRAWN),
    Status.COMPLETED: (),
    Status.REFUSED: (),
    Status.WITHDRAWN: (),
    Status.CLOSED_UNVERIFIED: (),
}


class Channel(models.TextChoices):
    PORTAL = "portal", _("Rights portal")
    API = "api", _("API")
    EMAIL = "email", _("Email")
    LETTER = "letter", _("Letter")
    OTHER = "other", _("Other")


class RefusalGround(models.TextChoices):
    MANIFESTLY_UNFOUNDED = "manifestly_unfounded", _("Manifestly unfounded (Art. 12(5))")
    EXCESSIVE = "excessive", _("Excessive, in particular repetitive (Art. 12(5))")
    IDENTITY_NOT_PROVEN = "identity_not_proven", _("Identity not proven (Art. 12(2), 12(6))")
    EXEMPTION = "exemption", _("An exemption in law applies (e.g. Art. 17(3))")
    OTHER = "other", _("Other")


def new_public_id() -> uuid.UUID:
    return uuid.uuid4()


def request_reference(pk: int | str) -> str:
    """What the person and the operators quote: ``R-000042``; also names the request in the
    audit log and is the ``request_ref`` every source writes with its events."""
    pk = str(pk)
    return f"R-{int(pk):06d}" if pk.isascii() and pk.isdecimal() else pk


class RightsRequest(models.Model):
    """One person's request to exercise a right, from the portal, the API or logged by an
    operator from a mail or a letter."""

    # Unguessable: the person's links (status, download) name it, never the sequential pk.
    public_id = models.UUIDField(_("public id"), default=new_public_id, unique=True,
                                 editable=False)
    right = models.CharField(_("right"), max_length=20, choices=Right.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.UNVERIFIED)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices,
                               default=Channel.PORTAL)

    # Who it is about: the identifiers given. Only the email is proven by the link; a phone or
    # visitor id finds more only once the email is verified (the portal reads the visitor id from
    # the person's own consent cookie, never from a typed value).
    email = models.EmailField(_("email"), max_length=EMAIL_MAX)
    phone = models.CharField(_("phone"), max_length=PHONE_MAX, blank=True)
    visitor_id = models.CharField(_("visitor id"), max_length=VISITOR_ID_MAX, blank=True)
    # What to correct and why (rectification), the grounds (objection), or anything else.
    details = models.TextField(_("details"), max_length=DETAILS_MAX, blank=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    # For data the studio holds as a client's processor: the client it belongs to ("" = own).
    client = models.CharField(_("client"), max_length=64, blank=True)
    # The person's username on the client's platforms: how integration data names people.
    handle = models.CharField(_("platform username"), max_length=HANDLE_MAX, blank=True)

    received_at = models.DateTimeField(_("received"), default=timezone.now)
    # Art. 12(3): the last day to answer, a local date (deadlines.due_date); moves with an
    # extension and with days spent waiting for the person's proof.
    due_on = models.DateField(_("due"))
    extended_at = models.DateTimeField(_("extended"), null=True, blank=True)
    extension_months = models.PositiveSmallIntegerField(_("extended by (months)"), default=0)
    extension_reason = models.TextField(_("reason for the extension"), max_length=REASON_MAX,
                                        blank=True)
    # Waiting for the person (more proof of identity, Art. 12(6)): since when, what was asked,
    # and the whole days spent waiting so far (they move the deadline).
    awaiting_since = models.DateTimeField(_("waiting for the person since"), null=True,
                                          blank=True)
    proof_asked = models.TextField(_("proof asked for"), max_length=REASON_MAX, blank=True)
    paused_days = models.PositiveIntegerField(_("days waiting for the person"), default=0)

    # The verification link: a signed token carrying a nonce whose digest is kept here; using it
    # (or asking for a new one) clears or replaces the digest, so a link works once.
    verification_digest = models.CharField(max_length=64, blank=True, editable=False)
    verification_sent_at = models.DateTimeField(_("verification link sent"), null=True,
                                                blank=True)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)

    started_at = models.DateTimeField(_("work started"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    refusal_ground = models.CharField(_("ground for refusal"), max_length=30, blank=True,
                                      choices=RefusalGround.choices)
    outcome = models.TextField(_("outcome"), max_length=REASON_MAX, blank=True,
                               help_text="Why it was refused or withdrawn; what was done.")
    # Rectification: ``{attribute: new value}`` (registry.ATTRIBUTES), typed by the operator
    # from the person's details and handed to every source that holds the attribute.
    changes = models.JSONField(_("corrections"), default=dict, blank=True)
    # What each source did (no personal data: counts, kept reasons, rules), set by the engine.
    result = models.JSONField(_("result"), default=dict, blank=True)
    failed_at = models.DateTimeField(_("failed"), null=True, blank=True)
    # The exception's class name only, never its message.
    error = models.CharField(_("error"), max_length=100, blank=True)
    # Bumped by "reprocess from the start": steps of an earlier attempt no longer count.
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)

    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("assigned to"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("logged by"),
        help_text="The operator who logged it; empty for the portal and the API.")
    reminded_on = models.DateField(_("last reminder"), null=True, blank=True)
    policy_version = models.CharField(_("policy version"), max_length=64, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["due_on", "received_at"]
        verbose_name = _("rights request")
        verbose_name_plural = _("rights requests")
        indexes = [
            # The panel's list: open requests by due date, overdue first (selectors).
            models.Index(fields=["status", "due_on"], name="rights_status_due_idx"),
            # Unverified requests to close after 7 days (services.close_unverified).
            models.Index(fields=["status", "received_at"], name="rights_status_received_idx"),
            # Retention: closed requests counted from closed_at.
            models.Index(fields=["closed_at"], name="rights_closed_idx"),
            # One person's earlier requests, by the email they proved (privacy.RightsRequestSource:
            # plan, export), among every request ever answered.
            models.Index(fields=["email"], name="rights_email_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.right}, {self.status})"

    @property
    def reference(self) -> str:
        return request_reference(self.pk) if self.pk else "R-new"

    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    def is_overdue(self, today: date | None = None) -> bool:
        from .deadlines import local_today

        return self.is_open() and self.due_on < (today or local_today())

    def allowed_transitions(self) -> tuple[str, ...]:
        return TRANSITIONS.get(self.status, ())


class RequestStep(models.Model):
    """One source's part of working a request, done once (the engine's idempotency record).

    A step is ``(request, attempt, source, action)``; the engine creates it, does the action
    and marks it done with its report in one transaction where the source allows, so a worker
    killed mid-step leaves it undone and the next run does it again from the store's present
    state (actions are idempotent: erasing what is gone erases nothing).
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        FAILED = "failed", pgettext_lazy("step", "Failed")

    request = models.ForeignKey(RightsRequest, on_delete=models.CASCADE, related_name="steps")
    attempt = models.PositiveSmallIntegerField(default=1)
    source = models.CharField(max_length=100)
    action = models.CharField(max_length=30)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    report = models.JSONField(default=dict, blank=True)  # counts and reasons, no personal data
    error = models.CharField(max_length=100, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("request step")
        verbose_name_plural = _("request steps")
        constraints = [models.UniqueConstraint(fields=["request", "attempt", "source", "action"],
                                               name="rights_step_once")]

    def __str__(self) -> str:
        return f"{self.request_id}/{self.attempt} {self.source}.{self.action} ({self.state})"


class ErasureRecord(models.Model):
    """The erasure ledger: that records were erased, with no personal data, so that erasures
    can be done again after a backup is restored (``privet rights replay-erasures``).

    ``subject_digest`` is a keyed hash of the identifiers (the key lives outside the database,
    as the audit log's does); ``record_keys`` are the erased records' keys as the source names
    them (primary keys), which identify nobody once the records are gone. It is kept outside
    the backups' reach by being exported (``privet rights ledger --export``) or by living in a
    database that is not restored with the rest; see the README.
    """

    request_ref = models.CharField(max_length=20)
    source = models.CharField(max_length=100)
    subject_digest = models.CharField(max_length=64)
    record_keys = models.JSONField(default=list)
    erased_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["erased_at", "pk"]
        verbose_name = _("erasure record")
        verbose_name_plural = _("erasure ledger")
        indexes = [models.Index(fields=["subject_digest"], name="rights_ledger_subject_idx")]

    def __str__(self) -> str:
        return f"{self.request_ref}: {self.source} ({len(self.record_keys)} records)"


class ExportArchive(models.Model):
    """The ZIP of an access or portability request: encrypted at rest, delivered by a signed
    link that expires after :data:`~.deadlines.DOWNLOAD_DAYS` days, then deleted."""

    request = models.OneToOneField(RightsRequest, on_delete=models.CASCADE,
                                   related_name="archive")
    path = models.CharField(max_length=255)  # relative to PRIVET_DATA_DIR; encrypted bytes
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)  # of the plain ZIP
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    downloads = models.PositiveIntegerField(default=0)
    last_downloaded_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("export archive")
        verbose_name_plural = _("export archives")
        indexes = [models.Index(fields=["deleted_at", "expires_at"], name="rights_archive_exp_idx")]

    def __str__(self) -> str:
        return f"archive of request {self.request_id}"


class RightsSettings(models.Model):
    """The one row of the operators' switches: "pause processing" stops the engine from taking
    new steps (after an error, until someone looks). Deadlines keep running while paused."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    paused_at = models.DateTimeField(_("processing paused"), null=True, blank=True)
    paused_reason = models.TextField(_("why"), max_length=REASON_MAX, blank=True)
    paused_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("rights settings")
        verbose_name_plural = _("rights settings")

    def __str__(self) -> str:
        return "paused" if self.paused_at else "running"


class MailKind(models.TextChoices):
    VERIFICATION = "verification", _("Verification link")
    VERIFIED = "verified", _("Request confirmed")
    PROOF_ASKED = "proof_asked", _("More proof asked for")
    EXTENDED = "extended", _("Deadline extended")
    COMPLETED = "completed", _("Answer")
    REFUSED = "refused", _("Refusal")
    ROUTED = "routed", _("Passed to the controller")
    REMINDER = "reminder", _("Reminder to the operator")


class RightsMail(OutboxMail):
    """One mail about a request, written in the transaction of the change it tells of (the
    same transactional outbox as enquiries' mail: :mod:`privet.core.outbox`, here
:mod:`.outbox`). It holds no
    address; the sender reads it from the request (or the assigned operator) when it sends.

    ``seq`` lets one kind be sent more than once (a second verification link, a reminder per
    day); a row is unique per ``(request, kind, seq)``.
    """

    request = models.ForeignKey(RightsRequest, on_delete=models.CASCADE, related_name="mail")
    kind = models.CharField(_("mail"), max_length=20, choices=MailKind.choices)
    seq = models.PositiveSmallIntegerField(default=1)
    # state, attempts, error, times, claim, hand-over, Message-ID: privet.core.models.OutboxMail

    class Meta:
        ordering = ["-queued_at", "-pk"]
        verbose_name = _("rights mail")
        verbose_name_plural = pgettext_lazy("plural", "rights mail")
        constraints = [models.UniqueConstraint(fields=["request", "kind", "seq"],
                                               name="rights_mail_once")]
        indexes = [models.Index(fields=["state", "queued_at"], name="rights_mail_state_idx")]

    def __str__(self) -> str:
        return f"{self.kind} mail for request #{self.request_id} ({self.state})"
