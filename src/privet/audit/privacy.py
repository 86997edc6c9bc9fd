"""The audit log for the rights engine: what was done with a person's data, never erased.

Events hold a keyed pseudonym of the person (``subject_ref``), which is still personal data
(GDPR Recital 26: we hold the key), so an access request gets the events about the person:
what happened and when. They are not corrected, restricted or erased: the log is the evidence
of how every request and change was handled (accountability, Art. 5(2)), append-only and hash
chained, and it holds no identifier to correct.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy, gettext_noop

from privet.pseudonyms import subject_ref
from privet.registry import (
    EvidenceSource,
    Kept,
    SubjectQuery,
    registry,
)

from .models import AuditEvent

registry.personal_data(
    AuditEvent,
    {"subject_ref": "contact_details"},
    not_personal={
        "details": "append_event refuses emails, IP addresses and personal keys in details",
    },
)
registry.no_retention_target(
    AuditEvent,
    "an append-only hash chain: removing an event would break the evidence of every later one; "
    "it holds a keyed pseudonym, never an email, phone or address",
)

EVIDENCE_REASON = gettext_noop(
    "The audit log is the evidence of how your data and requests were handled (GDPR Art. 5(2)); "
    "it holds a keyed pseudonym of you, never your email or phone, and cannot be changed."
)


def _events(subject: SubjectQuery) -> tuple[QuerySet[AuditEvent], dict[str, str]]:
    """The person's events, and which identifier each pseudonym stands for."""
    refs = {subject_ref(value): kind for kind, value in subject.identifiers().items()}
    return AuditEvent.objects.filter(subject_ref__in=refs).order_by("seq"), refs


class AuditSource(EvidenceSource):
    """Its export writes no event of its own: an event about reading the log would change what
    the log holds about the person; the rights request's own events record the export."""

    name = "audit"
    label = gettext_lazy("Audit log")
    models = (AuditEvent,)
    # Portability (Art. 20) covers data the person provided; the log is what we recorded.
    provided_by_subject = False
    category = "contact_details"

    def kept(self, subject: SubjectQuery) -> tuple[Kept, ...]:
        records = _events(subject)[0].count()
        return (Kept(records, EVIDENCE_REASON),) if records else ()

    def export(self, subject: SubjectQuery, *, actor: Any, request_ref: str) -> dict[str, Any]:
        events, refs = _events(subject)
        identifiers = subject.identifiers()
        return {"audit_events": [
            {"at": e.created_at.isoformat(), "action": e.action, "object": e.object_type,
             "about": identifiers[refs[e.subject_ref]]}
            for e in events.only("created_at", "action", "object_type", "subject_ref")
        ]}


registry.subject_source(AuditSource())
