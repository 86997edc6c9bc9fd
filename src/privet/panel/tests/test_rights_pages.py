"""Operators work rights requests in the panel: the list by due date, logging a request from a
letter, one request's deadline, plan, history and decisions, the pause switch and the
dashboard's card. Real services, a real database, the panel's real sign-in."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from privet.audit.models import AuditEvent
from privet.enquiries.services import log_enquiry
from privet.panel.roles import ADMINISTRATOR, OPERATOR, PRIVACY_OFFICER, ROLE_PERMISSIONS
from privet.registry import registry
from privet.rights import deadlines, engine, services
from privet.rights.models import MailKind, RightsMail, RightsRequest, RightsSettings, Status

from .conftest import sign_in

pytestmark = pytest.mark.django_db


def logged(right: str = "access", email: str = "jan@example.com", *, days_ago: int = 0,
           verified: bool = True, **extra) -> RightsRequest:
    return services.log_request(
        right=right, email=email, actor="test", channel="email", verified=verified,
        verification_note="wrote from the address we know" if verified else "",
        received_at=timezone.now() - timedelta(days=days_ago), **extra)


def text(response) -> str:
    """The page's text without tags, spaces collapsed (what a person reads)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


# --- roles ---------------------------------------------------------------------------------------

def test_every_role_works_rights_requests_but_only_officers_and_admins_pause():
    perms = {g.name: {p.codename for p in g.permissions.all()}
             for g in Group.objects.filter(name__in=ROLE_PERMISSIONS)}
    assert "work_rights" in perms[OPERATOR] and "pause_rights" not in perms[OPERATOR]
    assert {"work_rights", "pause_rights"} <= perms[PRIVACY_OFFICER]
    assert {"work_rights", "pause_rights"} <= perms[ADMINISTRATOR]


def test_a_signed_in_user_without_the_capability_gets_403(make_operator):
    client = sign_in(Client(), make_operator("nobody", role=None))
    assert client.get("/panel/rights/").status_code == 403
    request = logged()
    assert client.get(f"/panel/rights/{request.pk}/").status_code == 403


def test_the_list_shows_every_request_to_anyone_who_works_them(operator_client, make_operator):
    other = make_operator("ewa", OPERATOR)
    mine = logged(email="a@example.com")
    theirs = logged(email="b@example.com")
    services.assign(request=theirs, operator=other, actor="test")
    page = text(operator_client.get("/panel/rights/"))
    assert mine.reference in page and theirs.reference in page
    assert "ewa" in page
    # "Assigned to me" narrows it to olga's, of which there are none.
    only_mine = text(operator_client.get("/panel/rights/?mine=on"))
    assert theirs.reference not in only_mine and mine.reference not in only_mine


# --- the list ------------------------------------------------------------------------------------

def test_the_list_puts_overdue_first_marks_it_and_counts_days(operator_client):
    fresh = logged(email="fresh@example.com")
    old = logged(email="old@example.com", days_ago=40)
    response = operator_client.get("/panel/rights/")
    html = response.content.decode()
    assert html.index(old.reference) < html.index(fresh.reference)
    overdue_by = (deadlines.local_today() - old.due_on).days
    assert f"overdue by {overdue_by} days" in text(response)
    assert 'class="row-overdue"' in html
    left = (fresh.due_on - deadlines.local_today()).days
    assert f"{left} days left" in text(response)


def test_filters_by_status_right_and_overdue(operator_client):
    access = logged("access", email="a@example.com")
    erasure = logged("erasure", email="e@example.com", days_ago=40)
    services.refuse(request=logged("access", email="r@example.com"), ground="excessive",
                    reason="asked daily", actor="test")
    by_right = text(operator_client.get("/panel/rights/?right=erasure"))
    assert erasure.reference in by_right and access.reference not in by_right
    overdue = text(operator_client.get("/panel/rights/?overdue=on"))
    assert erasure.reference in overdue and access.reference not in overdue
    closed = text(operator_client.get("/panel/rights/?status=closed"))
    assert "R-" in closed and access.reference not in closed and erasure.reference not in closed
    refused = operator_client.get("/panel/rights/?status=refused")
    assert "1 request" in text(refused)
    # A count per status, each linking to its filter.
    assert 'href="/panel/rights/?status=verified"' in refused.content.decode()


