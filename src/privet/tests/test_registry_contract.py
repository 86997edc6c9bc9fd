"""One contract, every subject source: what the rights engine relies on, tested per source.

Parametrised over the registry, so a new app's source is tested the day it registers. Its
tests provide ``tests/subject_data.py`` with ``SUBJECT_DATA = {source name: make(subject,
policy)}``, which stores data about ``subject`` the way the app does; a source without one
fails here. A ``processor`` source's ``make`` returns the query a request about the person
carries for its client (``subject`` with ``client`` and ``handle``): its data names people that
way, and it answers only a query naming its client.
"""

from __future__ import annotations

import dataclasses
import importlib
import json

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from privet.audit.models import AuditEvent
from privet.registry import SubjectQuery, UnknownAttribute, registry

pytestmark = pytest.mark.django_db

ANNA = SubjectQuery(email="anna.contract@example.com", phone="+48 600 111 222", visitor_id="a" * 32)
BOB = SubjectQuery(email="bob.contract@example.org", phone="+48 700 333 444", visitor_id="b" * 32)
ACTOR, REQUEST = "test:contract", "R-CONTRACT-1"


def subject_data() -> dict:
    found = {}
    for config in apps.get_app_configs():
        if config.name.startswith("privet."):
            try:
                module = importlib.import_module(f"{config.name}.tests.subject_data")
            except ModuleNotFoundError:
                continue
            found.update(module.SUBJECT_DATA)
    return found


def counts() -> dict[str, int]:
    """Rows of every model holding personal data, and of the audit log."""
    return {label: model._default_manager.count()
            for label, model in registry.personal_models().items()}


@pytest.mark.parametrize("name", sorted(registry.sources))
def test_every_source_keeps_the_contract(name, published):
    source = registry.sources[name]
    make = subject_data().get(name)
    assert make, f"{name}: add SUBJECT_DATA = {{{name!r}: make}} to the app's tests/subject_data.py"
    anna, bob = make(ANNA, published) or ANNA, make(BOB, published) or BOB
    if source.role == "processor":  # nothing for a query that does not name the client
        assert source.plan(dataclasses.replace(anna, client=None)).records == 0
    bob_before = source.plan(bob)

    # Plan changes nothing: only reads.
    before = counts()
    with CaptureQueriesContext(connection) as queries:
        plan = source.plan(anna)
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries.captured_queries)
    assert counts() == before
    assert plan.records > 0 and sum(k.records for k in plan.kept) <= plan.records
    assert set(plan.holdings) and all(0 < n <= plan.records for n in plan.holdings.values())
    assert all(k.reason for k in plan.kept)

    # Export: JSON, with the person's identifiers and nothing of anyone else's.
    first_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    exported = json.dumps(source.export(anna, actor=ACTOR, request_ref=REQUEST))
    assert any(value in exported for value in anna.identifiers().values())
    assert not any(value in exported for value in bob.identifiers().values())

    # Attributes are the registry's words, never field names; a wrong one changes nothing.
    before = counts()
    with pytest.raises(UnknownAttribute):
        source.rectify(anna, {"status": "x"}, actor=ACTOR, request_ref=REQUEST)
    assert counts() == before

    # A correction of an attribute the source holds changes it, once.
    if "name" in source.attributes:
        assert source.rectify(anna, {"name": "Anna Corrected"}, actor=ACTOR,
                              request_ref=REQUEST).changed > 0
        assert source.rectify(anna, {"name": "Anna Corrected"}, actor=ACTOR,
                              request_ref=REQUEST).changed == 0

    # Restriction is idempotent and answers the one selector other code asks.
    first = source.restrict(anna, actor=ACTOR, request_ref=REQUEST)
    assert source.restrict(anna, actor=ACTOR, request_ref=REQUEST).changed == 0
    if first.changed:
        restricted = [m for m in source.models
                      if any(registry.is_restricted(r) for r in m._default_manager.all())]
        assert restricted, f"{name}: restricted records, but registry.is_restricted() says none"
    else:
        assert first.not_changed, f"{name}: nothing restricted and no reason given"
    lifted = source.lift_restriction(anna, actor=ACTOR, request_ref=REQUEST)
    assert lifted.changed == first.changed
    objected = source.object(anna, actor=ACTOR, request_ref=REQUEST)
    assert objected.changed or objected.not_changed  # done, or a reason why not
    assert source.object(anna, actor=ACTOR, request_ref=REQUEST).changed == 0

    # Erase removes what the plan said may go, keeps what it said is kept, for the same reasons.
    report = source.erase(anna, actor=ACTOR, request_ref=REQUEST)
    assert report.erased == plan.erasable
    # The ledger's record keys: one per erased record, or none from a source that cannot name them.
    assert len(report.keys) in (0, report.erased) and len(set(report.keys)) == len(report.keys)
    assert report.kept == plan.kept
    after = source.plan(anna)
    assert after.records == plan.kept_records and after.kept == plan.kept
    again = source.erase(anna, actor=ACTOR, request_ref=REQUEST)
    assert again.erased == 0 and again.kept == plan.kept and again.keys == ()
    assert source.plan(bob) == bob_before  # nobody else's data moved

    # Every audit event the source wrote names the actor and the request.
    written = AuditEvent.objects.filter(seq__gt=first_seq)
    for event in written:
        assert event.actor == ACTOR, event.action
        assert json.loads(event.details).get("request_ref") == REQUEST, event.action
    if report.erased or first.changed:
        assert written.exists()
    if name != "audit":  # reading the log is recorded by the rights request's own events
        assert any(e.action.endswith("exported") for e in written), f"{name}: export not audited"
