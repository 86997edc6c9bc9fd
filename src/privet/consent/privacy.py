from privet.registry import registry

from .models import ConsentReceipt

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


class ConsentReceiptSource:
    """Consent receipts for the rights engine, found by the visitor id in the person's cookie.

    They can be exported but not rectified, restricted or erased on request: each one is the
    proof of a choice (GDPR Art. 7(1)); a new choice is a new receipt, and whole months expire
    by partition drop under the declared retention rule.
    """

    name = "consent_receipts"

    def find(self, subject):
        from .selectors import receipts_for_visitor

        return list(receipts_for_visitor(subject.visitor_id)) if subject.visitor_id else []

    def export(self, subject) -> dict:
        return {"consent_receipts": [
            {"created_at": r.created_at.isoformat(), "site": r.site, "choices": r.choices,
             "method": r.method, "gpc": r.gpc, "policy_hash": r.policy_hash,
             "banner_version": r.banner_version, "language": r.language,
             "browser": r.user_agent_family}
            for r in self.find(subject)
        ]}

    def rectify(self, subject, changes) -> int:
        return 0

    def restrict(self, subject) -> int:
        return 0

    def erase(self, subject) -> int:
        return 0

    def retention_reason(self, record) -> str | None:
        return ("Kept as proof of your cookie choice (GDPR Art. 7(1)) for 3 years after it is "
                "withdrawn or replaced; to change it, use the Cookie settings link.")


registry.subject_source(ConsentReceiptSource())
