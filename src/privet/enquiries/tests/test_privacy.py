"""The rights engine's and the retention engine's view of enquiries, and the drift mapping."""

from datetime import timedelta

import pytest
from django.utils import timezone

from privet.audit.models import AuditEvent
from privet.enquiries import altcha_css, services
from privet.enquiries.models import Enquiry, EnquiryNote
from privet.policy.loader import load_declaration
from privet.registry import SubjectQuery, SubjectSource, registry

pytestmark = pytest.mark.django_db


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


def test_every_personal_field_is_mapped_to_a_declared_category(settings):
    categories = load_declaration(settings.PRIVET_DEFAULT_POLICY_FILE).category_ids
    for field in ("name", "company", "email", "phone", "message"):
        assert registry.category_of(Enquiry, field) in categories
    assert registry.category_of(EnquiryNote, "body") == "communication_content"


def test_find_export_rectify_restrict(published, valid_data):
    mine = make(valid_data)
    services.add_note(enquiry=mine, body="Prefers mornings.", actor="test")
    make(valid_data, email="someone@else.example")
    assert source().find(SubjectQuery(email="ANNA@example.com")) == [mine]
    exported = source().export(SubjectQuery(email="anna@example.com"))
    [item] = exported["enquiries"]
    assert item["message"] == valid_data["message"] and item["notes"][0]["text"] == "Prefers mornings."
    assert source().rectify(SubjectQuery(email="anna@example.com"), {"name": "Anna Nowak"}) == 1
    assert Enquiry.objects.get(pk=mine.pk).name == "Anna Nowak"
    with pytest.raises(ValueError):
        source().rectify(SubjectQuery(email="anna@example.com"), {"status": "ended"})
    assert source().restrict(SubjectQuery(email="anna@example.com")) == 1
    assert Enquiry.objects.get(pk=mine.pk).restricted_at is not None
    assert AuditEvent.objects.filter(action__in=["enquiry.rectified", "enquiry.restricted"]).count() == 2


def test_phone_matches_whatever_the_separators_but_only_the_whole_number(published, valid_data):
    mine = make(valid_data)  # stored as "+48 600 100 200"
    assert source().find(SubjectQuery(phone="+48600100200")) == [mine]
    assert source().find(SubjectQuery(phone="(48) 600-100-200")) == [mine]
    # Someone else's number must never match: another prefix, a suffix, a near miss.
    assert source().find(SubjectQuery(phone="+1 600 100 200")) == []
    assert source().find(SubjectQuery(phone="600 100 200")) == []
    assert source().find(SubjectQuery(phone="100 200")) == []
    assert source().find(SubjectQuery(phone="+48-600-100-201")) == []
    assert source().erase(SubjectQuery(phone="600 100 200")) == 0
    assert Enquiry.objects.filter(pk=mine.pk).exists()


def test_erase_keeps_what_a_contract_requires(published, valid_data):
    open_one = make(valid_data, days=30)
    project = make(valid_data, days=30, steps=[("offer", 20), ("project", 10)])
    assert source().erase(SubjectQuery(email="anna@example.com")) == 1
    assert list(Enquiry.objects.all()) == [project]
    assert "Civil Code" in source().retention_reason(project)
    assert source().retention_reason(open_one) is None
    assert AuditEvent.objects.filter(action="enquiry.erased", object_id=str(open_one.pk)).exists()


def hook(category, purpose):
    [found] = [h for h in registry.retention_hooks if h.category == category and h.purpose == purpose]
    return found


def test_retention_hooks_follow_the_declared_rules(published, valid_data):
    decl = published.declaration()
    closed_old = make(valid_data, days=500, steps=[("closed", 400)])
    closed_recent = make(valid_data, days=100, steps=[("closed", 90)])
    offer_closed_old = make(valid_data, days=500, steps=[("offer", 450), ("closed", 400)])
    ended_old = make(valid_data, days=4000, steps=[("offer", 3990), ("project", 3980), ("ended", 3000)])
    ended_recent = make(valid_data, days=900, steps=[("offer", 890), ("project", 880), ("ended", 700)])
    running = make(valid_data, days=900, steps=[("offer", 890), ("project", 880)])

    def expiry(category, purpose):
        [rule] = decl.rules_for(category=category, purpose=purpose)
        return rule.expires_at

    assert hook("contact_details", "enquiries").expire(expiry("contact_details", "enquiries")) == 1
    assert hook("contact_details", "offers").expire(expiry("contact_details", "offers")) == 1
    assert hook("contact_details", "delivery").expire(expiry("contact_details", "delivery")) == 1
    remaining = set(Enquiry.objects.values_list("pk", flat=True))
    assert remaining == {closed_recent.pk, ended_recent.pk, running.pk}
    for gone in (closed_old, offer_closed_old, ended_old):
        assert AuditEvent.objects.filter(action="enquiry.expired", object_id=str(gone.pk)).exists()
    # A second run of the sibling rule (communication_content) finds nothing more.
    sibling = hook("communication_content", "enquiries")
    assert sibling.expire(expiry("communication_content", "enquiries")) == 0


def test_the_served_altcha_stylesheet_matches_the_installed_widget():
    """If altcha-django is upgraded, regenerate it: python -m privet.enquiries.altcha_css"""
    assert altcha_css.CSS_FILE.read_text(encoding="utf-8") == altcha_css.extract()


def test_a_restricted_enquiry_is_kept_and_not_worked_on(published, valid_data):
    from privet.enquiries.errors import ProcessingRestricted

    old = make(valid_data, days=500, steps=[("closed", 400)])
    assert source().restrict(SubjectQuery(email="anna@example.com")) == 1
    rule = published.declaration().rules_for(category="contact_details", purpose="enquiries")[0]
    assert hook("contact_details", "enquiries").expire(rule.expires_at) == 0  # stored, not deleted
    assert Enquiry.objects.filter(pk=old.pk).exists()
    fresh = make(valid_data, email="anna@example.com")
    source().restrict(SubjectQuery(email="anna@example.com"))
    with pytest.raises(ProcessingRestricted, match=r"Art\. 18"):
        services.change_status(enquiry=fresh, to_status="offer", actor="test")
    with pytest.raises(ProcessingRestricted):
        services.add_note(enquiry=Enquiry.objects.get(pk=fresh.pk), body="called her", actor="test")
    assert Enquiry.objects.get(pk=fresh.pk).status == "new"
    assert not EnquiryNote.objects.filter(enquiry_id=fresh.pk).exists()
