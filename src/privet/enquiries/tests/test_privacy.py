"""The rights engine's and the retention engine's view of enquiries, and the drift mapping."""

import json
from datetime import timedelta

import pytest
import yaml
from django.utils import timezone

from privet.audit.models import AuditEvent
from privet.enquiries import altcha_css, services
from privet.enquiries.models import Enquiry, EnquiryNote
from privet.policy.loader import load_declaration, parse_declaration
from privet.registry import SubjectQuery, SubjectSource, UnknownAttribute, registry

pytestmark = pytest.mark.django_db
ANNA = SubjectQuery(email="anna@example.com")
ACT = {"actor": "test", "request_ref": "R-000001"}


def source() -> SubjectSource:
    src = registry.sources["enquiries"]
    assert isinstance(src, SubjectSource)
    return src


def make(valid_data, *, email="anna@example.com", days=0, steps=()):
    now = timezone.now()
    enquiry = services.log_enquiry(data={**valid_data, "email": email}, actor="test",
                                   received_at=now - timedelta(days=days))
    for status, ago in steps:
        services.change_status(enquiry=enquiry, to_status=status, actor="test", at=now - timedelta(days=ago))
    return enquiry


def found(subject):
    from privet.enquiries.selectors import enquiries_of_subject

    return list(enquiries_of_subject(subject))


def test_every_personal_field_is_mapped_to_a_declared_category(settings):
    categories = load_declaration(settings.PRIVET_DEFAULT_POLICY_FILE).category_ids
    for field in ("name", "company", "email", "phone", "message"):
        assert registry.category_of(Enquiry, field) in categories
    assert registry.category_of(EnquiryNote, "body") == "communication_content"


def test_find_export_rectify_restrict(published, valid_data):
    mine = make(valid_data)
    services.add_note(enquiry=mine, body="Prefers mornings.", actor="test")
    make(valid_data, email="someone@else.example")
    assert found(SubjectQuery(email="ANNA@example.com")) == [mine]
    exported = source().export(ANNA, **ACT)
    [item] = exported["enquiries"]
    assert item["message"] == valid_data["message"] and item["notes"][0]["text"] == "Prefers mornings."
    assert source().rectify(ANNA, {"name": "Anna Nowak"}, **ACT).changed == 1
    assert Enquiry.objects.get(pk=mine.pk).name == "Anna Nowak"
    with pytest.raises(UnknownAttribute):  # an attribute, never a field name like "status"
        source().rectify(ANNA, {"status": "ended"}, **ACT)
    assert source().restrict(ANNA, **ACT).changed == 1
    assert Enquiry.objects.get(pk=mine.pk).restricted_at is not None
    events = AuditEvent.objects.filter(action__in=["enquiry.rectified", "enquiry.restricted"])
    assert events.count() == 2
    assert {(e.actor, '"request_ref":"R-000001"' in e.details) for e in events} == {("test", True)}


def test_a_rectification_the_form_would_refuse_changes_nothing(published, valid_data):
    from privet.enquiries.errors import InvalidEnquiry

    mine = make(valid_data)
    with pytest.raises(InvalidEnquiry, match="email"):
        source().rectify(ANNA, {"email": "not an address"}, **ACT)
    assert Enquiry.objects.get(pk=mine.pk).email == "anna@example.com"
    assert not AuditEvent.objects.filter(action="enquiry.rectified").exists()


def test_phone_matches_whatever_the_separators_but_only_the_whole_number(published, valid_data):
    mine = make(valid_data)  # stored as "+48 600 100 200"
    assert found(SubjectQuery(phone="+48600100200")) == [mine]
    assert found(SubjectQuery(phone="(48) 600-100-200")) == [mine]
    # Someone else's number must never match: another prefix, a suffix, a near miss.
    assert found(SubjectQuery(phone="+1 600 100 200")) == []
    assert found(SubjectQuery(phone="600 100 200")) == []
    assert found(SubjectQuery(phone="100 200")) == []
    assert found(SubjectQuery(phone="+48-600-100-201")) == []
    assert source().erase(SubjectQuery(phone="600 100 200"), **ACT).erased == 0
    assert Enquiry.objects.filter(pk=mine.pk).exists()


def test_erase_keeps_what_a_contract_requires_and_says_which_rule(published, valid_data):
    open_one = make(valid_data, days=30)
    project = make(valid_data, days=30, steps=[("offer", 20), ("project", 10)])
    plan = source().plan(ANNA)
    assert (plan.records, plan.erasable) == (2, 1)
    [kept] = plan.kept
    assert "Civil Code" in kept.reason
    assert {str(r) for r in kept.rules} == {"contact_details/delivery after contract_end",
                                            "communication_content/delivery after contract_end"}
    report = source().erase(ANNA, **ACT)
    assert (report.erased, report.kept) == (1, plan.kept)
    assert list(Enquiry.objects.all()) == [project]
    assert AuditEvent.objects.filter(action="enquiry.erased", object_id=str(open_one.pk)).exists()


