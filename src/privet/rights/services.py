"""Every change of a rights request's state: one function each, atomic, audited, mail after commit.

The engine's work on the stores (plan, export, erase...) lives in :mod:`.engine`; this module
owns the request's lifecycle around it: intake, verification, deadline changes, refusal,
withdrawal, assignment and the operators' pause switch. Audit events name the person only by
the keyed pseudonym of their email (``subject=``), never in details.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from privet.audit.services import Actor, append_event
from privet.core.bidi import has_bidi_controls
from privet.core.dates import too_early, too_early_message
from privet.policy.selectors import current_hash

from . import deadlines
from .errors import (
    ExtensionNotAllowed,
    InvalidLink,
    InvalidRequest,
    InvalidTransition,
)
from .models import (
    DETAILS_MAX,
    EMAIL_MAX,
    HANDLE_MAX,
    OPEN_STATUSES,
    PHONE_MAX,
    REASON_MAX,
    VISITOR_ID_MAX,
    Channel,
    MailKind,
    RefusalGround,
    Right,
    RightsMail,
    RightsRequest,
    RightsSettings,
    Status,
)
from .tokens import request_of_token

log = logging.getLogger("privet.rights")

LANGUAGES = ("en", "pl")
PORTAL_ACTOR = "public:rights-portal"
API_ACTOR = "public:rights-api"
PERSON_ACTOR = "public:person"  # the person, through their verification or status link


# --- helpers -----------------------------------------------------------------------------------

def _user(actor: Actor | None) -> AbstractBaseUser | None:
    return actor if isinstance(actor, AbstractBaseUser) else None


# Error messages are built with gettext when raised, so the panel and the portal show them in
# their reader's language (the API's paths carry no language: English there).

def _text(name: str, value: Any, limit: int, *, required: bool = False) -> str:
    """``value`` as stripped text of at most ``limit`` characters; ``name`` is the field's
    name in the API (said as it is in every language: it is what a client sends)."""
    field = {"field": name, "limit": limit}
    if value is not None and not isinstance(value, str):
        raise InvalidRequest(gettext("The field '%(field)s' must be text.") % field)
    value = (value or "").strip()
    if required and not value:
        raise InvalidRequest(gettext("The field '%(field)s' is required.") % field)
    if len(value) > limit:
        raise InvalidRequest(
            gettext("The field '%(field)s' is longer than %(limit)s characters.") % field)
    if "\x00" in value:
        raise InvalidRequest(gettext("The field '%(field)s' holds a NUL character.") % field)
    return value


def clean_identifiers(*, email: Any, phone: Any = "", visitor_id: Any = "") -> dict[str, str]:
    """The person's identifiers, checked and normalised (the domain of an email lower-cased)."""
    email = _text("email", email, EMAIL_MAX, required=True)
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidRequest(gettext("The field 'email' is not an email address.")) from None
    if has_bidi_controls(email):
        raise InvalidRequest(
            gettext("The field 'email' holds a text-direction control character."))
    local, _, domain = email.rpartition("@")
    phone = _text("phone", phone, PHONE_MAX)
    if phone and not all(c.isdigit() or c in "+-() ." for c in phone):
        raise InvalidRequest(
            gettext("The field 'phone' may hold digits, spaces and + - ( ) . only."))
    visitor_id = _text("visitor_id", visitor_id, VISITOR_ID_MAX)
    return {"email": f"{local}@{domain.lower()}", "phone": phone, "visitor_id": visitor_id}


def _clean_right(right: Any) -> str:
    if right not in Right.values:
        raise InvalidRequest(gettext("Unknown right '%(right)s'; one of: %(rights)s.")
                             % {"right": right, "rights": ", ".join(Right.values)})
    return right


def _details(right: str, details: Any) -> str:
    details = _text("details", details, DETAILS_MAX)
    if right == Right.RECTIFICATION and not details:
        raise InvalidRequest(gettext("The field 'details' is required for rectification: say "
                                     "what is wrong and what it should be."))
    if right == Right.OBJECTION and not details:
        raise InvalidRequest(gettext("The field 'details' is required for objection: give the "
                                     "grounds relating to your situation."))
    return details


