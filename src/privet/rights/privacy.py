"""What the rights app stores about people, and how the engines reach it.

A request record is the proof of how a request about someone's data was answered (GDPR Art.
5(2)): kept under the declared rule for request records (``legal_obligations`` after
``request_closed``), exported to the person with their other data, never erased or corrected on
request (a new request about the same person does not rewrite the record of the first one).
Steps, mail rows and archives belong to their request (cascade). The erasure ledger holds no
personal data: a keyed hash and the keys of records that no longer exist.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy, gettext_noop

from privet.policy.selectors import declaration_in_force
from privet.registry import EvidenceSource, Kept, RetentionTarget, RuleRef, SubjectQuery, registry

from .models import (
    CLOSED_STATUSES,
    ErasureRecord,
    RequestStep,
    RightsMail,
    RightsRequest,
    RightsSettings,
)

registry.personal_data(
    RightsRequest,
    {
        "email": "contact_details",
        "phone": "contact_details",
        "visitor_id": "contact_details",
        "handle": "contact_details",
        "details": "contact_details",
        "proof_asked": "contact_details",
        "outcome": "contact_details",
        "extension_reason": "contact_details",
        "changes": "contact_details",
    },
    not_personal={
        "client": "the id of a client company of the studio, not of a person",
        "policy_version": "the content hash of the published policy, the same for everyone",
        "result": "counts per store and the reasons a duty keeps records; no identifiers",
        "error": "the exception's class name only, never its message",
        "verification_digest": "a hash of a random nonce; says nothing about the person",
    },
)
registry.personal_data(RequestStep, {}, not_personal={
    "report": "counts per category and the reasons a duty keeps records; no identifiers"})
registry.personal_data(RightsMail, {}, not_personal={
    "message_id": "a random id made for the mail on the sender's own domain; names no one"})
registry.personal_data(ErasureRecord, {}, not_personal={
    "subject_digest": "a keyed hash of the identifiers: without the key outside the database it "
                      "finds no one, and it is compared only with identifiers already held",
    "record_keys": "primary keys of records that no longer exist",
})
registry.personal_data(RightsSettings, {}, not_personal={
    "paused_reason": "an operator's note on why processing is paused, about the system"})


def _expire(records, *, actor: Any, run_ref: str) -> int:
    from .services import expire_requests

    return expire_requests(requests=records, actor=actor, run_ref=run_ref)


TARGET = RetentionTarget(
    name="rights.requests", model=RightsRequest, categories=frozenset({"contact_details"}),
    purposes=frozenset({"legal_obligations"}), triggers={"request_closed": "closed_at"},
    scope=Q(status__in=CLOSED_STATUSES), expire=_expire,
    subject=lambda q: RightsRequest.objects.filter(email=q.email) if q.email
    else RightsRequest.objects.none(),
)
registry.retention_target(TARGET)

RECORD_REASON = gettext_noop(
    "The record of your request and of our answer is kept to show we met our duties "
    "(GDPR Art. 5(2)) for the period the policy states after the request is closed.")


class RightsRequestSource(EvidenceSource):
    """Earlier requests by the person (found by their email): exported, kept as evidence."""

    name = "rights_requests"
    label = gettext_lazy("Rights requests")
    models = (RightsRequest,)
    category = "contact_details"

    def _requests(self, subject: SubjectQuery):
        if not subject.email:
            return RightsRequest.objects.none()
        return RightsRequest.objects.filter(email=subject.email)

    def kept(self, subject: SubjectQuery) -> tuple[Kept, ...]:
        records = self._requests(subject).count()
        declaration = declaration_in_force()
        rules = tuple(RuleRef.of(r) for r in TARGET.rules(declaration)) if declaration else ()
        return (Kept(records, RECORD_REASON, rules),) if records else ()

    def export(self, subject: SubjectQuery, *, actor: Any, request_ref: str) -> dict[str, Any]:
        exported = [
            {"reference": r.reference, "right": r.right, "status": r.status,
             "channel": r.channel, "email": r.email, "phone": r.phone, "handle": r.handle,
             "received_at": r.received_at.isoformat(), "due_on": r.due_on.isoformat(),
             "details": r.details, "closed_at": r.closed_at.isoformat() if r.closed_at else None,
             "outcome": r.outcome}
            for r in self._requests(subject).order_by("received_at")
        ]
        if exported:
            from .services import record_requests_export

            record_requests_export(email=subject.email, records=len(exported), actor=actor,
                                   request_ref=request_ref)
        return {"rights_requests": exported}


registry.subject_source(RightsRequestSource())
