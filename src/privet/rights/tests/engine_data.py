"""People and their data for the engine's tests: enquiries (one erasable with a note written by
an operator, one project kept for claims), cookie choices by visitor id, and a verified request."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from privet.consent.services import record_consent
from privet.enquiries import services as enquiries
from privet.enquiries.models import Enquiry
from privet.registry import SubjectQuery
from privet.rights.models import RightsRequest
from privet.rights.services import log_request


def person(n: int = 1) -> SubjectQuery:
    return SubjectQuery(email=f"person{n}@example.com", phone=f"+48 600 100 {n:03d}",
                        visitor_id=f"{n:032x}")


def store_data(subject: SubjectQuery, policy, *, operator: Any = "test", project: bool = True,
               open_enquiries: int = 1, receipts: bool = True) -> list[Enquiry]:
    data = {"name": "Anna Kowalska", "email": subject.email, "phone": subject.phone,
            "project_type": "web_app", "message": "Please call me in the morning."}
    made = []
    for _ in range(open_enquiries):
        enquiry = enquiries.log_enquiry(data=data, actor=operator)
        enquiries.add_note(enquiry=enquiry, body="Prefers mornings.", actor=operator)
        made.append(enquiry)
    if project:
        kept = enquiries.log_enquiry(data=data, actor=operator)
        for status in ("offer", "project"):
            enquiries.change_status(enquiry=kept, to_status=status, actor=operator,
                                    at=timezone.now())
        made.append(kept)
    if receipts:
        record_consent(site="privet", visitor_id=subject.visitor_id,
                       choices={"analytics": True}, policy_hash=policy.content_hash,
                       method="custom", gpc=False, banner_version="1", language="en")
    return made


def verified(right: str, subject: SubjectQuery, **extra: Any) -> RightsRequest:
    request = log_request(right=right, email=subject.email, phone=subject.phone,
                          visitor_id=subject.visitor_id, actor="test:operator", channel="email",
                          verified=True, verification_note="wrote from the address",
                          details=extra.pop("details", "please"), **extra)
    return request