def target(name):
    return registry.targets[name]


def test_retention_targets_follow_the_declared_rules(published, valid_data):
    decl = published.declaration()
    closed_old = make(valid_data, days=500, steps=[("closed", 400)])
    closed_recent = make(valid_data, days=100, steps=[("closed", 90)])
    offer_closed_old = make(valid_data, days=500, steps=[("offer", 450), ("closed", 400)])
    ended_old = make(valid_data, days=4000, steps=[("offer", 3990), ("project", 3980), ("ended", 3000)])
    ended_recent = make(valid_data, days=900, steps=[("offer", 890), ("project", 880), ("ended", 700)])
    running = make(valid_data, days=900, steps=[("offer", 890), ("project", 880)])

    expiring = registry.expiring(decl)
    assert {r.pk for r, _ in expiring["enquiries.without_offer"]} == {closed_old.pk}
    assert {r.pk for r, _ in expiring["enquiries.offers"]} == {offer_closed_old.pk}
    assert {r.pk for r, _ in expiring["enquiries.projects"]} == {ended_old.pk}
    for name, records in expiring.items():
        if name.startswith("enquiries."):
            qs = Enquiry.objects.filter(pk__in=[r.pk for r, _ in records])
            assert target(name).expire(qs, actor="system:retention", run_ref="RUN-1") == 1
    remaining = set(Enquiry.objects.values_list("pk", flat=True))
    assert remaining == {closed_recent.pk, ended_recent.pk, running.pk}
    # One event per batch (here one batch per target), with its size and the run, no person.
    events = AuditEvent.objects.filter(action="enquiry.expired")
    assert [(json.loads(e.details)["records"], json.loads(e.details)["run_ref"], e.subject_ref)
            for e in events] == [
        (1, "RUN-1", "")] * 3
    assert not any(registry.expiring(decl)[n] for n in registry.targets if n.startswith("enquiries."))


def test_changing_a_rule_in_the_declaration_changes_what_expires(published, valid_data, default_source):
    """No code names a period or a trigger: they come from the declaration."""
    closed = make(valid_data, days=500, steps=[("closed", 400)])
    ended = make(valid_data, days=4000, steps=[("offer", 3990), ("project", 3980), ("ended", 3000)])
    data = yaml.safe_load(default_source)
    before = published.declaration()
    assert {r.pk for r, _ in registry.expiring(before)["enquiries.without_offer"]} == {closed.pk}

    for rule in data["retention"]:
        if rule["purpose"] == "enquiries":
            rule["period"] = "24m"  # longer than the 400 days since it closed
        if rule["purpose"] == "delivery" and rule["category"] in ("contact_details",
                                                                   "communication_content"):
            rule["period"], rule["after"] = "10y", "contract_end"
    longer = parse_declaration(yaml.safe_dump(data), source="test")
    expiring = registry.expiring(longer)
    assert expiring["enquiries.without_offer"] == [] and expiring["enquiries.projects"] == []

    for rule in data["retention"]:
        if rule["purpose"] == "enquiries":
            rule["period"] = "90d"
    shorter = parse_declaration(yaml.safe_dump(data), source="test")
    [(record, expiry)] = registry.expiring(shorter)["enquiries.without_offer"]
    assert record.pk == closed.pk and expiry < timezone.now() - timedelta(days=300)
    assert ended.pk not in {r.pk for r, _ in registry.expiring(shorter)["enquiries.projects"]}


def test_a_record_under_several_rules_is_kept_until_the_latest(published, valid_data, default_source):
    """An offer serves two purposes; if their periods differ, the longer one decides."""
    offer = make(valid_data, days=500, steps=[("offer", 450), ("closed", 400)])
    data = yaml.safe_load(default_source)
    for rule in data["retention"]:
        if rule["purpose"] == "offers" and rule["category"] == "contact_details":
            rule["period"] = "2y"
    decl = parse_declaration(yaml.safe_dump(data), source="test")
    # The "enquiries" rule (12 months) has run out, the "offers" one (2 years) has not.
    assert registry.expiring(decl)["enquiries.offers"] == []
    [(record, _)] = registry.expiring(published.declaration())["enquiries.offers"]
    assert record.pk == offer.pk


def test_the_served_altcha_stylesheet_matches_the_installed_widget():
    """If altcha-django is upgraded, regenerate it: python -m privet.enquiries.altcha_css"""
    assert altcha_css.CSS_FILE.read_text(encoding="utf-8") == altcha_css.extract()


