"""Reads for the operator panel: lists, search, counts and one enquiry's full history."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connections
from django.db.models import CharField, Count, F, Func, Q, QuerySet, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from privet.audit import actors
from privet.audit.actors import actor_name
from privet.audit.selectors import events_for_object, usernames
from privet.core.casefold import contains_any
from privet.registry import SubjectQuery

from . import history
from .models import (
    OPEN_STATUSES,
    SENDING_LEASE,
    STUCK_AFTER,
    Channel,
    Enquiry,
    MailState,
    OutgoingMail,
    Status,
)

# Audit actions already shown through their own richer rows (status change with its reason,
# the note with its text); the history shows the remaining audit events (received, logged,
# rectified, restricted, exported...).
_SHOWN_ELSEWHERE = {"enquiry.status_changed", "enquiry.note_added"}


def open_enquiries() -> QuerySet[Enquiry]:
    """Enquiries waiting for a decision (new or offer sent), oldest first: the top of the list
    has waited longest. One query when evaluated."""
    return Enquiry.objects.filter(status__in=OPEN_STATUSES).order_by("received_at", "pk")


def _needs_attention(now: datetime | None = None) -> Q:
    """Failed, uncertain, or pending for over STUCK_AFTER with no worker sending it
    (OutgoingMail.needs_attention)."""
    now = now or timezone.now()
    stuck = (Q(state=MailState.PENDING, queued_at__lte=now - STUCK_AFTER)
             & (Q(sending_since__isnull=True) | Q(sending_since__lte=now - SENDING_LEASE)))
    return Q(state__in=[MailState.FAILED, MailState.UNCERTAIN]) | stuck


def mail_needing_attention(now: datetime | None = None) -> QuerySet[OutgoingMail]:
    """Mail an operator should send again: failed, or stuck (queued over ten minutes ago and
    never sent: the queue refused it, the worker is down or died). Longest waiting first, with
    its enquiry (one query; served by the (state, queued_at) index)."""
    return (OutgoingMail.objects.filter(_needs_attention(now)).select_related("enquiry")
            .order_by("queued_at", "pk"))


# What the search box looks in (besides the E-000042 reference).
SEARCHED_FIELDS = ("name", "company", "email", "phone", "message")
# search_enquiries' status filter for "new or offer sent" (what the dashboard calls open).
OPEN = "open"


def search_enquiries(
    *, q: str = "", status: str | None = None, project_type: str | None = None,
    mail_not_sent: bool = False,
) -> QuerySet[Enquiry]:
    """Enquiries matching ``q`` (in name, company, email, phone, message or the ``E-000042``
    reference), newest first, optionally of one status (or :data:`OPEN`: new or offer sent),
    one project type, and only those with mail an operator should send again.

    The text match is a substring scan that ignores case in every alphabet ("żółć" finds
    "Żółć"; :mod:`privet.core.casefold`), fine for a studio's thousands of rows.
    """
    qs = Enquiry.objects.select_related("created_by").order_by("-received_at", "-pk")
    if status == OPEN:
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if project_type:
        qs = qs.filter(project_type=project_type)
    if mail_not_sent:
        qs = qs.filter(pk__in=OutgoingMail.objects.filter(_needs_attention()).values("enquiry_id"))
    q = q.strip()
    if q:
        qs, match = contains_any(qs, SEARCHED_FIELDS, q)
        ref = q.upper().removeprefix("E-").lstrip("0")
        if ref.isascii() and ref.isdecimal() and len(ref) <= 18:  # fits a bigint
            match |= Q(pk=int(ref))
        qs = qs.filter(match)
    return qs


def enquiry_urls(object_ids: Iterable[str]) -> dict[str, str]:
    """``{id: panel page}`` for the enquiries among ``object_ids`` (audit events' object ids)
    that still exist: how the audit log links them (:mod:`privet.audit.links`; one query, none
    when no id is an enquiry's)."""
    pks = {int(i) for i in object_ids if i.isascii() and i.isdecimal() and len(i) <= 18}  # bigint
    if not pks:
        return {}
    existing = Enquiry.objects.filter(pk__in=pks).values_list("pk", flat=True)
    return {str(pk): reverse("panel:enquiry_detail", kwargs={"pk": pk}) for pk in existing}


def status_counts() -> dict[str, int]:
    """``{status: count}`` for every status, zeros included (one aggregate query)."""
    counts = dict(Enquiry.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return {s: counts.get(s, 0) for s in Status.values}


@dataclass(frozen=True)
class HistoryEntry:
    """One line of an enquiry's history, whatever table it came from, worded for a person in
    the active language (:mod:`.history`)."""

    at: datetime
    kind: str  # "status" | "note" | "event"
    actor: str  # a username, or a name such as "Contact form", "Worker", "System"
    title: str  # e.g. "Status changed", "Note added", "Mail sent: Notice to operators"
    text: str = ""  # the reason or the note's body
    details: list[tuple[str, str]] = field(default_factory=list)  # (label, value), readable
    from_status: str = ""
    to_status: str = ""
    action: str = ""  # an event's audit action, e.g. "enquiry.mail_sent"
    date_only: bool = False  # ``at`` is a day: its time was not given, so is not shown
    recorded_at: datetime | None = None  # when a back-dated status change was entered


def enquiry_history(enquiry: Enquiry) -> list[HistoryEntry]:
    """Status changes, notes and audit events of ``enquiry``, oldest first (four queries at
    most: changes, notes, events, and the users named by the events)."""
    changes = list(enquiry.status_changes.select_related("actor"))
    notes = list(enquiry.notes.select_related("author"))
    events = list(events_for_object(enquiry).exclude(action__in=_SHOWN_ELSEWHERE))
    names = usernames(e.actor for e in events)

    def who(user) -> str:
        return user.get_username() if user is not None else gettext("System")

    def first_actor(change) -> str:
        if change.actor_id or change.from_status or enquiry.channel != Channel.FORM:
            return who(change.actor)
        return actor_name(actors.CONTACT_FORM, {})

    entries = [
        HistoryEntry(
            at=c.at, kind="status", actor=first_actor(c),
            title=(gettext("Status changed") if c.from_status else gettext("Received")),
            text=c.reason, from_status=c.from_status, to_status=c.to_status,
            date_only=c.date_only, recorded_at=c.recorded_at if c.date_only else None,
        )
        for c in changes
    ]
    entries += [
        HistoryEntry(at=n.created_at, kind="note", actor=who(n.author), title=gettext("Note"),
                     text=n.body)
        for n in notes
    ]
    for e in events:
        details = json.loads(e.details or "{}")
        entries.append(HistoryEntry(
            at=e.created_at, kind="event", actor=actor_name(e.actor, names),
            title=history.event_title(e.action, details), details=history.event_details(details),
            action=e.action,
        ))
    order = {"event": 0, "status": 1, "note": 2}
    return sorted(entries, key=lambda h: (h.at, order[h.kind]))


# The shortest phone number a rights request may search by: fewer digits would find strangers.
MIN_PHONE_DIGITS = 7
# A phone's digits on PostgreSQL, exactly the expression of the index enq_phone_digits_idx
# (enquiries migration 0009): the planner uses the index only for a query that repeats it.
PHONE_DIGITS = Func(F("phone"), Value(r"\D"), Value(""), Value("g"), function="regexp_replace",
                    output_field=CharField())


def enquiries_of_subject(subject: SubjectQuery) -> QuerySet[Enquiry]:
    """One person's enquiries, by the email or phone they proved (oldest first; one query).

    Email ignores case. A phone matches all its digits, in order, and nothing more:
    "+48 600-100-200" finds "+48600100200", but a shorter or differently prefixed number never
    finds someone else's. Enquiries are the studio's own data, so ``subject.client`` is ignored.
    """
    match = Q(pk__in=[])
    enquiries = Enquiry.objects.all()
    if subject.email:
        match |= Q(email__iexact=subject.email.strip())  # index enq_email_upper_idx
    if subject.phone:
        digits = "".join(ch for ch in subject.phone if ch.isascii() and ch.isdigit())
        if len(digits) >= MIN_PHONE_DIGITS:
            if connections[enquiries.db].vendor == "postgresql":
                # The same match, as the phone's digits (every non-digit removed) equal to
                # these: the expression index enq_phone_digits_idx (migration 0009) finds them
                # among millions of enquiries without reading the table.
                enquiries = enquiries.alias(phone_digits=PHONE_DIGITS)
                match |= Q(phone_digits=digits)
            else:
                match |= Q(phone__regex=r"^\D*" + r"\D*".join(digits) + r"\D*$")
    return enquiries.filter(match).order_by("received_at", "pk")
