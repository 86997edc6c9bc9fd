"""The retention pages: the rules and the stores that enforce them, the runs, what expires in
the next 30 days, the dry run, and legal holds placed and lifted through their forms. Real
retention engine, real database, the panel's real sign-in."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from privet.audit.models import AuditEvent
from privet.enquiries import services as enquiry_services
from privet.enquiries.models import Enquiry
from privet.panel.roles import ADMINISTRATOR, OPERATOR, PRIVACY_OFFICER
from privet.retention import engine, holds
from privet.retention.models import HoldReason, HoldScope, LegalHold

from .conftest import PASSWORD, code_for, sign_in

pytestmark = pytest.mark.django_db
WITHOUT_OFFER = "enquiries.without_offer"


def text(response) -> str:
    """The page's text without tags, spaces collapsed (what a person reads)."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def closed(days_ago: float, email: str = "anna@example.com") -> Enquiry:
    """An enquiry with no offer, closed ``days_ago``: the default declaration keeps it 12
    months after that."""
    now = timezone.now()
    made = enquiry_services.log_enquiry(
        data={"name": "Anna Kowalska", "company": "", "email": email, "phone": "",
              "project_type": "web_app", "message": "A booking panel, please."},
        actor="test", received_at=now - timedelta(days=days_ago + 5))
    enquiry_services.change_status(enquiry=made, to_status="closed", actor="test",
                                   at=now - timedelta(days=days_ago))
    return Enquiry.objects.get(pk=made.pk)


def due(enquiry: Enquiry) -> str:
    """The day ``enquiry`` expires (12 months after it closed, on the local calendar)."""
    return timezone.localtime(enquiry.closed_at).replace(
        year=timezone.localtime(enquiry.closed_at).year + 1).strftime("%Y-%m-%d")


def a_hold(**kwargs) -> LegalHold:
    return holds.place_hold(**{"scope": HoldScope.PERSON, "reason": HoldReason.CLAIM,
                               "email": "anna@example.com", "actor": "test", **kwargs})


# --- who sees what -------------------------------------------------------------------------------

def pages_anyone_sees(published) -> list[str]:
    run = engine.sweep()
    hold = a_hold()
    return ["/panel/retention/", "/panel/retention/plan/", f"/panel/retention/runs/{run.pk}/",
            "/panel/retention/holds/", "/panel/retention/holds/?state=ended",
            f"/panel/retention/holds/{hold.pk}/"]


@pytest.mark.parametrize("role", [OPERATOR, PRIVACY_OFFICER, ADMINISTRATOR])
def test_every_role_sees_the_retention_pages(published, make_operator, role):
    client = sign_in(Client(), make_operator("olga", role))
    for url in pages_anyone_sees(published):
        assert client.get(url).status_code == 200, url
    assert 'href="/panel/retention/"' in client.get("/panel/").content.decode()  # navigation
    may_hold = role != OPERATOR
    page = client.get("/panel/retention/").content.decode()
    assert ("Run now" in page) is may_hold
    assert (client.get("/panel/retention/holds/new/").status_code == 200) is may_hold


def test_a_user_without_a_role_gets_403_everywhere(published, make_operator):
    client = sign_in(Client(), make_operator("nobody", role=None))
    hold_pk = a_hold().pk
    for url in [*pages_anyone_sees(published), "/panel/retention/holds/new/"]:
        assert client.get(url).status_code == 403, url
    for url in ("/panel/retention/run/", f"/panel/retention/holds/{hold_pk}/lift/",
                "/panel/retention/holds/new/"):
        assert client.post(url, {}).status_code == 403, url