def queue_mail(request: RightsRequest, kind: str) -> RightsMail:
    """Write a mail row in the caller's transaction and queue its sending after the commit
    (the transactional outbox: no mail for a change that rolled back, none lost after one)."""
    from .tasks import send_rights_mail  # the task imports services' helpers

    seq = (RightsMail.objects.filter(request=request, kind=kind)
           .aggregate(n=Max("seq"))["n"] or 0) + 1
    mail = RightsMail.objects.create(request=request, kind=kind, seq=seq)
    transaction.on_commit(lambda: send_rights_mail.enqueue(mail.pk))
    return mail


def _transition(request: RightsRequest, to: str, *, actor: Actor, action: str,
                details: dict[str, Any] | None = None, **fields: Any) -> RightsRequest:
    """Move ``request`` to ``to`` if its lifecycle allows, stamping ``fields``; audited.

    Conditional on the status read, so two operators (or an operator and the worker) acting at
    once cannot both move it: the second gets :class:`InvalidTransition`."""
    if to not in request.allowed_transitions():
        raise InvalidTransition(
            gettext("%(ref)s is “%(status)s”; it cannot become “%(to)s” from there.")
            % {"ref": request.reference, "status": request.get_status_display(),
               "to": Status(to).label})
    updated = RightsRequest.objects.filter(pk=request.pk, status=request.status).update(
        status=to, updated_at=timezone.now(), **fields)
    if not updated:
        request.refresh_from_db()
        raise InvalidTransition(gettext("%(ref)s was changed meanwhile; look again.")
                                % {"ref": request.reference})
    append_event(actor=actor, action=action, obj=request, subject=request.email,
                 details={"right": request.right, "from": request.status, "to": to,
                          **(details or {})})
    request.refresh_from_db()
    return request


# --- intake ------------------------------------------------------------------------------------

def _create(*, right: str, ids: dict[str, str], details: str, language: str, channel: str,
            received_at: datetime, actor: Actor, action: str, audit: dict[str, Any],
            created_by: AbstractBaseUser | None = None, client: str = "",
            handle: str = "") -> RightsRequest:
    request = RightsRequest.objects.create(
        right=right, channel=channel, details=details, client=client, handle=handle,
        language=language if language in LANGUAGES else "en", received_at=received_at,
        due_on=deadlines.due_date(received_at), policy_version=current_hash(),
        created_by=created_by, **ids)
    append_event(actor=actor, action=action, obj=request, subject=request.email,
                 details={"right": right, "channel": channel, "language": request.language,
                          **audit})
    return request


@transaction.atomic(durable=True)
def submit_request(*, right: Any, email: Any, phone: Any = "", visitor_id: Any = "",
                   details: Any = "", language: Any = "en", channel: str = Channel.PORTAL,
                   client_ref: str = "") -> RightsRequest:
    """A request from the portal or the API: stored unverified, a verification link mailed.

    Nothing is searched here: whether the address is known or not, the same row, the same
    event and the same mail are written, so neither the answer nor its timing tells.
    ``client_ref`` is the pseudonymised client address, for the audit event only.
    """
    right = _clean_right(right)
    ids = clean_identifiers(email=email, phone=phone, visitor_id=visitor_id)
    if channel not in (Channel.PORTAL, Channel.API):
        raise InvalidRequest(gettext("A request from the public comes through the portal or "
                                     "the API, not '%(channel)s'.") % {"channel": channel})
    request = _create(right=right, ids=ids, details=_details(right, details),
                      language=language if isinstance(language, str) else "en",
                      channel=channel, received_at=timezone.now(),
                      actor=PORTAL_ACTOR if channel == Channel.PORTAL else API_ACTOR,
                      action="rights.received", audit={"client": client_ref} if client_ref else {})
    queue_mail(request, MailKind.VERIFICATION)
    return request


