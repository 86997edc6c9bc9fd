"""Carrying a verified request out across every registered store: each right, exactly once, the
erasure ledger, Art. 19 notices, pause and reprocess, and data held for a client."""

from __future__ import annotations

import json
import logging
from collections import Counter

import pytest
from django.contrib.auth import get_user_model

from privet.audit.models import AuditEvent
from privet.audit.selectors import verify_chain
from privet.consent.models import ConsentReceipt
from privet.enquiries.models import Enquiry
from privet.registry import ActionReport, ErasureReport, Kept, SourcePlan, registry
from privet.rights import engine
from privet.rights.models import ErasureRecord, MailKind, RequestStep, RightsRequest, Status

from .engine_data import person, store_data, verified

pytestmark = pytest.mark.django_db


def carry_out(request: RightsRequest, changes: dict | None = None) -> RightsRequest:
    """Start the request as an operator does and run its task (as the worker would)."""
    engine.start(request=request, actor="test:operator", changes=changes)
    engine.process(request.pk, request.attempt)
    request.refresh_from_db()
    return request


def actions(prefix: str = "") -> Counter:
    return Counter(e.action for e in AuditEvent.objects.filter(action__startswith=prefix))


def test_erasure_erases_what_no_duty_keeps_tells_why_the_rest_is_kept_and_keeps_a_ledger(published):
    anna, bob = person(1), person(2)
    erasable, project = store_data(anna, published)
    store_data(bob, published)
    request = carry_out(verified("erasure", anna))

    assert request.status == Status.COMPLETED and request.closed_at
    enquiries = request.result["sources"]["enquiries"]
    assert enquiries["records"] == 2 and enquiries["erased"] == 1
    [kept] = enquiries["kept"]
    assert kept["records"] == 1 and "Civil Code" in kept["reason"] and kept["rules"]
    assert not Enquiry.objects.filter(pk=erasable.pk).exists()
    assert Enquiry.objects.filter(pk=project.pk).exists()
    assert Enquiry.objects.filter(email=bob.email).count() == 2  # nobody else's data moved
    # Evidence is kept, each with its reason; the receipts too.
    assert request.result["sources"]["consent_receipts"]["kept"][0]["records"] == 1
    assert ConsentReceipt.objects.filter(visitor_id=anna.visitor_id).count() == 1

    # The ledger: the erased record's key and a keyed hash, no identifier.
    [entry] = ErasureRecord.objects.all()
    assert entry.source == "enquiries" and entry.record_keys == [str(erasable.pk)]
    assert entry.request_ref == request.reference
    assert entry.subject_digest == engine.subject_digest(engine.subject_of(request))
    assert anna.email not in json.dumps([entry.subject_digest, entry.record_keys])

    # Art. 19: the recipients of the purposes whose data was erased, each recorded as notified.
    policy = published.declaration()
    expected = sorted({r for p in policy.purposes if p.id in {"enquiries", "offers", "delivery"}
                       for r in p.recipients})
    assert request.result["recipients_notified"] == expected
    notified = AuditEvent.objects.filter(action="rights.recipient_notified")
    assert sorted(json.loads(e.details)["recipient"] for e in notified) == expected

    # Each step once, the answer mailed once, the chain intact.
    steps = RequestStep.objects.filter(request=request)
    assert all(s.state == RequestStep.State.DONE for s in steps)
    assert len({(s.source, s.action) for s in steps}) == steps.count()
    assert list(request.mail.values_list("kind", flat=True)) == [MailKind.COMPLETED]
    assert verify_chain().ok
    assert engine.process(request.pk, request.attempt) == "skipped"


def test_a_step_already_done_is_not_done_again_and_data_written_after_the_plan_is_found(published):
    anna = person(1)
    store_data(anna, published, project=False)
    request = verified("erasure", anna)
    engine.plan_request(request)  # the operator looks at the plan...
    later = store_data(anna, published, project=False, receipts=False)[0]  # ...data arrives
    engine.start(request=request, actor="test:operator")
    # A first worker did the enquiries' step and was killed before the rest.
    engine._run_step(request.pk, 1, "enquiries", "erase",
                     engine._act_on_source(registry.sources["enquiries"], "erase"))
    erased_events = actions("enquiry.erased")
    assert not Enquiry.objects.filter(email=anna.email).exists()
    assert not Enquiry.objects.filter(pk=later.pk).exists()

    store_data(anna, published, project=False, receipts=False)  # arrives after the step
    assert engine.process(request.pk, 1) == "completed"
    assert actions("enquiry.erased") == erased_events  # not done twice
    assert ErasureRecord.objects.count() == 1
    assert Enquiry.objects.filter(email=anna.email).count() == 1  # a new request would find it


