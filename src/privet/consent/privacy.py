"""Consent receipts for the rights and retention engines.

A receipt is the proof of one cookie choice (GDPR Art. 7(1)), found by the visitor id in the
person's consent cookie. It can be exported but not corrected, restricted or erased on request:
a new choice is a new receipt, and proof of consent is kept, under the declared rule for
technical data kept for legal obligations, for its period after the consent is withdrawn or
replaced. No column records that moment; a choice lasts at most as long as the consent cookie,
a year, so the target counts from a year after the receipt (conservative: kept longer, never
shorter). On PostgreSQL a month whose receipts have all expired goes by partition drop (the
engine, through ``partitions=RECEIPTS``); every other expired receipt, on SQLite too, is deleted
in the engine's batches (``services.expire_receipts``).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy, gettext_noop

from privet.policy.selectors import declaration_in_force
from privet.registry import (
    EvidenceSource,
    Kept,
    RetentionTarget,
    RuleRef,
    SubjectQuery,
    TriggerTime,
    registry,
)

from . import services
from .models import ConsentReceipt
from .partitions import CONSENT_COOKIE_MONTHS, RECEIPTS
from .selectors import receipts_for_visitor

registry.personal_data(
    ConsentReceipt,
    {
        # A random id, not derived from the person; it is personal data only because it singles
        # out one browser (and the rights portal can look it up from the visitor's cookie).
        "visitor_id": "technical_data",
        "user_agent_family": "technical_data",
        "choices": "technical_data",  # the cookie choice itself: {purpose id: granted}
    },
)

CONSENT_COOKIE_LIFETIME = f"{CONSENT_COOKIE_MONTHS}m"  # Max-Age of the privet_consent cookie
TARGET = RetentionTarget(
    name="consent.receipts", model=ConsentReceipt, categories=frozenset({"technical_data"}),
    purposes=frozenset({"legal_obligations"}),
    triggers={"consent_withdrawn": TriggerTime("created_at", CONSENT_COOKIE_LIFETIME)},
    partitions=RECEIPTS, subject=lambda q: receipts_for_visitor(q.visitor_id or ""),
    expire=lambda records, *, actor, run_ref: services.expire_receipts(
        receipts=records, actor=actor, run_ref=run_ref),
)
registry.retention_target(TARGET)

PROOF_REASON = gettext_noop(
    "Kept as proof of your cookie choice (GDPR Art. 7(1)) for the period the policy states "
    "after it is withdrawn or replaced; to change it, use the Cookie settings link.")


def _proof_rules() -> tuple[RuleRef, ...]:
    declaration = declaration_in_force()
    return tuple(RuleRef.of(r) for r in TARGET.rules(declaration)) if declaration else ()


class ConsentReceiptSource(EvidenceSource):
    """Consent receipts, found by visitor id only. A receipt serves nothing but proof, which
    rests on a legal obligation (Art. 6(1)(c)): nothing to restrict or object to either."""

    name = "consent_receipts"
    label = gettext_lazy("Cookie choices")
    models = (ConsentReceipt,)
    # The person's own cookie choices: data they provided by their activity (the Art. 29 Working
    # Party's guidelines on portability count observed data), so portability exports them.
    provided_by_subject = True
    category = "technical_data"

    def _receipts(self, subject: SubjectQuery):
        if not subject.visitor_id:
            return ConsentReceipt.objects.none()
        return receipts_for_visitor(subject.visitor_id)

    def kept(self, subject: SubjectQuery) -> tuple[Kept, ...]:
        records = self._receipts(subject).count()
        return (Kept(records, PROOF_REASON, _proof_rules()),) if records else ()

    def export(self, subject: SubjectQuery, *, actor: Any, request_ref: str) -> dict[str, Any]:
        exported = {"consent_receipts": [
            {"created_at": r.created_at.isoformat(), "site": r.site, "visitor_id": r.visitor_id,
             "choices": r.choices, "method": r.method, "gpc": r.gpc,
             "policy_hash": r.policy_hash, "banner_version": r.banner_version,
             "language": r.language, "browser": r.user_agent_family}
            for r in self._receipts(subject)
        ]}
        if exported["consent_receipts"]:
            services.record_receipts_export(visitor_id=subject.visitor_id,
                                            receipts=len(exported["consent_receipts"]),
                                            actor=actor, request_ref=request_ref)
        return exported


registry.subject_source(ConsentReceiptSource())