def test_a_filter_value_not_among_the_choices_is_ignored_and_said(operator_client):
    logged()
    response = operator_client.get("/panel/rights/?status=bogus&right=erasure")
    assert response.status_code == 200
    assert "This filter was not understood and was ignored: Status." in text(response)


# --- logging a request ---------------------------------------------------------------------------

def test_an_operator_logs_a_letter_with_its_day_and_verified_identity(operator_client):
    day = deadlines.local_today() - timedelta(days=3)
    response = operator_client.post("/panel/rights/new/", {
        "right": "erasure", "email": "jan@example.com", "phone": "", "details": "Delete me.",
        "channel": "letter", "language": "pl", "received_on": day.isoformat(),
        "verified": "on", "verification_note": "Signed letter, ID shown at the office"})
    request = RightsRequest.objects.get()
    assert response.status_code == 302 and response.url == f"/panel/rights/{request.pk}/"
    assert request.status == Status.VERIFIED and request.channel == "letter"
    assert request.language == "pl" and deadlines.local_date(request.received_at) == day
    assert request.due_on == deadlines.due_date(request.received_at)
    assert request.created_by.username == "olga"
    assert not RightsMail.objects.filter(kind=MailKind.VERIFICATION).exists()


def test_an_unverified_logged_request_mails_a_verification_link(operator_client):
    operator_client.post("/panel/rights/new/", {
        "right": "access", "email": "jan@example.com", "channel": "email", "language": "en"})
    request = RightsRequest.objects.get()
    assert request.status == Status.UNVERIFIED
    assert RightsMail.objects.filter(request=request, kind=MailKind.VERIFICATION).exists()


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"received_on": "2999-01-01"}, "received_on", "A request cannot be received in the future."),
    ({"received_on": "1999-12-31"}, "received_on", "Enter a date from 2000-01-01 on."),
    ({"verified": "on"}, "verification_note", "Say how the person&#x27;s identity was verified."),
    ({"right": "rectification"}, "details", "Say what is to be corrected"),
    ({"email": "not an address"}, "email", "Enter a valid email address."),
])
def test_a_bad_logged_request_is_refused_beside_its_field_and_stores_nothing(
        operator_client, data, field, message):
    response = operator_client.post("/panel/rights/new/", {
        "right": "access", "email": "jan@example.com", "channel": "email", "language": "en",
        **data})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html and message in html
    assert re.search(rf'<[^>]+id="id_{field}"[^>]*aria-invalid="true"', html) or re.search(
        rf'<[^>]+aria-invalid="true"[^>]*id="id_{field}"', html)
    assert not RightsRequest.objects.exists()


def test_a_request_about_a_clients_data_names_the_client_and_the_persons_username(
        operator_client):
    from django.contrib.auth import get_user_model

    from privet.integrations import services as integrations

    mine = integrations.create_client(name="Acme", slug="acme", actor="test")
    integrations.create_client(name="Beta", slug="beta", actor="test")
    integrations.assign_operators(client=mine, actor="test",
                                  users=[get_user_model().objects.get(username="olga")])
    page = operator_client.get("/panel/rights/new/").content.decode()
    assert 'value="acme"' in page and 'value="beta"' not in page  # only the operator's clients
    data = {"right": "erasure", "email": "jan@example.com", "channel": "email",
            "language": "en", "handle": "@jan.tt"}
    refused = operator_client.post("/panel/rights/new/", data)
    assert refused.status_code == 400 and 'id="id_client_error"' in refused.content.decode()
    operator_client.post("/panel/rights/new/", {**data, "client": "acme"})
    request = RightsRequest.objects.get()
    assert (request.client, request.handle) == ("acme", "jan.tt")
    assert engine.subject_of(request).handle == "jan.tt"


# --- one request ---------------------------------------------------------------------------------

