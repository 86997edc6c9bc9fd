"""Audit events about one person, for the registry's contract test."""

from privet.audit.services import append_event
from privet.registry import SubjectQuery


def events(subject: SubjectQuery, policy) -> None:
    append_event(actor="test", action="test.about_email", subject=subject.email)
    append_event(actor="test", action="test.about_visitor", subject=subject.visitor_id)


SUBJECT_DATA = {"audit": events}
