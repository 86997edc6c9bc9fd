"""What the enquiries app stores about people, and how the rights and retention engines reach it.

Registrations and thin adapters only: every write lives in :mod:`.services`, every read in
:mod:`.selectors`. Enquiries are the studio's own data (it is the controller), found by the
person's email or phone.

Retention (the periods come from the declaration; these say which rules apply to which records):

- an enquiry closed without an offer serves the purpose ``enquiries``; one that got an offer also
  ``offers``; both count from ``enquiry_closed`` (``closed_at``);
- a project (a contract was signed) also serves ``delivery`` and counts from ``contract_end``
  (``project_ended_at``), to the end of that year in the default declaration (Civil Code Art. 118).

An enquiry that is still running counts down nothing; that is also why erasure keeps a
project's record (:meth:`~.models.Enquiry.kept_for_claims`). Notes, status history and mail rows
belong to their enquiry and go with it (cascade).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from privet.policy.selectors import declaration_in_force
from privet.registry import (
    ActionReport,
    ErasureReport,
    Kept,
    RetentionTarget,
    RuleRef,
    SourcePlan,
    SubjectQuery,
    refuse_unknown_attributes,
    registry,
)

from . import services
from .models import Enquiry, EnquiryNote, EnquiryStatusChange, OutgoingMail
from .selectors import enquiries_of_subject

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
        "message_id": "a random id made for the mail on the sender's own domain; names no one",
    },
)

CATEGORIES = frozenset({"contact_details", "communication_content"})
CONTRACT_REASON = gettext_noop(
    "A contract was signed: the project's records are kept for the period the policy states "
    "after it ends, to secure possible claims (Polish Civil Code, Art. 118)."
)
NO_LEGITIMATE_INTEREST = gettext_noop(
    "None of the purposes of an enquiry rests on legitimate interest in the policy in force, "
    "so there is no processing to object to (GDPR Art. 21(1))."
)

def _expire(records, *, actor: Any, run_ref: str) -> int:
    return services.expire_enquiries(enquiries=records, actor=actor, run_ref=run_ref)


TARGETS = (
    RetentionTarget(
        name="enquiries.without_offer", model=Enquiry, categories=CATEGORIES,
        purposes=frozenset({"enquiries"}), triggers={"enquiry_closed": "closed_at"},
        scope=Q(offer_at__isnull=True), held=Q(restricted_at__isnull=False),
        subject=enquiries_of_subject, expire=_expire,
    ),
    RetentionTarget(
        name="enquiries.offers", model=Enquiry, categories=CATEGORIES,
        purposes=frozenset({"enquiries", "offers"}), triggers={"enquiry_closed": "closed_at"},
        scope=Q(offer_at__isnull=False, contract_signed_at__isnull=True),
        held=Q(restricted_at__isnull=False), subject=enquiries_of_subject, expire=_expire,
    ),
    RetentionTarget(
        name="enquiries.projects", model=Enquiry, categories=CATEGORIES,
        purposes=frozenset({"enquiries", "offers", "delivery"}),
        triggers={"contract_end": "project_ended_at"},
        scope=Q(contract_signed_at__isnull=False), held=Q(restricted_at__isnull=False),
        subject=enquiries_of_subject, expire=_expire,
    ),
)
for _target in TARGETS:
    registry.retention_target(_target)
for _model in (EnquiryNote, EnquiryStatusChange):
    registry.no_retention_target(_model, "part of its enquiry: deleted with it (cascade)")


def _claims_kept(subject: SubjectQuery) -> list[int]:
    """The person's projects that an erasure must keep: a contract was signed and the declared
    claims period after it ends has not run out (one query)."""
    projects = TARGETS[2]
    declaration = declaration_in_force()
    rules = projects.rules(declaration) if declaration else []
    now = timezone.now()
    return [e.pk for e in enquiries_of_subject(subject).filter(projects.scope)
            if e.kept_for_claims() and ((end := projects.expires_at(e, rules)) is None or end > now)]


def _kept(kept: list[int]) -> tuple[Kept, ...]:
    if not kept:
        return ()
    declaration = declaration_in_force()
    rules = TARGETS[2].rules(declaration) if declaration else []
    return (Kept(len(kept), CONTRACT_REASON, tuple(RuleRef.of(r) for r in rules)),)


def _objectionable() -> bool:
    """Whether any purpose of an enquiry rests on legitimate interest (Art. 6(1)(f))."""
    declaration = declaration_in_force()
    if declaration is None:
        return False
    purposes = {p for target in TARGETS for p in target.purposes}
    return any(declaration.legal_basis(b).article == "6(1)(f)"
               for p in declaration.purposes if p.id in purposes for b in p.legal_bases)


class EnquirySource:
    """The rights engine's view of enquiries, their notes and status history."""

    name = "enquiries"
    label = gettext_lazy("Enquiries and projects")
    role = "controller"
    models = (Enquiry, EnquiryNote, EnquiryStatusChange)
    attributes = frozenset(services.ATTRIBUTE_FIELDS)

    def plan(self, subject: SubjectQuery) -> SourcePlan:
        """Counts (one query, plus one for the projects kept for claims): every enquiry holds
        contact details and a message."""
        counts = enquiries_of_subject(subject).order_by().aggregate(
            records=Count("pk"), restricted=Count("pk", filter=Q(restricted_at__isnull=False)))
        records = counts["records"]
        return SourcePlan(source=self.name, records=records,
                          holdings={c: records for c in sorted(CATEGORIES)} if records else {},
                          kept=_kept(_claims_kept(subject)), restricted=counts["restricted"])

    def export(self, subject: SubjectQuery, *, actor: Any, request_ref: str) -> dict[str, Any]:
        """Everything stored about the person, as JSON-ready data (four queries), audited."""
        enquiries = enquiries_of_subject(subject).prefetch_related("notes", "status_changes", "mail")
        services.record_export(enquiries=enquiries, actor=actor, request_ref=request_ref)
        return {"enquiries": [_exported(e) for e in enquiries]}

    def rectify(self, subject: SubjectQuery, changes: Mapping[str, str], *, actor: Any,
                request_ref: str) -> ActionReport:
        refuse_unknown_attributes(self, changes)
        changed = services.rectify_enquiries(enquiries=enquiries_of_subject(subject),
                                             changes=dict(changes), actor=actor,
                                             request_ref=request_ref)
        return ActionReport(self.name, changed)

    def restrict(self, subject: SubjectQuery, *, actor: Any, request_ref: str) -> ActionReport:
        return ActionReport(self.name, services.restrict_enquiries(
            enquiries=enquiries_of_subject(subject), actor=actor, request_ref=request_ref))

    def lift_restriction(self, subject: SubjectQuery, *, actor: Any,
                         request_ref: str) -> ActionReport:
        return ActionReport(self.name, services.lift_enquiry_restriction(
            enquiries=enquiries_of_subject(subject), actor=actor, request_ref=request_ref))

    def object(self, subject: SubjectQuery, *, actor: Any, request_ref: str) -> ActionReport:
        if not _objectionable():
            records = enquiries_of_subject(subject).count()
            return ActionReport(self.name, 0,
                                (Kept(records, NO_LEGITIMATE_INTEREST),) if records else ())
        return ActionReport(self.name, services.record_enquiry_objection(
            enquiries=enquiries_of_subject(subject), actor=actor, request_ref=request_ref))

    def erase(self, subject: SubjectQuery, *, actor: Any, request_ref: str) -> ErasureReport:
        """Erase what no duty keeps; the report names the erased enquiries' keys (the erasure
        ledger's record keys) so a restored backup's copies can be erased again."""
        with transaction.atomic():
            kept = _claims_kept(subject)
            keys = list(enquiries_of_subject(subject).exclude(pk__in=kept)
                        .select_for_update().values_list("pk", flat=True))
            erased = services.erase_enquiries(enquiries=Enquiry.objects.filter(pk__in=keys),
                                              actor=actor, request_ref=request_ref)
        return ErasureReport(self.name, erased, _kept(kept), tuple(str(k) for k in sorted(keys)))

    def erase_keys(self, keys, *, actor: Any, request_ref: str) -> list[str]:
        """Erase again the enquiries ``keys`` names that exist (a restored backup brought them
        back); their notes, history and mail rows go with them. Returns the keys erased."""
        pks = [int(k) for k in keys if str(k).isdecimal()]
        with transaction.atomic():
            present = sorted(Enquiry.objects.filter(pk__in=pks).values_list("pk", flat=True))
            services.erase_enquiries(enquiries=Enquiry.objects.filter(pk__in=present),
                                     actor=actor, request_ref=request_ref)
        return [str(k) for k in present]

    def is_restricted(self, record: Any) -> bool:
        enquiry = record.enquiry if isinstance(record, EnquiryNote | EnquiryStatusChange) else record
        return enquiry.restricted_at is not None


def _exported(e: Enquiry) -> dict[str, Any]:
    return {
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
                      "last_contact_at", "restricted_at", "objected_at")
            if getattr(e, f)
        },
        "language": e.language,
        # Who wrote a note or changed the status is another person's data: a role, never a name.
        "notes": [{"at": n.created_at.isoformat(), "by": "operator", "text": n.body}
                  for n in e.notes.all()],
        "history": [
            {"at": c.at.isoformat(), "from": c.from_status, "to": c.to_status,
             "by": "operator" if c.actor_id else "system", "reason": c.reason}
            for c in e.status_changes.all()
        ],
        "mail": [
            {"mail": m.kind, "state": m.state, "at": (m.finished_at or m.queued_at).isoformat()}
            for m in e.mail.all()
        ],
    }


registry.subject_source(EnquirySource())
