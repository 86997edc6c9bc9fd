"""What the retention app stores about people: the persons named by legal holds.

A hold on a person names them by the identifiers the rights engine searches by, while it is
active; when it ends they are blanked (:func:`.holds.release_ended`, :func:`.holds.lift_hold`),
so no retention rule of its own is needed: it lives exactly as long as the hold. The person can
learn of it: their access request lists the active holds naming them, with the reason.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy, gettext_noop

from privet.registry import EvidenceSource, Kept, SubjectQuery, registry

from .models import LegalHold, RetentionRun

registry.personal_data(
    LegalHold,
    {"email": "contact_details", "phone": "contact_details", "visitor_id": "technical_data",
     "note": "communication_content"},
    not_personal={
        "subject_ref": "a keyed pseudonym: without the key outside the database it names no one",
        "client": "the id of a client company of the studio, not of a person",
        "record_key": "the primary key of a record, not its content",
    },
)
registry.no_retention_target(
    LegalHold, "a hold names a person only while it is active: lifting or ending it blanks the "
               "identifiers and keeps the keyed pseudonym (retention.holds)")
registry.personal_data(RetentionRun, {}, not_personal={
    "actor": "who started the run: a role code or a staff account's id, never a name",
    "counts": "numbers of records per store and rule",
    "errors": "store names and exception class names only",
    "rules": "names of declared rules (category/purpose/trigger)",
    "cursor": "the primary key each store was swept up to",
})

HOLD_REASON = gettext_noop(
    "Kept beyond the period the policy states while a legal duty requires it (a claim, an "
    "audit or an authority's request); deleted when it no longer does.")


class LegalHoldSource(EvidenceSource):
    """The active holds naming the person: shown in their access export, never erased on their
    word (the duty behind the hold overrides erasure, GDPR Art. 17(3)(b) and (e))."""

    name = "legal_holds"
    label = gettext_lazy("Legal holds")
    models = (LegalHold,)
    category = "contact_details"

    def _holds(self, subject: SubjectQuery):
        match = Q(pk__in=[])
        if subject.email:
            match |= Q(email__iexact=subject.email.strip())
        if subject.phone:
            match |= Q(phone=subject.phone.strip())
        if subject.visitor_id:
            match |= Q(visitor_id=subject.visitor_id)
        return LegalHold.objects.filter(match, ended_at__isnull=True)

    def kept(self, subject: SubjectQuery) -> tuple[Kept, ...]:
        records = self._holds(subject).count()
        return (Kept(records, HOLD_REASON),) if records else ()

    def export(self, subject: SubjectQuery, *, actor: Any, request_ref: str) -> dict[str, Any]:
        exported = {"legal_holds": [
            {"reference": h.reference, "reason": h.reason, "email": h.email, "phone": h.phone,
             "visitor_id": h.visitor_id, "placed_at": h.placed_at.isoformat(),
             "ends_on": h.ends_on.isoformat() if h.ends_on else None}
            for h in self._holds(subject)]}
        if exported["legal_holds"]:
            from .holds import record_holds_export

            record_holds_export(subject=next(iter(subject.identifiers().values())),
                                holds=len(exported["legal_holds"]), actor=actor,
                                request_ref=request_ref)
        return exported


registry.subject_source(LegalHoldSource())