@pytest.fixture
def person_with_data(published):
    """A verified erasure request by someone who sent an enquiry."""
    log_enquiry(data={"name": "Jan Kowalski", "company": "", "email": "jan@example.com",
                      "phone": "", "project_type": "web_app", "message": "A shop, please."},
                actor="test")
    return logged("erasure")


def test_the_request_page_shows_deadline_plan_and_history(operator_client, person_with_data):
    request = person_with_data
    response = operator_client.get(f"/panel/rights/{request.pk}/")
    assert response.status_code == 200
    page = text(response)
    assert request.due_on.isoformat() in page
    assert deadlines.first_month_end(request.received_at).isoformat() in page  # may extend
    # The plan: one table per store, named in words; the categories in the declaration's words.
    plan = engine.plan_request(request)
    for source in plan.sources:
        assert registry.source_label(source.source) in page
    assert "Enquiries and projects" in page and "Cookie choices" in page
    assert "consent_receipts" not in page and "rights_requests" not in page
    assert "Contact details" in page  # the declaration's label, not "contact_details"
    erasable, kept = plan.erasable, plan.kept
    assert erasable >= 1
    assert f"{erasable} record{'s' if erasable != 1 else ''} will be erased, {kept} kept." in page
    # The history: the audit events, worded.
    assert "Rights request logged in the panel" in page and "Rights request verified" in page


def test_an_unverified_request_shows_no_plan_and_no_carry_out(operator_client, published):
    request = logged(verified=False)
    page = text(operator_client.get(f"/panel/rights/{request.pk}/"))
    assert "searched only once the person's identity is verified" in page
    assert "Carry out" not in page


def test_assign_then_refuse_with_errors_beside_the_fields(operator_client, make_operator,
                                                          person_with_data):
    request = person_with_data
    ewa = make_operator("ewa", OPERATOR)
    response = operator_client.post(f"/panel/rights/{request.pk}/assign/", {"operator": ewa.pk})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.assigned_to == ewa
    assert AuditEvent.objects.filter(action="rights.assigned", object_id=str(request.pk)).exists()
    # A refusal without a reason: refused beside the field, nothing changed.
    response = operator_client.post(f"/panel/rights/{request.pk}/refuse/",
                                    {"ground": "excessive", "reason": ""})
    assert response.status_code == 400
    assert 'id="id_reason_error"' in response.content.decode()
    request.refresh_from_db()
    assert request.status == Status.VERIFIED
    response = operator_client.post(f"/panel/rights/{request.pk}/refuse/",
                                    {"ground": "excessive", "reason": "The fifth this week."})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.REFUSED and request.refusal_ground == "excessive"
    assert RightsMail.objects.filter(request=request, kind=MailKind.REFUSED).exists()


def test_extend_within_the_first_month_and_refused_after_it(operator_client, published):
    fresh = logged()
    response = operator_client.post(f"/panel/rights/{fresh.pk}/extend/",
                                    {"months": "2", "reason": "Many stores to search."})
    assert response.status_code == 302
    fresh.refresh_from_db()
    assert fresh.extension_months == 2
    assert fresh.due_on == deadlines.due_date(fresh.received_at, extension_months=2)
    late = logged(email="late@example.com", days_ago=40)
    page = text(operator_client.get(f"/panel/rights/{late.pk}/"))
    assert "Extend the deadline" not in page  # not offered after the first month
    response = operator_client.post(f"/panel/rights/{late.pk}/extend/",
                                    {"months": "1", "reason": "Late."})
    assert response.status_code == 409
    assert "The first month has passed" in response.content.decode()
    late.refresh_from_db()
    assert late.extension_months == 0


def test_ask_for_proof_then_record_it(operator_client, published):
    request = logged()
    operator_client.post(f"/panel/rights/{request.pk}/ask_proof/",
                         {"what": "A copy of the signed contract."})
    request.refresh_from_db()
    assert request.status == Status.AWAITING_PERSON
    assert "Proof received" in text(operator_client.get(f"/panel/rights/{request.pk}/"))
    operator_client.post(f"/panel/rights/{request.pk}/proof_received/",
                         {"note": "Contract copy received by mail."})
    request.refresh_from_db()
    assert request.status == Status.VERIFIED