def test_an_operator_may_not_place_or_lift_a_hold_or_run_now(published, operator_client, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    hold = a_hold()
    assert operator_client.post("/panel/retention/holds/new/", {
        "scope": "person", "reason": "claim", "email": "bob@example.com"}).status_code == 403
    assert operator_client.post(f"/panel/retention/holds/{hold.pk}/lift/").status_code == 403
    assert operator_client.post("/panel/retention/run/").status_code == 403
    assert LegalHold.objects.count() == 1 and LegalHold.objects.get().ended_at is None
    assert not DBTaskResult.objects.exists()
    page = text(operator_client.get(f"/panel/retention/holds/{hold.pk}/"))
    assert "A privacy officer or an administrator can lift it." in page


# --- the retention page --------------------------------------------------------------------------

def test_the_retention_page_shows_the_rules_their_stores_and_why_some_have_none(published,
                                                                                  operator_client):
    page = text(operator_client.get("/panel/retention/"))
    assert ("Contact details Responding to enquiries 12 months after the enquiry is closed "
            "without a contract Enquiries enquiries.offers : deleted Enquiries "
            "enquiries.without_offer : deleted") in page
    assert "No store in Privet" in page
    assert "kept in the studio's accounting system, not in Privet" in page  # the registered reason


def test_the_last_runs_link_to_their_page_with_counts_per_store_and_rule(published, operator_client):
    old = closed(400)
    run = engine.sweep()
    page = operator_client.get("/panel/retention/").content.decode()
    assert f'href="/panel/retention/runs/{run.pk}/"' in page and run.reference in page
    detail = text(operator_client.get(f"/panel/retention/runs/{run.pk}/"))
    assert "Completed" in detail
    assert "Enquiries enquiries.without_offer deleted 1 0 0 1" in detail  # expired, held, deferred, batches
    assert "Contact details, Responding to enquiries (12 months after the enquiry is closed " \
           "without a contract) : 1" in detail
    assert "Taken over after an interruption 0 times" in detail
    assert not Enquiry.objects.filter(pk=old.pk).exists()


def test_upcoming_lists_a_record_due_in_20_days_and_not_one_due_in_40(published, operator_client):
    soon, later = closed(365 - 20, "soon@example.com"), closed(365 - 40, "later@example.com")
    page = text(operator_client.get("/panel/retention/"))
    upcoming = page[page.index("What will expire in the next 30 days"):]
    assert f"Enquiries enquiries.without_offer deleted 1 {due(soon)} {due(soon)} 0" in upcoming
    assert due(later) not in upcoming


def test_the_dry_run_says_what_would_expire_and_changes_nothing(published, operator_client):
    old = closed(400)
    page = text(operator_client.get("/panel/retention/plan/"))
    assert "Enquiries enquiries.without_offer deleted 1 Contact details, Responding to " \
           "enquiries: 1 0" in page
    assert Enquiry.objects.filter(pk=old.pk).exists()


def test_run_now_queues_the_sweeper_on_the_worker(published, officer_client, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    old = closed(400)
    response = officer_client.post("/panel/retention/run/", follow=True)
    assert "A retention run is queued" in text(response)
    [queued] = DBTaskResult.objects.all()
    assert queued.task_path == "privet.retention.tasks.sweep"
    assert Enquiry.objects.filter(pk=old.pk).exists()  # the worker runs it, not the request
    # The run says who asked for it: its record and its audit event carry the officer.
    officer = response.wsgi_request.user
    assert queued.args_kwargs["kwargs"] == {"actor": f"user:{officer.pk}"}


def test_the_dashboard_card_shows_the_last_run_holds_and_what_expires_soon(published,
                                                                           operator_client):
    closed(400, "a@example.com"), closed(400, "b@example.com"), closed(365 - 10, "c@example.com")
    run = engine.sweep()
    a_hold(email="someone.else@example.com")
    page = operator_client.get("/panel/").content.decode()
    card = text(operator_client.get("/panel/"))
    assert f'href="/panel/retention/runs/{run.pk}/"' in page
    start = card.index("Retention Last run")
    assert "Completed Records it expired 2 Active legal holds 1 Expiring in the next 30 days 1" \
           in card[start:]
    assert "Retention runs" not in card  # no longer "not yet available"
    assert "Integrations" in card


def test_the_dashboard_card_without_a_policy_or_a_run(db, operator_client):
    card = text(operator_client.get("/panel/"))
    assert "Last run none yet Active legal holds 0 Expiring in the next 30 days —" in card


# --- holds ---------------------------------------------------------------------------------------

def test_placing_a_hold_on_a_record_through_the_form(published, officer_client):
    enquiry = closed(400)
    response = officer_client.post("/panel/retention/holds/new/", {
        "scope": "record", "reason": "tax_audit", "target": WITHOUT_OFFER,
        "record_key": str(enquiry.pk), "note": "Audit 2030/7",
        "ends_on": (timezone.localdate() + timedelta(days=90)).isoformat()}, follow=True)
    hold = LegalHold.objects.get()
    assert response.redirect_chain[-1][0] == f"/panel/retention/holds/{hold.pk}/"
    page = text(response)
    assert f"{hold.reference} placed" in page and "Audit 2030/7" in page
    assert "Enquiries enquiries.without_offer 1" in page  # the records it keeps now
    event = AuditEvent.objects.get(action="retention.hold_placed")
    assert event.object_id == str(hold.pk)
    engine.sweep()
    assert Enquiry.objects.filter(pk=enquiry.pk).exists()


def test_a_hold_on_a_person_keeps_their_records_in_every_store_that_can_be_held(published,
                                                                                 officer_client):
    closed(400, "anna@example.com"), closed(10, "anna@example.com")
    officer_client.post("/panel/retention/holds/new/", {
        "scope": "person", "reason": "claim", "email": "anna@example.com"})
    page = text(officer_client.get(f"/panel/retention/holds/{LegalHold.objects.get().pk}/"))
    assert "Enquiries enquiries.without_offer 2" in page
    assert "cannot be held this way" in page  # sign-in records name nobody


NOT_EXISTING = 999999


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"scope": "person"}, "email", "Name the person by an email, a phone number or a visitor id."),
    ({"scope": "person", "email": "not an address"}, "email", "Enter a valid email address."),
    ({"scope": "client"}, "client", "Name the client whose records to hold."),
    ({"scope": "record", "record_key": "1"}, "target", "Choose the store that holds the record."),
    ({"scope": "record", "target": "nope", "record_key": "1"}, "target", "Select a valid choice."),
    ({"scope": "record", "target": WITHOUT_OFFER}, "record_key", "Give the record's number."),
    ({"scope": "record", "target": WITHOUT_OFFER, "record_key": str(NOT_EXISTING)}, "record_key",
     f"Nothing was stored: enquiries.without_offer holds no record '{NOT_EXISTING}'."),
    ({"scope": "person", "email": "a@example.com", "ends_on": "2001-01-01"}, "ends_on",
     "The end date has passed: a hold that ended protects nothing."),
    ({"scope": "person", "email": "a@example.com", "ends_on": "0025-06-30"}, "ends_on",
     "Enter a date from 2000-01-01 on."),
    ({"scope": "planet"}, "scope", "Select a valid choice."),
])
def test_a_refused_hold_shows_why_beside_its_field_and_stores_nothing(published, officer_client,
                                                                      data, field, message):
    response = officer_client.post("/panel/retention/holds/new/", {"reason": "claim", **data})
    assert response.status_code == 400
    page = response.content.decode()
    error = re.search(rf'<p class="error" role="alert" id="id_{field}_error">(.*?)</p>', page, re.S)
    assert error and message in html.unescape(error.group(1)), page
    assert not LegalHold.objects.exists()
    assert not AuditEvent.objects.filter(action="retention.hold_placed").exists()


