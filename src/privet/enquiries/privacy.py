"""What the enquiries app stores about people, and how the rights and retention engines act on it.

Enquiries are the studio's own data (it is the controller), found by the person's email or phone.
Retention follows the declaration:

- an enquiry (or offer) closed without a contract: contact details and message 12 months after
  ``closed_at`` (trigger ``enquiry_closed``, purposes ``enquiries`` and ``offers``);
- a project: 6 years after ``project_ended_at`` to the end of that year (trigger ``contract_end``,
  purpose ``delivery``, Civil Code Art. 118).

An enquiry that is still running (new, offer, project) counts down nothing; that is also why
erasure keeps a project's record (:meth:`EnquirySource.retention_reason`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from privet.audit.services import append_event
from privet.registry import RetentionHook, SubjectQuery, registry

from .models import Enquiry, EnquiryNote, EnquiryStatusChange, OutgoingMail, Status

registry.personal_data(
    Enquiry,
    {
        "name": "contact_details",
        "company": "contact_details",
        "email": "contact_details",
        "phone": "contact_details",
        "message": "communication_content",
    },
    not_personal={
        "project_type": "one of six fixed kinds of project; says nothing about the person",
        "policy_version": "the content hash of the published policy, the same for everyone",
    },
)
registry.personal_data(EnquiryNote, {"body": "communication_content"})
registry.personal_data(EnquiryStatusChange, {"reason": "communication_content"})
# The mail outbox holds no address and no text: the worker reads the recipient from the enquiry
# when it sends, and the row goes with the enquiry (cascade) when it is erased or expires.
registry.personal_data(
    OutgoingMail, {},
    not_personal={
        "kind": "which of two fixed mails (acknowledgement, notice to operators)",
        "error": "the exception's class name only (e.g. SMTPRecipientsRefused), never its message",
    },
)

# Fields a rights request may correct (Art. 16); the rest is our own record of the enquiry.
RECTIFIABLE = {"name", "company", "email", "phone"}
MIN_PHONE_DIGITS = 7
CONTRACT_REASON = (
    "A contract was signed: the project's records are kept for 6 years after it ends, to the end "
    "of that calendar year, to secure possible claims (Polish Civil Code, Art. 118)."
)


def _matching(subject: SubjectQuery) -> QuerySet[Enquiry]:
    match = Q(pk__in=[])
    if subject.email:
        match |= Q(email__iexact=subject.email.strip())
    if subject.phone:
        # All the digits, in order, and nothing more: "+48 600-100-200" matches "+48600100200",
        # but a shorter or differently prefixed number never matches someone else's.
        digits = "".join(ch for ch in subject.phone if ch.isascii() and ch.isdigit())
        if len(digits) >= MIN_PHONE_DIGITS:
            match |= Q(phone__regex=r"^\D*" + r"\D*".join(digits) + r"\D*$")
    return Enquiry.objects.filter(match).order_by("received_at", "pk")


class EnquirySource:
    """The rights engine's view of enquiries, their notes and status history."""

    name = "enquiries"

    def find(self, subject: SubjectQuery) -> Iterable[Enquiry]:
        """The person's enquiries (one query)."""
        return list(_matching(subject))

    def export(self, subject: SubjectQuery) -> dict[str, Any]:
        """Everything stored about the person, as JSON-ready data (four queries)."""
        enquiries = list(_matching(subject).prefetch_related("notes", "status_changes", "mail"))
        return {
            "enquiries": [
                {
                    "reference": e.reference,
                    "received_at": e.received_at.isoformat(),
                    "channel": e.channel,
                    "name": e.name,
                    "company": e.company,
                    "email": e.email,
                    "phone": e.phone,
                    "project_type": e.project_type,
                    "message": e.message,
                    "status": e.status,
                    "dates": {
                        f: getattr(e, f).isoformat()
                        for f in ("offer_at", "contract_signed_at", "project_ended_at", "closed_at",
                                  "last_contact_at", "restricted_at")
                        if getattr(e, f)
                    },
                    "language": e.language,
                    "notes": [{"at": n.created_at.isoformat(), "text": n.body} for n in e.notes.all()],
                    "history": [
                        {"at": c.at.isoformat(), "from": c.from_status, "to": c.to_status,
                         "reason": c.reason}
                        for c in e.status_changes.all()
                    ],
                    "mail": [
                        {"mail": m.kind, "state": m.state,
                         "at": (m.finished_at or m.queued_at).isoformat()}
                        for m in e.mail.all()
                    ],
                }
                for e in enquiries
            ]
        }

    @transaction.atomic
    def rectify(self, subject: SubjectQuery, changes: dict[str, Any]) -> int:
        """Correct contact details on every matching enquiry; returns how many changed."""
        unknown = set(changes) - RECTIFIABLE
        if unknown:
            raise ValueError(f"enquiries cannot rectify {', '.join(sorted(unknown))}")
        count = 0
        for enquiry in _matching(subject).select_for_update():
            for key, value in changes.items():
                setattr(enquiry, key, value)
            enquiry.full_clean(exclude=["created_by"])
            enquiry.save(update_fields=[*changes, "updated_at"])
            append_event(actor="system:rights", action="enquiry.rectified", obj=enquiry,
                         subject=enquiry.email, details={"fields": sorted(changes)})
            count += 1
        return count

    @transaction.atomic
    def restrict(self, subject: SubjectQuery) -> int:
        """Mark the person's enquiries as restricted (Art. 18); returns how many were marked."""
        count = 0
        for enquiry in _matching(subject).filter(restricted_at__isnull=True).select_for_update():
            enquiry.restricted_at = timezone.now()
            enquiry.save(update_fields=["restricted_at", "updated_at"])
            append_event(actor="system:rights", action="enquiry.restricted", obj=enquiry,
                         subject=enquiry.email, details={})
            count += 1
        return count

    @transaction.atomic
    def erase(self, subject: SubjectQuery) -> int:
        """Delete the person's enquiries that no duty keeps (with notes and history); the
        others stay, and :meth:`retention_reason` says why. Returns how many were deleted."""
        erased = 0
        for enquiry in _matching(subject).select_for_update():
            if self.retention_reason(enquiry) is None:
                _delete(enquiry, action="enquiry.erased", actor="system:rights")
                erased += 1
        return erased

    def retention_reason(self, record: Any) -> str | None:
        if isinstance(record, Enquiry) and record.status in (Status.PROJECT, Status.ENDED):
            return CONTRACT_REASON
        return None