def test_a_failing_step_fails_the_request_with_the_class_name_only_and_reprocess_starts_again(
        published, caplog):
    anna = person(1)
    store_data(anna, published, project=False)

    class Broken(Exception):
        pass

    class BrokenSource:
        name, role, models, attributes = "zz_broken", "controller", (), frozenset()

        def plan(self, subject):
            return SourcePlan(self.name)

        def erase(self, subject, *, actor, request_ref):
            raise Broken(f"cannot erase {subject.email}")

    registry.sources["zz_broken"] = BrokenSource()
    try:
        request = verified("erasure", anna)
        with caplog.at_level(logging.ERROR, logger="privet.rights"):
            request = carry_out(request)
        assert request.status == Status.FAILED and request.error == "Broken"
        assert any("R-" in r.getMessage() and "Broken" in r.getMessage() for r in caplog.records)
        assert anna.email not in caplog.text
        failed = RequestStep.objects.get(request=request, source="zz_broken")
        assert failed.state == RequestStep.State.FAILED and failed.error == "Broken"
        assert not Enquiry.objects.filter(email=anna.email).exists()  # the step before it held
    finally:
        del registry.sources["zz_broken"]

    request = engine.reprocess(request=request, actor="test:operator")
    assert request.status == Status.IN_PROGRESS and request.attempt == 2 and not request.error
    assert engine.process(request.pk, 1) == "skipped"  # the old attempt's task does nothing
    assert engine.process(request.pk, 2) == "completed"
    assert RequestStep.objects.filter(request=request, attempt=2, state="done").exists()
    assert actions("rights.reprocessed")["rights.reprocessed"] == 1
    assert verify_chain().ok


def test_pause_takes_no_new_step_and_resume_goes_on(published, django_capture_on_commit_callbacks):
    anna = person(1)
    store_data(anna, published, project=False)
    request = verified("erasure", anna)
    engine.start(request=request, actor="test:operator")
    engine.pause_processing(reason="a source failed, looking", actor="test:operator")
    assert engine.process(request.pk, 1) == "paused"
    request.refresh_from_db()
    assert request.status == Status.IN_PROGRESS
    assert not RequestStep.objects.filter(request=request).exists()
    assert Enquiry.objects.filter(email=anna.email).exists()
    with django_capture_on_commit_callbacks(execute=True):
        engine.resume_processing(actor="test:operator")  # queues the request again
    request.refresh_from_db()
    assert request.status == Status.COMPLETED
    assert not Enquiry.objects.filter(email=anna.email).exists()


def test_rectification_restriction_and_objection_act_on_each_source(published):
    anna = person(1)
    store_data(anna, published, project=False)
    request = verified("rectification", anna, details="My name is Anna Nowak now.")
    request = carry_out(request, changes={"name": "Anna Nowak"})
    assert request.status == Status.COMPLETED
    assert request.result["sources"]["enquiries"]["changed"] == 1
    assert set(Enquiry.objects.filter(email=anna.email).values_list("name", flat=True)) == {
        "Anna Nowak"}

    request = carry_out(verified("restriction", anna))
    assert request.result["sources"]["enquiries"]["changed"] == 1
    assert Enquiry.objects.get(email=anna.email).restricted_at is not None
    assert request.result["sources"]["audit"]["kept"]  # evidence: not restricted, and why

    request = carry_out(verified("objection", anna, details="I object."))
    assert request.result["sources"]["enquiries"]["changed"] == 1
    assert Enquiry.objects.get(email=anna.email).objected_at is not None


def test_withdrawal_of_consent_writes_a_refusing_receipt_and_stops_consent_based_work(published):
    anna = person(1)
    store_data(anna, published, project=False)
    request = carry_out(verified("withdraw_consent", anna))
    assert request.status == Status.COMPLETED and request.result["consent_withdrawn"] is True
    latest = ConsentReceipt.objects.filter(visitor_id=anna.visitor_id).order_by("-id").first()
    assert latest.method == "reject_all" and latest.choices["analytics"] is False
    assert latest.policy_hash == published.content_hash
    # Enquiries rest partly on consent in the default declaration: marked like an objection.
    assert Enquiry.objects.get(email=anna.email).objected_at is not None
    assert set(request.result["sources"]) == {"enquiries"}
    assert actions("rights.consent_withdrawn")["rights.consent_withdrawn"] == 1