def test_a_hold_on_a_record_named_under_another_store_of_its_kind_holds_it_where_it_is(
        published, officer_client):
    """The enquiry has no offer, but the operator chose the offers' store: the hold is placed
    on the enquiry, under the store that holds it now (and follows it if it moves again)."""
    enquiry = closed(400)
    response = officer_client.post("/panel/retention/holds/new/", {
        "scope": "record", "reason": "claim", "target": "enquiries.offers",
        "record_key": f"E-{enquiry.pk:06d}"})
    assert response.status_code == 302
    [hold] = LegalHold.objects.all()
    assert (hold.target, hold.record_key) == ("enquiries.without_offer", str(enquiry.pk))
    engine.sweep()
    assert Enquiry.objects.filter(pk=enquiry.pk).exists()


def test_a_hold_on_a_record_that_is_not_there_is_refused_clearly(published, officer_client):
    response = officer_client.post("/panel/retention/holds/new/", {
        "scope": "record", "reason": "claim", "target": "enquiries.offers",
        "record_key": "987654"})
    assert response.status_code == 400
    assert "Nothing was stored: enquiries.offers holds no record '987654'." in text(response)
    assert not LegalHold.objects.exists()


def test_lifting_a_hold_and_lifting_it_again(published, officer_client):
    enquiry = closed(400)
    hold = a_hold()
    response = officer_client.post(f"/panel/retention/holds/{hold.pk}/lift/",
                                   {"note": "Settled out of court."}, follow=True)
    page = text(response)
    assert f"{hold.reference} lifted" in page and "Settled out of court." in page
    assert "Ended" in page and "Lift the hold" not in page
    lifted = LegalHold.objects.get(pk=hold.pk)
    assert lifted.ended_at is not None and lifted.email == ""
    assert AuditEvent.objects.filter(action="retention.hold_lifted").count() == 1
    again = officer_client.post(f"/panel/retention/holds/{hold.pk}/lift/", {}, follow=True)
    assert f"{hold.reference} has already ended; nothing was changed." in text(again)
    assert AuditEvent.objects.filter(action="retention.hold_lifted").count() == 1
    engine.sweep()
    assert not Enquiry.objects.filter(pk=enquiry.pk).exists()


