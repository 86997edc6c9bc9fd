"""Legal holds: placing, lifting and ending them (each audited in its transaction), and the
question the engine asks of each target: which of its records does an active hold keep?

A hold keeps records whatever their declared expiry: a claim, a tax audit or an authority's
request may need them. It names one record (a target and its key), a person (by the identifiers
the rights engine searches by) or a client (every record held for them). It ends when an
operator lifts it or, with an end date, on the next run after that date
(:func:`release_ended`); an ended hold blanks the person's identifiers and keeps only their
keyed pseudonym, so a hold holds contact details no longer than it holds records.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DataError, transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from privet.audit import actors
from privet.audit.services import Actor, append_event
from privet.errors import PrivetError
from privet.pseudonyms import subject_ref
from privet.registry import RetentionTarget, SubjectQuery, registry

from .models import HoldReason, HoldScope, LegalHold


class InvalidHold(PrivetError):
    """A hold that would protect nothing, or whose end date is already past."""

    code = "invalid_hold"
    status = 400


class HoldNotActive(PrivetError):
    code = "hold_not_active"
    status = 409


# --- reads ------------------------------------------------------------------------------------

def active_holds(today: date | None = None) -> QuerySet[LegalHold]:
    today = today or timezone.localdate()
    return LegalHold.objects.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today),
                                    ended_at__isnull=True)


def holdable(target: RetentionTarget) -> set[str]:
    """The scopes a hold on ``target``'s records can take (one record always can)."""
    scopes = {HoldScope.RECORD}
    if target.subject is not None:
        scopes.add(HoldScope.PERSON)
    if target.client_field:
        scopes.add(HoldScope.CLIENT)
    return scopes


def held_q(target: RetentionTarget, holds: list[LegalHold]) -> Q | None:
    """The records of ``target`` that its own rule (restriction) or an active hold keeps, as
    one filter; ``None`` when nothing keeps any."""
    parts = [target.held] if target.held is not None else []
    # A record hold names the store it was placed in, but holds the record wherever it is now:
    # an enquiry that got an offer moves from one store of enquiries to another.
    keys = [h.record_key for h in holds if h.scope == HoldScope.RECORD
            and getattr(registry.targets.get(h.target), "model", None) is target.model]
    if keys:
        parts.append(Q(pk__in=keys))
    if target.subject is not None:
        for hold in holds:
            if hold.scope == HoldScope.PERSON:
                query = SubjectQuery(email=hold.email or None, phone=hold.phone or None,
                                     visitor_id=hold.visitor_id or None)
                parts.append(Q(pk__in=target.subject(query).values("pk")))
    if target.client_field:
        clients = [h.client for h in holds if h.scope == HoldScope.CLIENT]
        if clients:
            parts.append(Q(**{f"{target.client_field}__in": clients}))
    if not parts:
        return None
    combined = parts[0]
    for part in parts[1:]:
        combined |= part
    return combined


def held_records(target: RetentionTarget, today: date | None = None) -> QuerySet:
    """Every record of ``target`` that an active hold (not the target's own rule) keeps."""
    q = held_q(replace(target, held=None), list(active_holds(today)))
    return target.objects().filter(q) if q is not None else target.objects().none()


# --- writes -----------------------------------------------------------------------------------

def holds_keeping(target: RetentionTarget, record_pk: Any) -> list[LegalHold]:
    """The active holds that keep one record of ``target`` (a query per active hold: few)."""
    unheld = replace(target, held=None)
    return [hold for hold in active_holds()
            if (q := held_q(unheld, [hold])) is not None
            and target.objects().filter(q, pk=record_pk).exists()]


def _details(hold: LegalHold) -> dict[str, Any]:
    details: dict[str, Any] = {"hold": hold.reference, "scope": hold.scope,
                               "reason": hold.reason}
    if hold.ends_on:
        details["ends_on"] = hold.ends_on.isoformat()
    if hold.scope == HoldScope.RECORD:
        details.update(store=hold.target, record=hold.record_key)
    if hold.scope == HoldScope.CLIENT:
        details["for_client"] = hold.client
    return details


def _subject_of(hold: LegalHold) -> str | None:
    return hold.email or hold.phone or hold.visitor_id or None


