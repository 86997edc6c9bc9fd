"""Enquiries and their way to a project: enquiry -> offer -> project -> ended, or -> closed.

The status dates are the triggers of the declared retention rules: ``closed_at`` of an enquiry
that never became a contract (``enquiry_closed``, 12 months) and ``project_ended_at`` of a
project (``contract_end``, 6 years to the end of the year). Only :mod:`.services` changes them,
and every change leaves an :class:`EnquiryStatusChange` row and an audit event.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# The outbox row's fields and states are shared with the other apps that mail (privet.core);
# named here too, where migrations and callers have always found them.
from privet.core.models import SENDING_LEASE, MailState, OutboxMail, new_message_id  # noqa: F401

# Form limits, shared by the model, the public form and the panel's form.
NAME_MAX = 100
COMPANY_MAX = 150
EMAIL_MAX = 254  # RFC 5321 path limit; what Django's EmailField uses
PHONE_MAX = 30
MESSAGE_MAX = 5000


class ProjectType(models.TextChoices):
    WEBSITE = "website", _("Website")
    WEB_APP = "web_app", _("Web application")
    PANEL = "panel", _("Operational panel")
    INTEGRATION = "integration", _("API integration")
    SUPPORT = "support", _("Technical support")
    OTHER = "other", _("Something else")


class Channel(models.TextChoices):
    FORM = "form", _("Contact form")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    NEW = "new", _("New enquiry")
    OFFER = "offer", _("Offer sent")
    PROJECT = "project", _("Project (contract signed)")
    ENDED = "ended", _("Project ended")
    CLOSED = "closed", _("Closed without contract")


# The lifecycle. Anything not listed is refused by services.change_status (InvalidTransition).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.NEW: (Status.OFFER, Status.CLOSED),
    Status.OFFER: (Status.PROJECT, Status.CLOSED),
    Status.PROJECT: (Status.ENDED,),
    Status.ENDED: (),
    Status.CLOSED: (),
}
# The date field each status stamps when an enquiry enters it.
STATUS_DATE_FIELD = {
    Status.OFFER: "offer_at",
    Status.PROJECT: "contract_signed_at",
    Status.ENDED: "project_ended_at",
    Status.CLOSED: "closed_at",
}
# Still waiting for a decision: what the operator's inbox shows.
OPEN_STATUSES = (Status.NEW, Status.OFFER)


def enquiry_reference(pk: int | str) -> str:
    """What the person and the operators quote: ``E-000042``. Also for an audit event's
    ``object_id`` (a string); one that is not a number, which no enquiry has, stays as it is."""
    pk = str(pk)
    return f"E-{int(pk):06d}" if pk.isascii() and pk.isdecimal() else pk


class Enquiry(models.Model):
    """One person's enquiry, from the public form or logged by an operator from email or phone."""

    name = models.CharField(_("name"), max_length=NAME_MAX)
    company = models.CharField(_("company"), max_length=COMPANY_MAX, blank=True)
    email = models.EmailField(_("email"), max_length=EMAIL_MAX)
    phone = models.CharField(_("phone"), max_length=PHONE_MAX, blank=True)
    project_type = models.CharField(_("project type"), max_length=20, choices=ProjectType.choices)
    message = models.TextField(_("message"), max_length=MESSAGE_MAX)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices,
                               default=Channel.FORM)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)

    received_at = models.DateTimeField(_("received"), default=timezone.now)
    offer_at = models.DateTimeField(_("offer sent"), null=True, blank=True)
    contract_signed_at = models.DateTimeField(_("contract signed"), null=True, blank=True)
    project_ended_at = models.DateTimeField(_("project ended"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    last_contact_at = models.DateTimeField(_("last contact"), default=timezone.now)
    # Art. 18: kept but not otherwise used while a restriction of processing is in force.
    restricted_at = models.DateTimeField(_("processing restricted"), null=True, blank=True)
    # Art. 21(1): the person objected to processing based on legitimate interest; not worked on.
    objected_at = models.DateTimeField(_("objected to processing"), null=True, blank=True)

    language = models.CharField(_("language"), max_length=8, default="en")
    policy_version = models.CharField(
        _("policy version"), max_length=64, blank=True,
        help_text="Content hash of the policy in force when the data was collected.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("logged by"),
        help_text="The operator who logged it; empty for the public form.",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("enquiry")
        verbose_name_plural = _("enquiries")
        indexes = [
            # The panel's list filtered by status, newest first (selectors.search_enquiries,
            # open_enquiries), and the dashboard's counts per status.
            models.Index(fields=["status", "received_at"], name="enq_status_received_idx"),
            # The rights engine finds one person's enquiries by email, ignoring case
            # (selectors.enquiries_of_subject: UPPER(email) = UPPER(%s), which an index on the
            # plain column cannot serve). By phone: enq_phone_digits_idx (PostgreSQL only,
            # migration 0009), on the phone's digits.
            models.Index(Upper("email"), name="enq_email_upper_idx"),
            # Retention: closed enquiries past 12 months (RetentionTarget.candidates of the
            # targets in privacy.py filter on closed_at).
            models.Index(fields=["status", "closed_at"], name="enq_status_closed_idx"),
            # Retention: ended projects past 6 years (the "enquiries.projects" target).
            models.Index(fields=["status", "project_ended_at"], name="enq_status_ended_idx"),
        ]

    def __str__(self) -> str:
        return f"Enquiry #{self.pk} ({self.get_status_display()})"

    @property
    def reference(self) -> str:
        """What the person and the operators quote: ``E-000042``."""
        return enquiry_reference(self.pk)

    def allowed_transitions(self) -> tuple[str, ...]:
        """The statuses this enquiry may move to next (no query)."""
        return TRANSITIONS[self.status]

    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def retention_trigger(self) -> tuple[str, object] | None:
        """``(trigger, when)`` of the retention rule that now applies, or ``None`` while the
        enquiry or project is still running (nothing counts down yet)."""
        if self.status == Status.CLOSED:
            return ("enquiry_closed", self.closed_at)
        if self.status == Status.ENDED:
            return ("contract_end", self.project_ended_at)
        return None

    def kept_for_claims(self) -> bool:
        """Whether a contract was signed, so the project's records are kept while the claims
        period runs, whatever an erasure request asks (no query)."""
        return self.status in (Status.PROJECT, Status.ENDED)


class EnquiryNote(models.Model):
    """An operator's note on an enquiry (a call, what was agreed); part of its history."""

    enquiry = models.ForeignKey(Enquiry, on_delete=models.CASCADE, related_name="notes",
                                verbose_name=_("enquiry"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("note"), max_length=MESSAGE_MAX)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("enquiry note")
        verbose_name_plural = _("enquiry notes")
        # The FK index on enquiry_id serves the history of one enquiry.

    def __str__(self) -> str:
        return f"Note #{self.pk} on enquiry #{self.enquiry_id}"


class EnquiryStatusChange(models.Model):
    """Who moved an enquiry from which status to which, when, and why (append-only)."""

    enquiry = models.ForeignKey(Enquiry, on_delete=models.CASCADE, related_name="status_changes",
                                verbose_name=_("enquiry"))
    from_status = models.CharField(_("from status"), max_length=10, choices=Status.choices,
                                   blank=True)
    to_status = models.CharField(_("to status"), max_length=10, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("changed by"),
    )
    at = models.DateTimeField(_("took effect"), default=timezone.now,
                              help_text="When the change took effect.")
    # The operator gave a day, not a time (a contract signed last week): ``at`` is then the end
    # of that day, so that it never falls before an earlier step of the same day, and its time
    # is not shown because nobody said it.
    date_only = models.BooleanField(
        _("date only"), default=False,
        help_text="The change was dated by its day; the time of `at` is not a real time.",
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    reason = models.TextField(_("reason"), blank=True, max_length=1000)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        # The FK index on enquiry_id serves the history of one enquiry.

    def __str__(self) -> str:
        return f"#{self.enquiry_id}: {self.from_status or '-'} -> {self.to_status}"


class MailKind(models.TextChoices):
    """The mail the worker sends about an enquiry (``tasks.send_enquiry_mail``)."""

    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement to the sender")
    OPERATORS = "operators", _("Notice to operators")


# Failures an operator can put right, by the error recorded, with what to do: the panel shows
# this instead of the error's class name.
MAIL_ERRORS_EXPLAINED = {
    "NoOperatorAddress": _("No operator has an email address: add one to an account, or set "
                           "PRIVET_OPERATOR_EMAILS, then send again."),
}

# A pending mail older than this was not sent when it should have been: the queue refused it,
# the worker is down or was killed mid-send. The panel shows it beside the failed ones.
STUCK_AFTER = timedelta(minutes=10)


class OutgoingMail(OutboxMail):
    """One mail about an enquiry, written in the enquiry's own transaction (a transactional outbox).

    The row exists before anything is queued, so a mail cannot be lost between the commit and the
    queue, nor in a worker that dies: it stays ``pending`` and, after :data:`STUCK_AFTER`, the
    panel shows it until it is sent. It holds no address: the worker reads the recipients from
    the enquiry (or the operators' accounts) when it sends, so erasing the enquiry erases all.
    """

    enquiry = models.ForeignKey(Enquiry, on_delete=models.CASCADE, related_name="mail",
                                verbose_name=_("enquiry"))
    kind = models.CharField(_("mail"), max_length=20, choices=MailKind.choices)
    # state, attempts, error, times, claim, hand-over, Message-ID: privet.core.models.OutboxMail

    class Meta:
        ordering = ["-queued_at", "-pk"]
        verbose_name = _("outgoing mail")
        verbose_name_plural = pgettext_lazy("plural", "outgoing mail")
        constraints = [models.UniqueConstraint(fields=["enquiry", "kind"], name="outgoing_mail_once")]
        indexes = [
            # Mail that needs an operator: failed, or pending since before a cut-off
            # (selectors.mail_needing_attention, the dashboard and `enquiry_mail --resend-stuck`).
            models.Index(fields=["state", "queued_at"], name="enq_mail_state_queued_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} mail for enquiry #{self.enquiry_id} ({self.state})"

    def is_stuck(self, now: datetime | None = None) -> bool:
        """Pending for longer than :data:`STUCK_AFTER` with no worker sending it (no query);
        the same test as :func:`.selectors.mail_needing_attention`."""
        now = now or timezone.now()
        return (self.state == MailState.PENDING and self.queued_at <= now - STUCK_AFTER
                and (self.sending_since is None or self.sending_since <= now - SENDING_LEASE))

    def failure_explained(self) -> str:
        """What to do about this failed mail, in the active language; "" when its error is one
        only retrying (or a technician) can help with (no query)."""
        explained = MAIL_ERRORS_EXPLAINED.get(self.error)
        return str(explained) if explained and self.state == MailState.FAILED else ""

    def needs_attention(self, now: datetime | None = None) -> bool:
        """Failed, uncertain, or stuck: what the panel lists under "Mail not sent" (no query)."""
        return self.state in (MailState.FAILED, MailState.UNCERTAIN) or self.is_stuck(now)