def test_a_restricted_enquiry_is_kept_and_not_worked_on(published, valid_data):
    from privet.enquiries.errors import ProcessingRestricted

    old = make(valid_data, days=500, steps=[("closed", 400)])
    assert source().restrict(ANNA, **ACT).changed == 1
    assert registry.is_restricted(Enquiry.objects.get(pk=old.pk))
    expired, held = target("enquiries.without_offer").expired(published.declaration())
    assert expired == [] and [r.pk for r in held] == [old.pk]  # stored, not deleted
    assert target("enquiries.without_offer").expire(
        Enquiry.objects.filter(pk=old.pk), actor="system:retention", run_ref="") == 0
    assert Enquiry.objects.filter(pk=old.pk).exists()
    fresh = make(valid_data, email="anna@example.com")
    source().restrict(ANNA, **ACT)
    with pytest.raises(ProcessingRestricted, match=r"Art\. 18"):
        services.change_status(enquiry=fresh, to_status="offer", actor="test")
    with pytest.raises(ProcessingRestricted):
        services.add_note(enquiry=Enquiry.objects.get(pk=fresh.pk), body="called her", actor="test")
    assert Enquiry.objects.get(pk=fresh.pk).status == "new"
    assert not EnquiryNote.objects.filter(enquiry_id=fresh.pk).exists()


def test_a_restriction_can_be_lifted(published, valid_data):
    mine = make(valid_data)
    source().restrict(ANNA, **ACT)
    assert source().lift_restriction(ANNA, **ACT).changed == 1
    assert source().lift_restriction(ANNA, **ACT).changed == 0  # nothing more to lift
    mine.refresh_from_db()
    assert not registry.is_restricted(mine)
    services.change_status(enquiry=mine, to_status="offer", actor="test")
    assert AuditEvent.objects.filter(action="enquiry.restriction_lifted").count() == 1


def test_an_objection_stops_work_where_legitimate_interest_is_a_basis(published, valid_data):
    from privet.enquiries.errors import ProcessingRestricted

    mine = make(valid_data)
    assert source().object(ANNA, **ACT).changed == 1  # the default declares 6(1)(f) for enquiries
    with pytest.raises(ProcessingRestricted, match=r"Art\. 21"):
        services.change_status(enquiry=Enquiry.objects.get(pk=mine.pk), to_status="offer",
                               actor="test")
    assert source().object(ANNA, **ACT).changed == 0


def test_an_objection_still_lets_the_enquiry_end_so_its_retention_starts(published, valid_data):
    mine = make(valid_data)
    source().object(ANNA, **ACT)
    closed = services.change_status(enquiry=Enquiry.objects.get(pk=mine.pk), to_status="closed",
                                    actor="test")
    assert closed.closed_at is not None


def test_erasure_keeps_a_project_only_while_its_claims_period_runs(published, valid_data):
    running = make(valid_data, days=900, steps=[("offer", 890), ("project", 880)])
    recent = make(valid_data, days=900, steps=[("offer", 890), ("project", 880), ("ended", 700)])
    long_over = make(valid_data, days=4000, steps=[("offer", 3990), ("project", 3980), ("ended", 3000)])
    plan = source().plan(ANNA)
    assert (plan.records, plan.kept_records, plan.erasable) == (3, 2, 1)
    report = source().erase(ANNA, **ACT)
    assert report.erased == 1
    assert set(Enquiry.objects.values_list("pk", flat=True)) == {running.pk, recent.pk}
    assert not Enquiry.objects.filter(pk=long_over.pk).exists()


def test_the_sql_bound_never_hides_an_expired_record_across_daylight_saving(published, valid_data,
                                                                            default_source):
    """90 days from 29 March 2025, 01:30 in Warsaw end an hour early in UTC (summer time began
    on 30 March): the record must be found from that moment, not an hour later."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from privet.registry import rule_expiry

    mine = make(valid_data)
    closed_at = datetime(2025, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/Warsaw"))
    Enquiry.objects.filter(pk=mine.pk).update(status="closed", closed_at=closed_at)
    data = yaml.safe_load(default_source)
    for rule in data["retention"]:
        if rule["purpose"] == "enquiries":
            rule["period"] = "90d"
    decl = parse_declaration(yaml.safe_dump(data), source="test")
    [rule] = decl.rules_for(category="contact_details", purpose="enquiries")
    end = rule_expiry(rule, closed_at)
    assert end.astimezone(UTC) - closed_at.astimezone(UTC) < timedelta(days=90)  # summer time
    expired, _ = target("enquiries.without_offer").expired(decl, end + timedelta(minutes=1))
    assert [r.pk for r, _ in expired] == [mine.pk]
    assert target("enquiries.without_offer").expired(decl, end - timedelta(minutes=1))[0] == []


def test_a_rule_whose_trigger_is_still_to_come_keeps_the_record(published, valid_data):
    """A target mapping two triggers: the record waits for both (the latest expiry of all)."""
    from dataclasses import replace

    project = make(valid_data, days=900, steps=[("offer", 890), ("project", 880)])
    Enquiry.objects.filter(pk=project.pk).update(closed_at=timezone.now() - timedelta(days=800))
    both = replace(target("enquiries.projects"),
                   triggers={"enquiry_closed": "closed_at", "contract_end": "project_ended_at"})
    decl = published.declaration()
    assert both.expires_at(Enquiry.objects.get(pk=project.pk), both.rules(decl)) is None
    assert both.expired(decl) == ([], [])
