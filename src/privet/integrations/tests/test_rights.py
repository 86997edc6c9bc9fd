"""Rights requests about data the studio holds for a client: routed to the client (the
controller), acted on only after its decision, and never reached without naming the client."""

from __future__ import annotations

import json

import pytest

from privet.audit.models import AuditEvent
from privet.rights import engine
from privet.rights.models import ErasureRecord, RightsRequest, Status
from privet.rights.services import log_request
from privet.rights.tests.engine_data import person

from . import factories

pytestmark = pytest.mark.django_db


def request_about(right: str, *, client: str = "", handle: str = "") -> RightsRequest:
    anna = person(1)
    return log_request(right=right, email=anna.email, actor="test:operator", channel="email",
                       verified=True, verification_note="wrote from the address",
                       details="please", client=client, handle=handle)


def run(request: RightsRequest) -> RightsRequest:
    engine.process(request.pk, request.attempt)
    request.refresh_from_db()
    return request


@pytest.fixture
def held():
    """Anna's TikTok profile held for the client acme, and Bob's; and another client's record
    of Anna under the same username."""
    acme = factories.client("acme")
    factories.grant(acme, account_id="open-anna", username="anna.tt")
    factories.grant(acme, account_id="open-bob", username="bob.tt")
    other = factories.client("other")
    factories.grant(other, account_id="open-anna-2", username="anna.tt")
    return acme, other


def test_an_erasure_naming_the_client_waits_for_its_decision_then_erases(published, held):
    acme, other = held
    request = request_about("erasure", client="acme", handle="@Anna.TT")
    assert request.handle == "Anna.TT"
    engine.start(request=request, actor="test:operator")
    request = run(request)

    # Routed: the client is told how much is held, by category; nothing is erased yet.
    assert request.status == Status.AWAITING_CONTROLLER
    assert request.result["controller"]["records"] == 1
    assert request.result["controller"]["holdings"] == {"integration_data": 1}
    assert factories.accounts(acme).filter(username="anna.tt").exists()
    assert not AuditEvent.objects.filter(action="integrations.erased").exists()

    request = engine.record_controller_decision(request=request, decision=engine.CARRY_OUT,
                                                note="Client ticket 12", actor="test:operator")
    request = run(request)
    assert request.status == Status.COMPLETED
    assert request.result["sources"]["integrations"]["erased"] == 1
    assert list(factories.accounts(acme).values_list("username", flat=True)) == ["bob.tt"]
    assert factories.accounts(other).filter(username="anna.tt").exists()  # another client's
    [entry] = ErasureRecord.objects.filter(source="integrations")
    assert entry.record_keys[0].startswith("integrations.platformaccount:acme:")
    event = AuditEvent.objects.get(action="integrations.erased")
    assert json.loads(event.details)["request_ref"] == request.reference


def test_the_client_may_answer_the_person_itself_and_nothing_is_touched(published, held):
    acme, _other = held
    request = request_about("erasure", client="acme", handle="anna.tt")
    engine.start(request=request, actor="test:operator")
    request = run(request)
    request = engine.record_controller_decision(request=request,
                                                decision=engine.CONTROLLER_ANSWERS,
                                                note="", actor="test:operator")
    assert request.status == Status.COMPLETED
    assert factories.accounts(acme).filter(username="anna.tt").exists()


def test_a_request_without_the_client_never_touches_integration_data(published, held):
    acme, _other = held
    request = request_about("erasure")
    engine.start(request=request, actor="test:operator")
    request = run(request)
    assert request.status == Status.COMPLETED
    assert "integrations" not in request.result["sources"] and "controller" not in request.result
    assert factories.accounts(acme).count() == 2
    assert not engine.RequestStep.objects.filter(request=request, source="integrations").exists()


def test_a_handle_needs_the_client(published):
    from privet.rights.errors import InvalidRequest

    with pytest.raises(InvalidRequest):
        request_about("access", handle="anna.tt")


def test_restriction_and_objection_are_the_clients_to_decide(published, held):
    source = engine.registry.sources["integrations"]
    subject = engine.SubjectQuery(email="person1@example.com", client="acme", handle="anna.tt")
    for action in (source.restrict, source.object):
        report = action(subject, actor="t", request_ref="R-1")
        assert report.changed == 0 and report.not_changed[0].records == 1
        assert "client" in report.not_changed[0].reason
    exported = source.export(subject, actor="t", request_ref="R-1")
    [row] = exported["integrations.platformaccount"]
    assert row["username"] == "anna.tt" and row["details"] == {"followers_count": 7}
    assert "bio_description" not in json.dumps(exported)  # outside the contract: never kept