@transaction.atomic(durable=True)
def log_request(*, right: Any, email: Any, actor: AbstractBaseUser | str, channel: str,
                received_at: datetime | None = None, phone: Any = "", visitor_id: Any = "",
                details: Any = "", language: Any = "en", verified: bool = False,
                verification_note: str = "", client: Any = "", handle: Any = "") -> RightsRequest:
    """A request an operator received by email or letter, logged with the day it arrived.

    ``verified``: the operator has already confirmed the person's identity (say how in
    ``verification_note``); otherwise a verification link is mailed as for the portal.
    ``client``: the id of the studio's client whose data the request is about (it is routed
    to that client), with the person's ``handle`` (username) on the client's platforms.
    """
    right = _clean_right(right)
    ids = clean_identifiers(email=email, phone=phone, visitor_id=visitor_id)
    client = _text("client", client, 64)
    handle = _text("handle", handle, HANDLE_MAX).lstrip("@").strip()
    if handle and not client:
        raise InvalidRequest(gettext("A platform username finds only data held for a client: "
                                     "name the client too."))
    if channel not in (Channel.EMAIL, Channel.LETTER, Channel.OTHER):
        raise InvalidRequest(gettext("An operator logs requests that came by email, letter or "
                                     "otherwise, not '%(channel)s'.") % {"channel": channel})
    now = timezone.now()
    received_at = received_at or now
    if received_at > now:
        raise InvalidRequest(gettext("A request cannot be received in the future."))
    if too_early(received_at):
        raise InvalidRequest(too_early_message())
    note = _text("verification_note", verification_note, REASON_MAX)
    if verified and not note:
        raise InvalidRequest(gettext("Say how the person's identity was verified."))
    request = _create(right=right, ids=ids, details=_details(right, details),
                      language=language if isinstance(language, str) else "en", channel=channel,
                      received_at=received_at, actor=actor, action="rights.logged",
                      audit={"verified": verified, **({"for_client": client} if client else {})},
                      created_by=_user(actor), client=client, handle=handle)
    if verified:
        _transition(request, Status.VERIFIED, actor=actor, action="rights.verified",
                    details={"how": "operator"}, verified_at=now, outcome=note)
    else:
        queue_mail(request, MailKind.VERIFICATION)
    return request


# --- verification ------------------------------------------------------------------------------

def _invalid_link_message() -> str:
    """One message for a forged, expired, used or replaced link (it tells nobody which)."""
    return gettext("This link is not valid: it may have expired (a link works for 24 hours), "
                   "been used already, or been replaced by a newer one.")


@transaction.atomic(durable=True)
def verify(*, token: str) -> RightsRequest:
    """The person used the link: the request is verified, the link spent. Raises
    :class:`InvalidLink` (one message for forged, expired, used or replaced links)."""
    request = request_of_token(token, for_update=True)
    if request is None:
        raise InvalidLink(_invalid_link_message())
    request = _transition(request, Status.VERIFIED, actor=PERSON_ACTOR, action="rights.verified",
                          details={"how": "link"}, verified_at=timezone.now(),
                          verification_digest="")
    queue_mail(request, MailKind.VERIFIED)
    return request


@transaction.atomic(durable=True)
def resend_verification(*, email: Any) -> int:
    """The person asks for a new link: one new mail per unverified request of that address
    (none if there is none; the caller answers the same either way). Returns how many."""
    try:
        email = clean_identifiers(email=email)["email"]
    except InvalidRequest:
        raise
    open_ = RightsRequest.objects.filter(email=email, status=Status.UNVERIFIED)
    count = 0
    for request in open_:
        queue_mail(request, MailKind.VERIFICATION)
        append_event(actor=PERSON_ACTOR, action="rights.link_requested", obj=request,
                     subject=request.email, details={"right": request.right})
        count += 1
    return count