def test_the_hold_list_filters_active_and_ended(published, operator_client):
    active, ended = a_hold(email="a@example.com"), a_hold(email="b@example.com")
    holds.lift_hold(hold=ended, actor="test")
    shown = text(operator_client.get("/panel/retention/holds/"))
    assert active.reference in shown and ended.reference not in shown
    shown = text(operator_client.get("/panel/retention/holds/?state=ended"))
    assert ended.reference in shown and active.reference not in shown
    shown = text(operator_client.get("/panel/retention/holds/?state=all"))
    assert ended.reference in shown and active.reference in shown


def test_an_enquiry_page_offers_a_hold_prefilled_with_its_store_and_record(published,
                                                                           officer_client,
                                                                           operator_client):
    enquiry = closed(10)
    page = officer_client.get(f"/panel/enquiries/{enquiry.pk}/").content.decode()
    link = f'href="/panel/retention/holds/new/?enquiry={enquiry.pk}"'
    assert link in page
    assert link not in operator_client.get(f"/panel/enquiries/{enquiry.pk}/").content.decode()
    form = officer_client.get(f"/panel/retention/holds/new/?enquiry={enquiry.pk}").context["form"]
    assert form.initial["target"] == WITHOUT_OFFER
    assert form.initial["record_key"] == str(enquiry.pk)
    assert form.initial["email"] == "anna@example.com"  # for a hold on the person instead


def test_posts_need_the_csrf_token(published, make_operator, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    user = make_operator("piotr", PRIVACY_OFFICER)
    hold = a_hold()
    client = Client(enforce_csrf_checks=True)
    token = client.get("/panel/login/").context["csrf_token"]
    client.post("/panel/login/", {"username": "piotr", "password": PASSWORD,
                                  "csrfmiddlewaretoken": token})
    token = client.get("/panel/login/verify/").context["csrf_token"]
    device = TOTPDevice.objects.get(user=user)
    assert client.post("/panel/login/verify/", {"token": code_for(device),
                                                "csrfmiddlewaretoken": token}).status_code == 302
    assert client.post("/panel/retention/run/").status_code == 403
    assert client.post("/panel/retention/holds/new/", {
        "scope": "person", "reason": "claim", "email": "bob@example.com"}).status_code == 403
    assert client.post(f"/panel/retention/holds/{hold.pk}/lift/").status_code == 403
    assert not DBTaskResult.objects.exists()
    assert LegalHold.objects.count() == 1 and LegalHold.objects.get().ended_at is None
    token = client.get("/panel/retention/").context["csrf_token"]
    assert client.post("/panel/retention/run/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert DBTaskResult.objects.count() == 1


def test_an_enquiry_page_says_when_it_is_deleted_and_which_hold_keeps_it(published,
                                                                         operator_client):
    enquiry = closed(100)
    page = text(operator_client.get(f"/panel/enquiries/{enquiry.pk}/"))
    assert f"Deleted on {due(enquiry)}, under the retention rules of the policy in force." in page
    assert "Place a legal hold" not in page  # an operator may not place one
    hold = a_hold(scope=HoldScope.RECORD, target="enquiries.without_offer",
                  record_key=str(enquiry.pk))
    page = text(operator_client.get(f"/panel/enquiries/{enquiry.pk}/"))
    assert f"Kept past that by legal hold {hold.reference} (A claim or a dispute)." in page
    open_one = enquiry_services.log_enquiry(
        data={"name": "Jan", "company": "", "email": "jan@example.com", "phone": "",
              "project_type": "website", "message": "Hello."}, actor="test")
    page = text(operator_client.get(f"/panel/enquiries/{open_one.pk}/"))
    assert "its retention period has not started" in page
