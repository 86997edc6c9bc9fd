"""The lifecycle services: what they store, what they refuse, what they audit."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from privet.audit.models import AuditEvent
from privet.enquiries import selectors, services
from privet.enquiries.errors import InvalidEnquiry, InvalidTransition
from privet.enquiries.models import Enquiry, EnquiryStatusChange, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(db):
    """A user with the operator role (not staff: roles, not is_staff, decide who works enquiries)."""
    from privet.panel.roles import OPERATOR
    from privet.panel.services import assign_role

    user = get_user_model().objects.create_user("olga", "olga@studio.test", "x" * 16)
    assign_role(user=user, role=OPERATOR, actor="test")
    get_user_model().objects.create_user("ted", "ted@studio.test", "x" * 16)  # no role: no mail
    return user


@pytest.fixture
def enquiry(published, valid_data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.submit_enquiry(data=valid_data, client_ref="c1", language="pl")


def test_submit_stores_the_enquiry_with_policy_hash_and_audits_without_personal_data(
        enquiry, published, mailoutbox):
    assert enquiry.status == Status.NEW and enquiry.channel == "form"
    assert enquiry.policy_version == published.content_hash
    assert enquiry.language == "pl"
    event = AuditEvent.objects.get(action="enquiry.received")
    assert event.object_id == str(enquiry.pk) and event.subject_ref
    assert "anna" not in event.details.lower() and "Kowalska" not in event.details
    # Acknowledgement to the person, in Polish; no operators configured and no staff -> one mail.
    assert [m.to for m in mailoutbox] == [["anna@example.com"]]
    assert f"E-{enquiry.pk:06d}" in mailoutbox[0].subject
    assert "Otrzymaliśmy" in mailoutbox[0].subject


def test_operators_get_a_notice_without_the_content(published, valid_data, operator, mailoutbox,
                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_enquiry(data=valid_data, client_ref="c1", language="en")
    notice = next(m for m in mailoutbox if m.to == ["olga@studio.test"])
    assert not any("ted@studio.test" in m.to for m in mailoutbox)
    body = notice.body + notice.alternatives[0][0]
    for personal in ("Anna", "anna@example.com", "600 100 200", "booking panel", "Kowalska"):
        assert personal not in body
    assert "Web application" in notice.subject


def test_refuses_unknown_missing_and_overlong_fields(published, valid_data):
    with pytest.raises(InvalidEnquiry):
        services.submit_enquiry(data={**valid_data, "birthday": "1990-01-01"}, client_ref="c", language="en")
    with pytest.raises(InvalidEnquiry):
        services.submit_enquiry(data={**valid_data, "email": ""}, client_ref="c", language="en")
    with pytest.raises(InvalidEnquiry):
        services.submit_enquiry(data={**valid_data, "message": "x" * 5001}, client_ref="c", language="en")
    assert not Enquiry.objects.exists()


def test_the_whole_lifecycle_records_who_changed_what_and_when(published, valid_data, operator):
    enquiry = services.log_enquiry(data=valid_data, actor=operator,
                                   received_at=timezone.now() - timedelta(days=10))
    signed = timezone.now() - timedelta(minutes=5)
    services.change_status(enquiry=enquiry, to_status="offer", actor=operator, at=signed - timedelta(days=1))
    with pytest.raises(InvalidTransition, match="before the previous"):
        services.change_status(enquiry=enquiry, to_status="project", actor=operator,
                               at=signed - timedelta(days=2))
    services.change_status(enquiry=enquiry, to_status="project", actor=operator, at=signed,
                           reason="Contract signed")
    services.change_status(enquiry=enquiry, to_status="ended", actor=operator)
    assert enquiry.status == "ended"
    assert enquiry.contract_signed_at == signed and enquiry.project_ended_at and enquiry.offer_at
    changes = list(EnquiryStatusChange.objects.filter(enquiry=enquiry).values_list(
        "from_status", "to_status", "actor"))
    assert changes == [("", "new", operator.pk), ("new", "offer", operator.pk),
                       ("offer", "project", operator.pk), ("project", "ended", operator.pk)]
    assert AuditEvent.objects.filter(action="enquiry.status_changed").count() == 3
    assert enquiry.retention_trigger() == ("contract_end", enquiry.project_ended_at)


@pytest.mark.parametrize(("path", "bad"), [
    ([], "project"), ([], "ended"), (["closed"], "offer"), (["offer", "project"], "closed"),
    (["offer", "project", "ended"], "new"), ([], "bogus"),
])
def test_refuses_transitions_the_lifecycle_does_not_allow(enquiry, operator, path, bad):
    for step in path:
        services.change_status(enquiry=enquiry, to_status=step, actor=operator)
    with pytest.raises(InvalidTransition) as exc:
        services.change_status(enquiry=enquiry, to_status=bad, actor=operator)
    assert exc.value.code == "invalid_transition" and exc.value.status == 409
    assert Enquiry.objects.get(pk=enquiry.pk).status == (path[-1] if path else "new")


def test_refuses_a_status_date_in_the_future(enquiry, operator):
    with pytest.raises(InvalidTransition):
        services.change_status(enquiry=enquiry, to_status="offer", actor=operator,
                               at=timezone.now() + timedelta(days=1))


def test_operator_logs_an_email_enquiry_and_notes_it(published, valid_data, operator, mailoutbox):
    received = timezone.now() - timedelta(hours=3)
    enquiry = services.log_enquiry(data=valid_data, actor=operator, channel="email", received_at=received)
    assert enquiry.created_by == operator and enquiry.channel == "email"
    assert enquiry.received_at == received
    services.add_note(enquiry=enquiry, body="Called back, wants a quote.", actor=operator,
                      contact_at=timezone.now())
    history = selectors.enquiry_history(enquiry)
    assert [h.kind for h in history] == ["status", "event", "note"]  # the status took effect on receipt
    assert history[1].actor == "olga" and history[1].action == "enquiry.logged"
    assert history[1].title == "Logged in the panel"
    assert history[2].text == "Called back, wants a quote."
    assert mailoutbox == []
    with pytest.raises(InvalidEnquiry):
        services.log_enquiry(data=valid_data, actor=operator, channel="form")


def test_selectors(published, valid_data, operator):
    a = services.log_enquiry(data=valid_data, actor=operator)
    b = services.log_enquiry(data={**valid_data, "name": "Jan Nowak", "email": "jan@example.org",
                                   "project_type": "website"}, actor=operator)
    services.change_status(enquiry=b, to_status="closed", actor=operator)
    assert list(selectors.open_enquiries()) == [a]
    assert list(selectors.search_enquiries(q="nowak")) == [b]
    assert list(selectors.search_enquiries(q=a.reference)) == [a]
    assert list(selectors.search_enquiries(status="closed")) == [b]
    # Odd "numbers" are searched as text, never crash: a superscript digit, a 30-digit run.
    assert list(selectors.search_enquiries(q="²")) == []
    assert list(selectors.search_enquiries(q="9" * 30)) == []
    assert list(selectors.search_enquiries(project_type="web_app")) == [a]
    assert selectors.status_counts() == {"new": 1, "offer": 0, "project": 0, "ended": 0, "closed": 1}


def test_demo_data_loads_once(published):
    import io

    from privet.enquiries import demo_data

    out = io.StringIO()
    demo_data.load(out)
    demo_data.load(out)
    assert Enquiry.objects.count() == len(demo_data.ENQUIRIES)
    assert set(Enquiry.objects.values_list("status", flat=True)) == {"new", "offer", "project", "ended",
                                                                      "closed"}
    assert "already loaded" in out.getvalue()


def test_the_form_submission_is_a_transaction_of_its_own(published, valid_data):
    """submit_enquiry is durable: when it returns, the enquiry is committed and its mail queued,
    so a caller's larger transaction, which could still roll it back after the visitor was
    thanked, is refused (the demo loader wraps log_enquiry and change_status, never this)."""
    from django.db import transaction

    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        services.submit_enquiry(data=valid_data, client_ref="c1", language="en")
    assert not Enquiry.objects.exists()
