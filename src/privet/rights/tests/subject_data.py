"""One person's earlier rights requests, for the registry's contract test."""

from privet.registry import SubjectQuery
from privet.rights.services import log_request, refuse


def requests(subject: SubjectQuery, policy) -> None:
    first = log_request(right="access", email=subject.email, actor="test:contract",
                        channel="email", verified=True, verification_note="wrote from it")
    refuse(request=first, ground="excessive", reason="the same request twice a week",
           actor="test:contract")
    log_request(right="erasure", email=subject.email, actor="test:contract", channel="letter",
                verified=True, verification_note="signed letter")


SUBJECT_DATA = {"rights_requests": requests}