def _delete(enquiry: Enquiry, *, action: str, actor: str) -> None:
    append_event(actor=actor, action=action, obj=enquiry, subject=enquiry.email,
                 details={"status": enquiry.status, "channel": enquiry.channel})
    enquiry.delete()  # notes and status changes cascade


def _expire(qs: QuerySet[Enquiry], trigger_field: str,
            cutoff_for: Callable[[datetime], datetime]) -> int:
    """Delete the enquiries in ``qs`` whose rule has run out; returns how many."""
    now = timezone.now()
    expired = 0
    with transaction.atomic():
        # A restricted enquiry (Art. 18) is kept: the person asked for storage, not deletion.
        candidates = qs.filter(**{f"{trigger_field}__lte": now}, restricted_at__isnull=True)
        candidates = candidates.select_for_update()
        for enquiry in candidates:
            if cutoff_for(getattr(enquiry, trigger_field)) <= now:
                _delete(enquiry, action="enquiry.expired", actor="system:retention")
                expired += 1
    return expired


def expire_closed_enquiries(cutoff_for: Callable[[datetime], datetime]) -> int:
    """Enquiries closed without an offer: rule (contact_details | communication_content,
    enquiries, after enquiry_closed)."""
    return _expire(Enquiry.objects.filter(status=Status.CLOSED, offer_at__isnull=True), "closed_at",
                   cutoff_for)


def expire_closed_offers(cutoff_for: Callable[[datetime], datetime]) -> int:
    """Offers that did not become a contract: rule (..., offers, after enquiry_closed)."""
    return _expire(Enquiry.objects.filter(status=Status.CLOSED, offer_at__isnull=False), "closed_at",
                   cutoff_for)


def expire_ended_projects(cutoff_for: Callable[[datetime], datetime]) -> int:
    """Ended projects: rule (..., delivery, after contract_end, to the end of the year)."""
    return _expire(Enquiry.objects.filter(status=Status.ENDED), "project_ended_at", cutoff_for)


registry.subject_source(EnquirySource())
for _category in ("contact_details", "communication_content"):
    for _purpose, _hook_name, _expire_fn in (
        ("enquiries", "enquiries.closed", expire_closed_enquiries),
        ("offers", "enquiries.closed_offers", expire_closed_offers),
        ("delivery", "enquiries.ended_projects", expire_ended_projects),
    ):
        registry.retention_hook(RetentionHook(_category, _purpose, _hook_name, _expire_fn))