def test_portability_exports_only_what_the_person_provided(published):
    anna = person(1)
    store_data(anna, published, project=False)
    request = carry_out(verified("portability", anna))
    assert request.status == Status.COMPLETED and request.result["archive"] is True
    exported = set(RequestStep.objects.filter(request=request, action="export")
                   .values_list("source", flat=True))
    assert exported == {"enquiries", "consent_receipts", "rights_requests"}  # not the audit log
    assert engine.provided_by_subject(registry.sources["enquiries"])
    assert not engine.provided_by_subject(registry.sources["audit"])


def test_the_ledger_digest_is_keyed_and_ignores_case_and_phone_punctuation(settings):
    one = engine.subject_digest(person(1))
    same = engine.subject_digest(person(1).__class__(email="PERSON1@example.com",
                                                     phone="+48600100001",
                                                     visitor_id=person(1).visitor_id))
    assert one == same and len(one) == 64
    settings.PRIVET_AUDIT_KEY = "another audit key of at least thirty-two characters"
    assert engine.subject_digest(person(1)) != one


# --- data held for a client ----------------------------------------------------------------------

class ClientStore:
    """A client's store the studio keeps as its processor (a test-only source)."""

    name, role, models, attributes = "client_leads", "processor", (), frozenset()

    def __init__(self) -> None:
        self.records = {"person1@example.com": 3}
        self.erased: list[str] = []

    def plan(self, subject):
        if subject.client != "acme":
            return SourcePlan(self.name)
        n = self.records.get(subject.email, 0)
        return SourcePlan(self.name, n, {"integration_data": n} if n else {})

    def export(self, subject, *, actor, request_ref):
        return {"leads": []}

    def erase(self, subject, *, actor, request_ref):
        n = self.records.pop(subject.email, 0) if subject.client == "acme" else 0
        self.erased.append(request_ref)
        return ErasureReport(self.name, n)

    def object(self, subject, *, actor, request_ref):
        return ActionReport(self.name, 0, (Kept(1, "test"),))


@pytest.fixture
def client_store():
    store = ClientStore()
    registry.subject_source(store)
    yield store
    del registry.sources[store.name]


@pytest.mark.parametrize("decision", [engine.CARRY_OUT, engine.CONTROLLER_ANSWERS])
def test_a_clients_data_is_routed_to_the_client_and_its_decision_recorded(
        published, client_store, decision):
    anna = person(1)
    store_data(anna, published, project=False)
    request = verified("erasure", anna)
    RightsRequest.objects.filter(pk=request.pk).update(client="acme")
    request.refresh_from_db()
    request = carry_out(request)

    assert request.status == Status.AWAITING_CONTROLLER
    controller = request.result["controller"]
    assert controller == {"client": "acme", "records": 3, "holdings": {"integration_data": 3},
                          "decision": "", "note": ""}
    assert "client_leads" not in request.result["sources"] or not client_store.erased
    assert not client_store.erased  # routed, not acted on
    assert not Enquiry.objects.filter(email=anna.email).exists()  # the studio's own data: done
    assert MailKind.ROUTED in request.mail.values_list("kind", flat=True)

    request = engine.record_controller_decision(request=request, decision=decision,
                                                note="Ticket 77", actor="test:operator")
    if decision == engine.CARRY_OUT:
        assert request.status == Status.IN_PROGRESS
        engine.process(request.pk, request.attempt)
        request.refresh_from_db()
        assert client_store.erased == [request.reference] and not client_store.records
    else:
        assert not client_store.erased
    assert request.status == Status.COMPLETED
    assert request.result["controller"]["decision"] == decision
    assert request.result["controller"]["note"] == "Ticket 77"
    assert actions("rights.controller_decision")["rights.controller_decision"] == 1
    assert verify_chain().ok


def test_a_request_without_a_client_never_reaches_a_clients_store(published, client_store):
    request = carry_out(verified("erasure", person(1)))
    assert request.status == Status.COMPLETED and "controller" not in request.result
    assert not client_store.erased


def test_an_operators_name_never_appears_in_an_export(published):
    operator = get_user_model().objects.create_user("kasia.operator", "kasia@studio.test", "x" * 20)
    anna = person(1)
    store_data(anna, published, operator=operator, project=False)
    exported = json.dumps(registry.sources["enquiries"].export(anna, actor="t", request_ref="R"))
    assert "kasia" not in exported and '"by": "operator"' in exported