def close_unverified(now: datetime | None = None) -> int:
    """Close requests whose link was never used within :data:`~.deadlines.UNVERIFIED_CLOSE_DAYS`
    days (a periodic job). Kept afterwards only as the declared rule for request records says
    (their retention counts from ``closed_at``). Returns how many were closed."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=deadlines.UNVERIFIED_CLOSE_DAYS)
    closed = 0
    for pk in RightsRequest.objects.filter(status=Status.UNVERIFIED, received_at__lte=cutoff
                                           ).values_list("pk", flat=True).iterator():
        with transaction.atomic():
            request = RightsRequest.objects.select_for_update().get(pk=pk)
            if request.status != Status.UNVERIFIED:
                continue
            _transition(request, Status.CLOSED_UNVERIFIED, actor="system:rights",
                        action="rights.closed_unverified", closed_at=now,
                        verification_digest="")
            closed += 1
    return closed


# --- the operator's decisions --------------------------------------------------------------------

def _open(request: RightsRequest) -> None:
    if not request.is_open():
        raise InvalidTransition(gettext("%(ref)s is closed (%(status)s).")
                                % {"ref": request.reference,
                                   "status": request.get_status_display()})


@transaction.atomic(durable=True)
def extend(*, request: RightsRequest, months: int, reason: str, actor: Actor,
           today=None) -> RightsRequest:
    """Extend the deadline by one or two further months (Art. 12(3)); the person is mailed the
    reason. Only while the first month runs, and to at most two further months in all."""
    request = RightsRequest.objects.select_for_update().get(pk=request.pk)
    _open(request)
    reason = _text("reason", reason, REASON_MAX)
    if not reason:
        raise ExtensionNotAllowed(
            gettext("Give the reason for the extension: the person is told it."))
    if not isinstance(months, int) or months < 1:
        raise ExtensionNotAllowed(gettext("An extension is by one or two months."))
    total = request.extension_months + months
    if total > deadlines.MAX_EXTENSION_MONTHS:
        raise ExtensionNotAllowed(
            ngettext("Art. 12(3) allows two further months at most; this request has "
                     "%(n)s month already.",
                     "Art. 12(3) allows two further months at most; this request has "
                     "%(n)s months already.", request.extension_months)
            % {"n": request.extension_months})
    today = today or deadlines.local_today()
    if today > deadlines.first_month_end(request.received_at):
        raise ExtensionNotAllowed(gettext(
            "The first month has passed: Art. 12(3) requires the person to be told of an "
            "extension within one month of receipt."))
    due = deadlines.due_date(request.received_at, extension_months=total,
                             paused_days=request.paused_days)
    RightsRequest.objects.filter(pk=request.pk).update(
        extension_months=total, extension_reason=reason, extended_at=timezone.now(), due_on=due)
    append_event(actor=actor, action="rights.extended", obj=request, subject=request.email,
                 details={"months": total, "due": due.isoformat()})
    request.refresh_from_db()
    queue_mail(request, MailKind.EXTENDED)
    return request


@transaction.atomic(durable=True)
def ask_for_proof(*, request: RightsRequest, what: str, actor: Actor) -> RightsRequest:
    """Ask the person for more proof of identity (Art. 12(6)); the deadline waits meanwhile."""
    request = RightsRequest.objects.select_for_update().get(pk=request.pk)
    what = _text("what", what, REASON_MAX, required=True)
    request = _transition(request, Status.AWAITING_PERSON, actor=actor,
                          action="rights.proof_asked", awaiting_since=timezone.now(),
                          proof_asked=what)
    queue_mail(request, MailKind.PROOF_ASKED)
    return request


@transaction.atomic(durable=True)
def proof_received(*, request: RightsRequest, note: str, actor: Actor) -> RightsRequest:
    """The person sent the proof: back to verified; the whole days waited move the deadline."""
    request = RightsRequest.objects.select_for_update().get(pk=request.pk)
    note = _text("note", note, REASON_MAX, required=True)
    waited = 0
    if request.awaiting_since:
        waited = (deadlines.local_today() - deadlines.local_date(request.awaiting_since)).days
    paused = request.paused_days + max(0, waited)
    due = deadlines.due_date(request.received_at, extension_months=request.extension_months,
                             paused_days=paused)
    return _transition(request, Status.VERIFIED, actor=actor, action="rights.proof_received",
                       details={"days_waited": max(0, waited), "due": due.isoformat()},
                       awaiting_since=None, paused_days=paused, due_on=due, outcome=note,
                       verified_at=request.verified_at or timezone.now())


@transaction.atomic(durable=True)
def refuse(*, request: RightsRequest, ground: str, reason: str, actor: Actor) -> RightsRequest:
    """Refuse the request (Art. 12(4)): the person is told why and of their right to complain."""
    request = RightsRequest.objects.select_for_update().get(pk=request.pk)
    if ground not in RefusalGround.values:
        raise InvalidRequest(gettext("Unknown ground '%(ground)s'.") % {"ground": ground})
    reason = _text("reason", reason, REASON_MAX, required=True)
    request = _transition(request, Status.REFUSED, actor=actor, action="rights.refused",
                          details={"ground": ground}, refusal_ground=ground, outcome=reason,
                          closed_at=timezone.now(), verification_digest="")
    queue_mail(request, MailKind.REFUSED)
    return request


@transaction.atomic(durable=True)
def withdraw(*, request: RightsRequest, actor: Actor, reason: str = "") -> RightsRequest:
    """The person withdraws the request (through their status link, or by writing to us)."""
    request = RightsRequest.objects.select_for_update().get(pk=request.pk)
    return _transition(request, Status.WITHDRAWN, actor=actor, action="rights.withdrawn",
                       outcome=_text("reason", reason, REASON_MAX), closed_at=timezone.now(),
                       verification_digest="")


@transaction.atomic(durable=True)
def assign(*, request: RightsRequest, operator: AbstractBaseUser | None,
           actor: Actor) -> RightsRequest:
    """Give the request to an operator (reminders go to them), or to nobody."""
    RightsRequest.objects.filter(pk=request.pk).update(assigned_to=operator)
    append_event(actor=actor, action="rights.assigned", obj=request, subject=request.email,
                 details={"operator": operator.get_username() if operator else ""})
    request.refresh_from_db()
    return request


# --- reminders ---------------------------------------------------------------------------------

# Statuses whose deadline an operator is reminded of: open and past verification (an unverified
# request is the person's to confirm, and closes itself).
REMINDED_STATUSES = tuple(s for s in OPEN_STATUSES if s != Status.UNVERIFIED)


def reminder_threshold(due_on: date, today: date) -> date | None:
    """The day of the latest reminder threshold reached by ``today`` for a request due on
    ``due_on``: ``due_on`` less 7, 2 or 0 days (:data:`~.deadlines.REMIND_DAYS_BEFORE`), or the
    day after it (overdue); ``None`` before the first. A request needs a reminder when it has had
    none since that day, so each threshold is reminded once, a job that missed days reminds
    once for the latest, and a moved deadline starts afresh."""
    days = [due_on - timedelta(days=n) for n in sorted(deadlines.REMIND_DAYS_BEFORE, reverse=True)]
    days.append(due_on + timedelta(days=1))
    reached = [d for d in days if d <= today]
    return reached[-1] if reached else None


def remind_due(today: date | None = None) -> int:
    """Queue one reminder mail (:attr:`~.models.MailKind.REMINDER`, to the assigned operator) for
    each open, verified-or-later request that reached a reminder threshold since its last
    reminder (a periodic job: ``jobs.housekeeping``). Never twice the same day: ``reminded_on``
    is set in the mail's transaction, conditionally, so two workers running the job at once
    queue one. Returns how many were queued."""
    today = today or deadlines.local_today()
    horizon = today + timedelta(days=max(deadlines.REMIND_DAYS_BEFORE))
    candidates = (RightsRequest.objects.filter(status__in=REMINDED_STATUSES, due_on__lte=horizon)
                  .filter(Q(reminded_on__isnull=True) | Q(reminded_on__lt=today))
                  .values_list("pk", "due_on", "reminded_on"))
    queued = 0
    for pk, due_on, reminded_on in candidates.iterator():
        threshold = reminder_threshold(due_on, today)
        if threshold is None or (reminded_on is not None and reminded_on >= threshold):
            continue
        with transaction.atomic():
            claimed = RightsRequest.objects.filter(
                Q(reminded_on__isnull=True) | Q(reminded_on__lt=threshold),
                pk=pk, status__in=REMINDED_STATUSES, due_on=due_on,
            ).update(reminded_on=today)
            if not claimed:
                continue  # another worker reminded it, or it changed meanwhile
            request = RightsRequest.objects.get(pk=pk)
            queue_mail(request, MailKind.REMINDER)
            append_event(actor="system:rights", action="rights.reminded", obj=request,
                         subject=request.email,
                         details={"right": request.right,
                                  "days_left": deadlines.days_left(request.due_on, today)})
            queued += 1
    return queued


# --- the pause switch --------------------------------------------------------------------------

def settings_row() -> RightsSettings:
    row, _ = RightsSettings.objects.get_or_create(pk=1)
    return row


def is_paused() -> bool:
    return RightsSettings.objects.filter(pk=1, paused_at__isnull=False).exists()


def expire_requests(*, requests, actor: Actor, run_ref: str) -> int:
    """Delete closed request records whose declared period ran out (the retention engine's
    target); one audit event for the batch, with how many."""
    with transaction.atomic():
        ids = list(requests.values_list("pk", flat=True))
        deleted = RightsRequest.objects.filter(pk__in=ids).delete()[1].get("rights.RightsRequest", 0)
        if deleted:
            append_event(actor=actor, action="rights.requests_expired",
                         object_type="rights.rightsrequest", object_id="",
                         details={"records": deleted, "run": run_ref})
    return deleted


def record_requests_export(*, email: str, records: int, actor: Actor, request_ref: str) -> None:
    """Record that a person's earlier requests were exported for them (by a request)."""
    append_event(actor=actor, action="rights.requests_exported", subject=email,
                 object_type="rights.rightsrequest", object_id="",
                 details={"records": records, "request_ref": request_ref})
