"""Every change of an enquiry's state: one function each, atomic, audited, mail after commit.

Callers (the public form's view, the panel) validate input with :mod:`.forms` first; the
services check again what must never be stored (unknown fields, over-long values) so that no
other caller can bypass the limits the policy's declaration was written for.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from privet.audit import actors
from privet.audit.services import Actor, append_event, append_events
from privet.core.bidi import has_bidi_controls
from privet.core.dates import too_early, too_early_message
from privet.policy.selectors import current_hash

from .errors import (
    InvalidEnquiry,
    InvalidStatusDate,
    InvalidTransition,
    NoUnsentMail,
    ProcessingRestricted,
)
from .models import (
    COMPANY_MAX,
    EMAIL_MAX,
    MESSAGE_MAX,
    NAME_MAX,
    PHONE_MAX,
    STATUS_DATE_FIELD,
    TRANSITIONS,
    Channel,
    Enquiry,
    EnquiryNote,
    EnquiryStatusChange,
    MailKind,
    MailState,
    OutgoingMail,
    ProjectType,
    Status,
)
from .tasks import send_enquiry_mail

log = logging.getLogger(__name__)

# What a caller may hand over: exactly the fields the declaration's "enquiries" purpose covers.
REQUIRED_FIELDS = {"name": NAME_MAX, "email": EMAIL_MAX, "project_type": 20, "message": MESSAGE_MAX}
OPTIONAL_FIELDS = {"company": COMPANY_MAX, "phone": PHONE_MAX}


# Fields that name someone: no text-direction controls (privet.core.bidi), which could make
# the panel's lists show the text around them reversed.
NAMING_FIELDS = ("name", "company", "email")


def _clean(data: dict[str, Any]) -> dict[str, str]:
    unknown = set(data) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS)
    if unknown:
        raise InvalidEnquiry(f"Unknown enquiry fields: {', '.join(sorted(unknown))}.")
    clean: dict[str, str] = {}
    for name, limit in {**REQUIRED_FIELDS, **OPTIONAL_FIELDS}.items():
        value = str(data.get(name) or "").strip()
        if name in REQUIRED_FIELDS and not value:
            raise InvalidEnquiry(f"The field {name!r} is required.")
        if len(value) > limit:
            raise InvalidEnquiry(f"The field {name!r} is longer than {limit} characters.")
        if name in NAMING_FIELDS and has_bidi_controls(value):
            raise InvalidEnquiry(f"The field {name!r} holds a text-direction control character.")
        clean[name] = value
    if clean["project_type"] not in ProjectType.values:
        raise InvalidEnquiry(f"Unknown project type {clean['project_type']!r}.")
    local, _, domain = clean["email"].rpartition("@")
    clean["email"] = f"{local}@{domain.lower()}" if local else clean["email"]
    return clean


def _user(actor: AbstractBaseUser | str | None) -> AbstractBaseUser | None:
    """The user to store in a foreign key; ``None`` for system actors like "system:demo"."""
    return actor if isinstance(actor, AbstractBaseUser) else None


@transaction.atomic(durable=True)
def submit_enquiry(*, data: dict[str, Any], client_ref: str, language: str) -> Enquiry:
    """Store an enquiry sent through the public form; acknowledge it and notify operators.

    ``client_ref`` is the pseudonymised client (:func:`privet.pseudonyms.ip_ref`); it goes into
    the audit event's details only, never into the enquiry. Mail leaves after the commit.
    """
    clean = _clean(data)
    now = timezone.now()
    enquiry = Enquiry.objects.create(
        **clean, channel=Channel.FORM, status=Status.NEW, received_at=now, last_contact_at=now,
        language=language if language in ("en", "pl") else "en", policy_version=current_hash(),
    )
    EnquiryStatusChange.objects.create(enquiry=enquiry, from_status="", to_status=Status.NEW, at=now)
    append_event(
        actor="public:contact-form", action="enquiry.received", obj=enquiry, subject=enquiry.email,
        details={"channel": Channel.FORM, "project_type": enquiry.project_type, "client": client_ref,
                 "language": enquiry.language},
        policy_version=enquiry.policy_version,
    )
    # The outbox: the mails exist as rows with the enquiry, and are queued only once it is
    # committed (no mail for a change that rolled back, no enquiry whose mail is lost).
    mails = OutgoingMail.objects.bulk_create(
        [OutgoingMail(enquiry=enquiry, kind=kind, created_at=now, queued_at=now)
         for kind in (MailKind.ACKNOWLEDGEMENT, MailKind.OPERATORS)]
    )
    _queue_after_commit(mails)
    return enquiry


# Not durable: `privet demo` loads its sample enquiries with it in one transaction.
@transaction.atomic
def log_enquiry(
    *,
    data: dict[str, Any],
    actor: AbstractBaseUser | str,
    channel: str = Channel.EMAIL,
    received_at: datetime | None = None,
    language: str = "en",
) -> Enquiry:
    """Record an enquiry an operator received by email, phone or otherwise (no mail is sent:
    the person wrote to us directly and gets a direct answer)."""
    clean = _clean(data)
    if channel not in Channel.values or channel == Channel.FORM:
        raise InvalidEnquiry(f"An operator logs enquiries by email, phone or other, not {channel!r}.")
    now = timezone.now()
    received_at = received_at or now
    if received_at > now:
        raise InvalidEnquiry("An enquiry cannot be received in the future.")
    if too_early(received_at):
        raise InvalidEnquiry(too_early_message())
    enquiry = Enquiry.objects.create(
        **clean, channel=channel, status=Status.NEW, received_at=received_at,
        last_contact_at=received_at, language=language if language in ("en", "pl") else "en",
        policy_version=current_hash(), created_by=_user(actor),
    )
    EnquiryStatusChange.objects.create(
        enquiry=enquiry, from_status="", to_status=Status.NEW, actor=_user(actor), at=received_at
    )
    append_event(
        actor=actor, action="enquiry.logged", obj=enquiry, subject=enquiry.email,
        details={"channel": channel, "project_type": enquiry.project_type},
        policy_version=enquiry.policy_version,
    )
    return enquiry


# Not durable: `privet demo` loads its sample enquiries with it in one transaction.
@transaction.atomic
def change_status(
    *,
    enquiry: Enquiry,
    to_status: str,
    actor: AbstractBaseUser | str | None,
    reason: str = "",
    at: datetime | date | None = None,
) -> Enquiry:
    """Move ``enquiry`` along its lifecycle and stamp the status's date.

    ``at`` is when it happened, default now: a moment, or a day (the contract was signed last
    Tuesday), which counts as the end of that day so that it never falls before an earlier
    step taken the same day, and is shown without a time (``date_only``). It may not be in the
    future nor before the enquiry's previous step (:class:`InvalidStatusDate`). Returns the
    refreshed enquiry. Raises :class:`InvalidTransition` for a change the lifecycle does not
    allow.
    """
    locked = Enquiry.objects.select_for_update().get(pk=enquiry.pk)
    _refuse_if_restricted(locked, to_status=to_status)
    from_status = locked.status
    if to_status not in Status.values:
        raise InvalidTransition(f"{to_status!r} is not a status of an enquiry.")
    if to_status not in TRANSITIONS[from_status]:
        allowed = ", ".join(str(Status(s).label) for s in TRANSITIONS[from_status]) or "none (final)"
        raise InvalidTransition(
            f"An enquiry in status “{Status(from_status).label!s}” cannot move to "
            f"“{Status(to_status).label}”. Allowed next: {allowed}."
        )
    reason = reason.strip()
    if len(reason) > 1000:
        raise InvalidTransition("The reason is longer than 1000 characters.")
    now = timezone.now()
    date_only = at is not None and not isinstance(at, datetime)
    if at is not None and too_early(at):
        raise InvalidStatusDate(too_early_message())
    if date_only:
        if at > timezone.localdate(now):
            raise InvalidStatusDate(gettext("A status change cannot take effect in the future."))
        at = min(timezone.make_aware(datetime.combine(at, time(23, 59, 59))), now)
    at = at or now
    previous = locked.status_changes.order_by("-at").values_list("at", "date_only").first()
    if at > now:
        raise InvalidStatusDate(gettext("A status change cannot take effect in the future."))
    if previous and at < previous[0]:
        shown = timezone.localtime(previous[0])
        raise InvalidStatusDate(
            gettext("A status change cannot take effect before the previous one (%(when)s).")
            % {"when": shown.strftime("%Y-%m-%d" if previous[1] else "%Y-%m-%d %H:%M")}
        )
    locked.status = to_status
    setattr(locked, STATUS_DATE_FIELD[to_status], at)
    locked.last_contact_at = max(locked.last_contact_at, at)
    locked.save(update_fields=["status", STATUS_DATE_FIELD[to_status], "last_contact_at", "updated_at"])
    EnquiryStatusChange.objects.create(
        enquiry=locked, from_status=from_status, to_status=to_status,
        actor=_user(actor), at=at, date_only=date_only, reason=reason,
    )
    when = ({"on": timezone.localdate(at).isoformat()} if date_only else {"at": at.isoformat()})
    append_event(
        actor=actor, action="enquiry.status_changed", obj=locked, subject=locked.email,
        details={"from": from_status, "to": to_status, **when, "with_reason": bool(reason)},
    )
    if enquiry is not locked:
        enquiry.refresh_from_db()
    return locked


def _refuse_if_restricted(enquiry: Enquiry, *, to_status: str = "") -> None:
    """Refuse work on an enquiry whose processing is restricted (Art. 18) or objected to
    (Art. 21). An objection still lets it end (closed, project ended): that stops processing,
    which is what the person asked for, and starts its retention clock."""
    if enquiry.restricted_at is not None:
        raise ProcessingRestricted(
            f"{enquiry.reference}: the person restricted processing of this enquiry (GDPR Art. 18) "
            "on " + enquiry.restricted_at.date().isoformat() + "; it is kept but not worked on."
        )
    if enquiry.objected_at is not None and to_status not in (Status.CLOSED, Status.ENDED):
        raise ProcessingRestricted(
            f"{enquiry.reference}: the person objected to its processing (GDPR Art. 21) on "
            + enquiry.objected_at.date().isoformat() + "; it is kept until its retention ends "
            "but not worked on."
        )


# Not durable: `privet demo` loads its sample enquiries with it in one transaction.
@transaction.atomic
def add_note(
    *, enquiry: Enquiry, body: str, actor: AbstractBaseUser | str,
    contact_at: datetime | None = None, at: datetime | None = None,
) -> EnquiryNote:
    """Add an operator's note. ``contact_at`` marks the note as a contact with the person
    (a call, an email) and moves ``last_contact_at`` forward."""
    _refuse_if_restricted(enquiry)
    body = body.strip()
    if not body:
        raise InvalidEnquiry("A note cannot be empty.")
    if len(body) > MESSAGE_MAX:
        raise InvalidEnquiry(f"A note is limited to {MESSAGE_MAX} characters.")
    note = EnquiryNote.objects.create(enquiry=enquiry, author=_user(actor), body=body,
                                      created_at=min(at or timezone.now(), timezone.now()))
    if contact_at and contact_at > enquiry.last_contact_at:
        enquiry.last_contact_at = min(contact_at, timezone.now())
        enquiry.save(update_fields=["last_contact_at", "updated_at"])
    append_event(
        actor=actor, action="enquiry.note_added", obj=enquiry, subject=enquiry.email,
        details={"note": note.pk, "contact": bool(contact_at)},
    )
    return note


# --- Mail: a transactional outbox -------------------------------------------------------------
# submit_enquiry writes one OutgoingMail row per mail in the enquiry's transaction and queues the
# task after the commit; the worker (tasks.send_enquiry_mail) claims the row, sends, and marks it
# sent or failed (the worker's side is in outbox.py). A row that nobody finished is "stuck" after
# STUCK_AFTER and shown in the panel.


def _queue_errors() -> tuple[type[Exception], ...]:
    """What a task backend raises when it cannot take a task: the database backend's
    ``DatabaseError`` (SQLite's "database is locked"), RQ's ``RedisError`` (Redis is down)."""
    errors: list[type[Exception]] = [DatabaseError]
    try:
        from redis.exceptions import RedisError
    except ImportError:  # RQ is optional
        pass
    else:
        errors.append(RedisError)
    return tuple(errors)


QUEUE_ERRORS = _queue_errors()


def _queue(enquiry_id: int, kind: str) -> bool:
    """Hand one mail to the task queue; ``False`` (logged, no personal data) when the queue
    refuses it. The mail's row stays pending, so the panel shows it once it is stuck: a stored
    enquiry never turns into an error page because the queue is down."""
    try:
        send_enquiry_mail.enqueue(enquiry_id, kind)
    except QUEUE_ERRORS as exc:
        log.warning("enquiries: could not queue the %s mail of enquiry %s (%s); it stays pending "
                    "and the panel lists it as not sent", kind, enquiry_id, type(exc).__name__)
        return False
    return True


def _queue_after_commit(mails: list[OutgoingMail]) -> None:
    pending = [(m.enquiry_id, m.kind) for m in mails]
    transaction.on_commit(lambda: [_queue(enquiry_id, kind) for enquiry_id, kind in pending])


@transaction.atomic(durable=True)
def send_mail_again(*, enquiry: Enquiry, kind: str, actor: AbstractBaseUser | str) -> OutgoingMail:
    """Queue a failed, stuck or uncertain mail again (after the commit); the worker sends it as
    the first time, with the same Message-ID (for an uncertain one, the operator decided that it
    probably did not arrive; a receiving system that drops duplicates shows it once if it did).

    Raises :class:`NoUnsentMail` when that mail is not waiting for an operator (sent, or queued
    and not yet stuck, e.g. someone else just sent it again), and :class:`ProcessingRestricted`
    while the person has processing restricted.
    """
    _refuse_if_restricted(enquiry)
    mail = OutgoingMail.objects.select_for_update().filter(enquiry=enquiry, kind=kind).first()
    if mail is None or not mail.needs_attention():
        raise NoUnsentMail(
            f"{enquiry.reference}: the {kind} mail is not waiting to be sent again (it was sent or "
            "is already queued); nothing was queued."
        )
    was = mail.state if mail.state in (MailState.FAILED, MailState.UNCERTAIN) else "stuck"
    mail.state, mail.queued_at, mail.finished_at = MailState.PENDING, timezone.now(), None
    mail.claimed_by, mail.handed_at, mail.sending_since = "", None, None
    mail.save(update_fields=["state", "queued_at", "finished_at", "claimed_by", "handed_at",
                             "sending_since"])
    append_event(actor=actor, action="enquiry.mail_requeued", obj=enquiry,
                 details={"mail": kind, "was": was})
    _queue_after_commit([mail])
    return mail


def resend_stuck_mail(*, actor: AbstractBaseUser | str) -> tuple[int, int]:
    """Queue every failed or stuck mail again, each like :func:`send_mail_again`. Not the
    uncertain ones: each may have arrived, and an operator decides about each.

    Returns ``(queued, skipped)``; skipped are the enquiries whose processing is restricted.
    """
    from .selectors import mail_needing_attention

    queued = skipped = 0
    for mail in mail_needing_attention().exclude(state=MailState.UNCERTAIN).select_related("enquiry"):
        try:
            send_mail_again(enquiry=mail.enquiry, kind=mail.kind, actor=actor)
        except ProcessingRestricted:
            skipped += 1
        except NoUnsentMail:  # sent or queued meanwhile by someone else
            continue
        else:
            queued += 1
    return queued, skipped


# --- Rights requests and retention: the writes behind privacy.EnquirySource and its targets ---
# Each takes the records the caller selected (selectors.enquiries_of_subject, or the retention
# engine's expired records), the actor and the rights request's (or retention run's) reference,
# and audits every record it changes with them.

# Person attributes (privet.registry.ATTRIBUTES) an enquiry holds, and the field holding each.
ATTRIBUTE_FIELDS = {"name": "name", "company": "company", "email": "email", "phone": "phone"}


def _request(request_ref: str) -> dict[str, str]:
    return {"request_ref": request_ref} if request_ref else {}


@transaction.atomic
def rectify_enquiries(*, enquiries: QuerySet[Enquiry], changes: dict[str, str], actor: Actor,
                      request_ref: str = "") -> int:
    """Correct the person's attributes (Art. 16) on ``enquiries``; returns how many changed.

    ``changes`` is keyed by attribute (:data:`ATTRIBUTE_FIELDS`); a value the form would refuse
    (too long, not an email) raises :class:`InvalidEnquiry` and changes nothing.
    """
    unknown = set(changes) - set(ATTRIBUTE_FIELDS)
    if unknown:
        raise InvalidEnquiry(f"An enquiry holds no {', '.join(sorted(unknown))} to correct.")
    fields = {ATTRIBUTE_FIELDS[a]: str(v).strip() for a, v in changes.items()}
    changed = 0
    for enquiry in enquiries.select_for_update():
        if all(getattr(enquiry, f) == v for f, v in fields.items()):
            continue
        for name, value in fields.items():
            setattr(enquiry, name, value)
        try:
            enquiry.full_clean(exclude=["created_by"])
        except ValidationError as exc:
            raise InvalidEnquiry("; ".join(f"{k}: {' '.join(v)}" for k, v in
                                           exc.message_dict.items())) from None
        enquiry.save(update_fields=[*fields, "updated_at"])
        append_event(actor=actor, action="enquiry.rectified", obj=enquiry, subject=enquiry.email,
                     details={"fields": sorted(fields), **_request(request_ref)})
        changed += 1
    return changed


def _stamp(enquiries: QuerySet[Enquiry], *, field: str, on: bool, action: str, actor: Actor,
           request_ref: str) -> int:
    """Set (``on``) or clear the timestamp ``field`` of each enquiry not already so, each with
    its audit event; returns how many changed. The one mechanism behind restriction, its lifting
    and objection, which differ only in the field, the direction and the event."""
    changed = 0
    for enquiry in enquiries.filter(**{f"{field}__isnull": on}).select_for_update():
        setattr(enquiry, field, timezone.now() if on else None)
        enquiry.save(update_fields=[field, "updated_at"])
        append_event(actor=actor, action=action, obj=enquiry, subject=enquiry.email,
                     details=_request(request_ref))
        changed += 1
    return changed


@transaction.atomic
def restrict_enquiries(*, enquiries: QuerySet[Enquiry], actor: Actor, request_ref: str = "") -> int:
    """Restrict processing (Art. 18): kept, not worked on, not expired. Returns how many."""
    return _stamp(enquiries, field="restricted_at", on=True, action="enquiry.restricted",
                  actor=actor, request_ref=request_ref)


@transaction.atomic
def lift_enquiry_restriction(*, enquiries: QuerySet[Enquiry], actor: Actor,
                             request_ref: str = "") -> int:
    """End a restriction (Art. 18(3): the person is told before, by the rights engine)."""
    return _stamp(enquiries, field="restricted_at", on=False, action="enquiry.restriction_lifted",
                  actor=actor, request_ref=request_ref)


@transaction.atomic
def record_enquiry_objection(*, enquiries: QuerySet[Enquiry], actor: Actor,
                             request_ref: str = "") -> int:
    """The person objects to processing based on legitimate interest (Art. 21(1)): operators
    stop working the enquiry; it is kept until its rule runs out. Returns how many."""
    return _stamp(enquiries, field="objected_at", on=True, action="enquiry.objected",
                  actor=actor, request_ref=request_ref)


def _delete_all(enquiries: list[Enquiry], *, action: str, actor: Actor,
                details: dict[str, Any]) -> int:
    """Delete ``enquiries`` (notes, status changes and mail rows cascade) with one audit event
    each, appended together: one chain lock and one insert for the batch, not one per record."""
    if not enquiries:
        return 0
    append_events(
        {"actor": actor, "action": action, "obj": e, "subject": e.email,
         "details": {"status": e.status, "channel": e.channel, **details}}
        for e in enquiries
    )
    Enquiry.objects.filter(pk__in=[e.pk for e in enquiries]).delete()
    return len(enquiries)


@transaction.atomic
def erase_enquiries(*, enquiries: QuerySet[Enquiry], actor: Actor, request_ref: str = "") -> int:
    """Erase (Art. 17) ``enquiries`` with their notes, history and mail rows; returns how many.

    The caller (``privacy.EnquirySource``) leaves out what a duty keeps: a project whose claims
    period under the declaration has not run out.
    """
    return _delete_all(list(enquiries.select_for_update()), action="enquiry.erased", actor=actor,
                       details=_request(request_ref))


@transaction.atomic
def expire_enquiries(*, enquiries: QuerySet[Enquiry], actor: Actor = actors.RETENTION,
                     run_ref: str = "") -> int:
    """Delete enquiries whose declared retention has run out (the retention engine found them).

    A restricted enquiry is kept whatever its rule says (Art. 18: the person asked for storage,
    not deletion). Returns how many were deleted.
    """
    keys = list(enquiries.filter(restricted_at__isnull=True).select_for_update()
                .values_list("pk", flat=True))
    if not keys:
        return 0
    # One event for the batch, not one per enquiry (a run may expire a million): the run's
    # record says which rules, and nothing about the people is left to name.
    append_event(actor=actor, action="enquiry.expired", object_type=Enquiry._meta.label_lower,
                 details={"records": len(keys), **({"run_ref": run_ref} if run_ref else {})})
    Enquiry.objects.filter(pk__in=keys).delete()
    return len(keys)


@transaction.atomic
def record_export(*, enquiries: QuerySet[Enquiry], actor: Actor, request_ref: str = "") -> int:
    """Audit that ``enquiries`` were handed to the person (Art. 15/20); returns how many."""
    rows = list(enquiries)
    if rows:
        append_events({"actor": actor, "action": "enquiry.exported", "obj": e, "subject": e.email,
                       "details": _request(request_ref)} for e in rows)
    return len(rows)