@transaction.atomic
def place_hold(*, scope: str, reason: str, actor: Actor, note: str = "", email: str = "",
               phone: str = "", visitor_id: str = "", client: str = "", target: str = "",
               record_key: str = "", ends_on: date | None = None) -> LegalHold:
    """Place a hold: from now on the engine keeps what it names. Refuses (nothing stored) a
    hold that names nothing, a record of an unknown store or a record that does not exist,
    and an end date in the past."""
    if scope not in HoldScope.values:
        raise InvalidHold(f"A hold holds a person, a client or one record, not {scope!r}.")
    if reason not in HoldReason.values:
        raise InvalidHold(f"Unknown reason {reason!r}: one of {', '.join(HoldReason.values)}.")
    email, phone, visitor_id = email.strip(), phone.strip(), visitor_id.strip()
    client, target, record_key = client.strip(), target.strip(), record_key_of(record_key)
    if ends_on is not None and ends_on < timezone.localdate():
        raise InvalidHold("The end date has passed: a hold that ended protects nothing.")
    if scope == HoldScope.PERSON:
        if not (email or phone or visitor_id):
            raise InvalidHold("Name the person by an email, a phone number or a visitor id.")
        client = target = record_key = ""
    elif scope == HoldScope.CLIENT:
        if not client:
            raise InvalidHold("Name the client whose records to hold.")
        email = phone = visitor_id = target = record_key = ""
    else:
        found = registry.targets.get(target)
        if found is None:
            raise InvalidHold(f"There is no store {target!r}; one of "
                              f"{', '.join(sorted(registry.targets))}.")
        if not record_key or not _record_exists(found, record_key):
            raise InvalidHold(f"{found.name} holds no record {record_key!r}.")
        target = store_of(found.model, record_key) or found.name
        email = phone = visitor_id = client = ""
    hold = LegalHold.objects.create(
        scope=scope, reason=reason, note=note.strip(), email=email, phone=phone,
        visitor_id=visitor_id, subject_ref=subject_ref(email or phone or visitor_id)
        if scope == HoldScope.PERSON else "", client=client, target=target,
        record_key=record_key, ends_on=ends_on,
        placed_by=actor if not isinstance(actor, str | None) else None)
    append_event(actor=actor, action="retention.hold_placed", obj=hold,
                 subject=_subject_of(hold), details=_details(hold))
    return hold


_REFERENCE = re.compile(r"^[A-Za-z]{1,4}-0*(\d+)$")


def record_key_of(typed: str) -> str:
    """The key of a record as an operator may type it: ``42``, or the reference the panel shows
    (``E-000042``, ``R-000042``)."""
    typed = typed.strip()
    match = _REFERENCE.match(typed)
    return match[1] if match else typed


def _record_exists(target: RetentionTarget, key: str) -> bool:
    try:
        with transaction.atomic():  # a refused key must not break the caller's transaction
            return target.model._default_manager.filter(pk=key).exists()
    except (ValueError, TypeError, ValidationError, DataError):  # not a key of that type
        return False


def store_of(model: type[Model], key: Any) -> str | None:
    """The store (retention target) that holds the record ``key`` of ``model`` now: an enquiry
    moves from "without an offer" to "offers" when it gets one. ``None`` if none does."""
    for name, target in sorted(registry.targets.items()):
        if target.model is model and target.objects().filter(pk=key).exists():
            return name
    return None


def _end(hold: LegalHold, *, at: datetime) -> None:
    hold.ended_at = at
    hold.email = hold.phone = hold.visitor_id = ""


@transaction.atomic
def lift_hold(*, hold: LegalHold, actor: Actor, note: str = "") -> LegalHold:
    """Lift an active hold: its records expire on the next run if their time has come."""
    hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
    if hold.ended_at is not None:
        raise HoldNotActive(f"{hold.reference} has already ended.")
    subject = _subject_of(hold)
    now = timezone.now()
    hold.lifted_at = now
    hold.lifted_by = actor if not isinstance(actor, str | None) else None
    if note.strip():
        hold.note = f"{hold.note}\n\n{note.strip()}".strip()
    _end(hold, at=now)
    hold.save()
    append_event(actor=actor, action="retention.hold_lifted", obj=hold, subject=subject,
                 details=_details(hold))
    return hold


def release_ended(*, today: date | None = None, actor: Actor = actors.RETENTION) -> int:
    """End the holds whose end date has passed (the engine calls it at the start of each
    run); returns how many."""
    today = today or timezone.localdate()
    ended = 0
    for pk in LegalHold.objects.filter(ended_at__isnull=True, ends_on__lt=today).values_list(
            "pk", flat=True):
        with transaction.atomic():
            hold = LegalHold.objects.select_for_update().get(pk=pk)
            if hold.ended_at is not None:
                continue
            subject = _subject_of(hold)
            _end(hold, at=timezone.now())
            hold.save()
            append_event(actor=actor, action="retention.hold_ended", obj=hold,
                         subject=subject, details=_details(hold))
            ended += 1
    return ended


def record_holds_export(*, subject: str, holds: int, actor: Actor, request_ref: str) -> None:
    """Audit that the holds naming a person were handed to them (Art. 15): one event."""
    append_event(actor=actor, action="retention.holds_exported", subject=subject,
                 object_type=LegalHold._meta.label_lower,
                 details={"records": holds, **({"request_ref": request_ref} if request_ref else {})})
