"""Legal holds naming one person, for the registry's contract test."""

from privet.registry import SubjectQuery
from privet.retention.holds import place_hold


def holds(subject: SubjectQuery, policy) -> None:
    place_hold(scope="person", reason="claim", email=subject.email or "", actor="test:contract",
               note="A claim about the 2030 project")
    place_hold(scope="person", reason="authority", phone=subject.phone or "",
               email=subject.email or "", actor="test:contract")


SUBJECT_DATA = {"legal_holds": holds}
