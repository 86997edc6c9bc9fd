"""One visitor's consent receipts, for the registry's contract test."""

from privet.consent.services import record_consent
from privet.registry import SubjectQuery


def receipts(subject: SubjectQuery, policy) -> None:
    for analytics in (True, False):  # a choice, then a withdrawal
        record_consent(site="privet", visitor_id=subject.visitor_id, choices={"analytics": analytics},
                       policy_hash=policy.content_hash, method="custom", gpc=False,
                       banner_version="1", language="en")


SUBJECT_DATA = {"consent_receipts": receipts}