def test_record_a_withdrawal(operator_client, published):
    request = logged()
    response = operator_client.post(f"/panel/rights/{request.pk}/withdraw/",
                                    {"reason": "The person wrote to cancel it."})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.WITHDRAWN and request.closed_at


def test_an_unknown_action_is_404_and_get_is_not_allowed(operator_client, published):
    request = logged()
    assert operator_client.post(f"/panel/rights/{request.pk}/explode/").status_code == 404
    assert operator_client.get(f"/panel/rights/{request.pk}/refuse/").status_code == 405


def test_carry_out_starts_the_work(operator_client, person_with_data, django_capture_on_commit_callbacks):
    request = person_with_data
    response = operator_client.post(f"/panel/rights/{request.pk}/start/")
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.IN_PROGRESS and request.started_at
    assert "Carry out" not in text(operator_client.get(f"/panel/rights/{request.pk}/"))


def test_a_rectification_needs_a_new_value_for_an_attribute_a_store_holds(
        operator_client, published):
    request = logged("rectification", details="My name is Jan Nowak now.")
    page = operator_client.get(f"/panel/rights/{request.pk}/").content.decode()
    assert 'name="change_name"' in page and 'name="change_email"' in page
    assert 'name="change_postal_address"' not in page  # no store holds it
    response = operator_client.post(f"/panel/rights/{request.pk}/start/", {"change_name": ""})
    assert response.status_code == 400 and "Give at least one corrected value." in response.content.decode()
    request.refresh_from_db()
    assert request.status == Status.VERIFIED and request.changes == {}
    response = operator_client.post(f"/panel/rights/{request.pk}/start/",
                                    {"change_name": "Jan Nowak"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.IN_PROGRESS and request.changes == {"name": "Jan Nowak"}
    event = AuditEvent.objects.get(action="rights.started", object_id=str(request.pk))
    assert "Jan Nowak" not in event.details and "name" in event.details


def test_processor_data_says_it_will_be_routed_to_the_client(operator_client, published):
    request = logged()
    RightsRequest.objects.filter(pk=request.pk).update(client="bakery-chain")
    page = text(operator_client.get(f"/panel/rights/{request.pk}/"))
    assert "routed to that client, the controller" in page and "bakery-chain" in page


def test_a_completed_request_shows_its_result(operator_client, published):
    request = logged("erasure")
    RightsRequest.objects.filter(pk=request.pk).update(status=Status.COMPLETED, result={
        "sources": {"enquiries": {"records": 3, "holdings": {"contact_details": 3}, "erased": 2,
                                  "kept": [{"records": 1, "reason": "A project is kept for claims.",
                                            "rules": ["project_data/delivery after contract_end"]}]}},
        "recipients_notified": ["hosting_email", "retired"], "archive": False})
    page = text(operator_client.get(f"/panel/rights/{request.pk}/"))
    assert "Enquiries and projects" in page and "Erased 2" in page
    assert "A project is kept for claims." in page
    assert "after the contract ends" in page  # the rule in the declaration's words
    # Recipients by the declaration's labels; one it no longer declares, by its id.
    assert ("Recipients notified: Hosting, server infrastructure and email service providers; "
            "retired") in page


def test_a_failed_request_offers_processing_again(operator_client, published):
    request = logged()
    RightsRequest.objects.filter(pk=request.pk).update(status=Status.FAILED, error="OperationalError")
    page = text(operator_client.get(f"/panel/rights/{request.pk}/"))
    assert "A step failed (OperationalError" in page
    response = operator_client.post(f"/panel/rights/{request.pk}/reprocess/")
    request.refresh_from_db()
    assert response.status_code == 302 and request.status != Status.FAILED
    assert request.attempt == 2


# --- pause ---------------------------------------------------------------------------------------

def test_an_officer_pauses_with_a_reason_and_every_rights_page_says_so(
        officer_client, operator_client, published):
    request = logged()
    refused = officer_client.post("/panel/rights/pause/", {"reason": ""})
    assert refused.status_code == 400 and 'id="id_reason_error"' in refused.content.decode()
    assert not services.is_paused()
    officer_client.post("/panel/rights/pause/", {"reason": "Erasures failed overnight."})
    assert services.is_paused()
    for url in ("/panel/rights/", "/panel/rights/new/", f"/panel/rights/{request.pk}/"):
        page = text(operator_client.get(url))
        assert "Processing of rights requests is paused." in page, url
        assert "Erasures failed overnight." in page and "piotr" in page, url
    # An operator cannot resume it, nor carry a request out while paused.
    assert operator_client.post("/panel/rights/resume/").status_code == 403
    assert operator_client.post(f"/panel/rights/{request.pk}/start/").status_code == 409
    request.refresh_from_db()
    assert request.status == Status.VERIFIED
    officer_client.post("/panel/rights/resume/")
    assert not services.is_paused()
    assert RightsSettings.objects.get().paused_by is None


def test_an_operator_sees_the_switch_but_cannot_pause(operator_client):
    page = operator_client.get("/panel/rights/").content.decode()
    assert 'action="/panel/rights/pause/"' not in page
    assert operator_client.post("/panel/rights/pause/", {"reason": "x"}).status_code == 403
    assert not services.is_paused()


# --- dashboard -----------------------------------------------------------------------------------

def test_the_dashboard_counts_rights_requests_and_links_the_filters(operator_client, published):
    logged(email="a@example.com")
    logged(email="b@example.com", days_ago=40)  # overdue
    logged(email="c@example.com", days_ago=25)  # due within 7 days
    logged(email="d@example.com", verified=False)
    failed = logged(email="e@example.com")
    RightsRequest.objects.filter(pk=failed.pk).update(status=Status.FAILED)
    response = operator_client.get("/panel/")
    html = response.content.decode()
    page = text(response)
    assert "Rights requests due" not in page
    assert re.search(r"Open 5\b", page) and re.search(r"Overdue 1\b", page)
    assert re.search(r"Due within 7 days 1\b", page)
    assert re.search(r"Awaiting verification 1\b", page) and re.search(r"Failed 1\b", page)
    for link in ("?overdue=on", "?soon=on", "?status=unverified", "?status=failed"):
        assert f'href="/panel/rights/{link}"' in html
    soon = text(operator_client.get("/panel/rights/?soon=on"))
    assert "1 request" in soon


def test_a_decision_the_rules_refuse_is_explained_in_the_panels_language(operator_client,
                                                                         published):
    """The services' and the engine's refusals are written in the operator's language when
    raised: a Polish operator reads Polish, with the states in Polish words."""
    late = logged("erasure", days_ago=40)
    response = operator_client.post(f"/pl/panel/rights/{late.pk}/extend/",
                                    {"months": 1, "reason": "Wiele systemów."})
    assert response.status_code == 409
    page = text(response)
    assert "Nic nie zmieniono: Pierwszy miesiąc już minął: art. 12 ust. 3 RODO wymaga" in page
    assert "Język angielski" in page  # the request's language, in words
    assert "The first month has passed" not in page
    late.refresh_from_db()
    assert late.extension_months == 0

    RightsRequest.objects.filter(pk=late.pk).update(status=Status.COMPLETED)
    response = operator_client.post(f"/pl/panel/rights/{late.pk}/withdraw/", {"reason": ""})
    assert response.status_code == 409
    page = text(response)
    assert f"{late.reference} ma status „Zrealizowane”" in page and "Wycofane" in page
    assert "it cannot become" not in page

    fresh = logged("erasure")  # verified, not failed: the engine refuses to reprocess it
    response = operator_client.post(f"/pl/panel/rights/{fresh.pk}/reprocess/")
    assert response.status_code == 409
    assert (f"W {fresh.reference} nie wystąpił błąd; od początku przetwarza się ponownie tylko "
            "żądanie zakończone błędem.") in text(response)
    # The same refusal in English on an English page.
    english = operator_client.post(f"/panel/rights/{fresh.pk}/reprocess/")
    assert f"{fresh.reference} has not failed; only a failed request" in text(english)
