"""Working enquiries in the panel: dashboard, list, detail with status, notes and history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from privet.audit.models import AuditEvent
from privet.enquiries.models import Enquiry
from privet.enquiries.services import change_status, log_enquiry

from .conftest import PASSWORD, code_for

pytestmark = pytest.mark.django_db

DATA = {
    "name": "Jan Kowalski", "company": "Piekarnia Kowalski", "email": "jan@example.com", "phone": "",
    "project_type": "website", "message": "We need a new website with online orders.",
}


def logged(actor, **changes) -> Enquiry:
    received_at = changes.pop("received_at", None)
    return log_enquiry(data={**DATA, **changes}, actor=actor, received_at=received_at)


def test_the_dashboard_shows_open_enquiries_with_their_age(operator_client):
    user = get_user_model().objects.get(username="olga")
    logged(user, received_at=timezone.now() - timedelta(days=3, hours=1))
    done = logged(user, name="Anna Closed")
    change_status(enquiry=done, to_status="closed", actor=user)
    page = operator_client.get("/panel/")
    text = page.content.decode()
    assert "Jan Kowalski" in text and "3 days" in text
    assert "Anna Closed" not in text  # closed is not open
    assert page.context["open_total"] == 1
    # Placeholders for later issues say what will come, with no invented numbers.
    assert "Rights requests due" in text and "Arrives with the rights portal" in text


def test_the_list_searches_and_filters(operator_client):
    user = get_user_model().objects.get(username="olga")
    logged(user)
    logged(user, name="Ewa Nowak", company="Sklep Ewy", email="ewa@example.org",
           project_type="integration", message="TikTok integration")
    text = operator_client.get("/panel/enquiries/", {"q": "tiktok"}).content.decode()
    assert "Ewa Nowak" in text and "Jan Kowalski" not in text
    text = operator_client.get("/panel/enquiries/", {"project_type": "website"}).content.decode()
    assert "Jan Kowalski" in text and "Ewa Nowak" not in text
    text = operator_client.get("/panel/enquiries/", {"status": "offer"}).content.decode()
    assert "No enquiry matches" in text
    # A filter value that is not a choice is refused by the form, not a server error.
    assert operator_client.get("/panel/enquiries/", {"status": "bogus"}).status_code == 200


def test_moving_an_enquiry_to_offer_writes_history_and_audit(operator_client):
    user = get_user_model().objects.get(username="olga")
    enquiry = logged(user)
    page = operator_client.get(f"/panel/enquiries/{enquiry.pk}/")
    assert b'value="offer"' in page.content and b'value="closed"' in page.content
    response = operator_client.post(f"/panel/enquiries/{enquiry.pk}/status/",
                                    {"to_status": "offer", "reason": "Offer sent by mail"}, follow=True)
    enquiry.refresh_from_db()
    assert enquiry.status == "offer" and enquiry.offer_at is not None
    text = response.content.decode()
    assert f"{enquiry.reference} is now: Offer sent." in text
    assert "Offer sent by mail" in text  # the history shows the reason
    assert b'value="project"' in response.content  # the next allowed steps
    event = AuditEvent.objects.get(action="enquiry.status_changed", object_id=str(enquiry.pk))
    assert event.actor == f"user:{user.pk}"


def test_an_invalid_transition_is_explained_and_changes_nothing(operator_client):
    user = get_user_model().objects.get(username="olga")
    enquiry = logged(user)
    response = operator_client.post(f"/panel/enquiries/{enquiry.pk}/status/", {"to_status": "ended"},
                                    follow=True)
    assert "Nothing was changed: An enquiry in status" in response.content.decode()
    enquiry.refresh_from_db()
    assert enquiry.status == "new"
    assert not AuditEvent.objects.filter(action="enquiry.status_changed").exists()


def test_a_note_is_added_and_shown(operator_client):
    user = get_user_model().objects.get(username="olga")
    enquiry = logged(user)
    response = operator_client.post(f"/panel/enquiries/{enquiry.pk}/notes/",
                                    {"body": "Called back, wants a quote by Friday.", "contact": "on"},
                                    follow=True)
    assert "Called back, wants a quote by Friday." in response.content.decode()
    assert enquiry.notes.get().author == user
    response = operator_client.post(f"/panel/enquiries/{enquiry.pk}/notes/", {"body": "  "}, follow=True)
    assert "Write the note first" in response.content.decode()
    assert enquiry.notes.count() == 1


def test_logging_an_email_enquiry(operator_client):
    page = operator_client.get("/panel/enquiries/new/")
    assert page.status_code == 200 and b"altcha" not in page.content.lower()
    response = operator_client.post("/panel/enquiries/new/", {**DATA, "channel": "email",
                                                               "received_at": "2025-01-10T09:30"})
    enquiry = Enquiry.objects.get()
    assert response.url == f"/panel/enquiries/{enquiry.pk}/"
    assert enquiry.channel == "email" and enquiry.created_by.username == "olga"
    assert timezone.localtime(enquiry.received_at).strftime("%Y-%m-%d %H:%M") == "2025-01-10 09:30"


def test_logging_refuses_bad_input_and_keeps_what_was_typed(operator_client):
    response = operator_client.post("/panel/enquiries/new/", {**DATA, "email": "not-an-email",
                                                               "channel": "form"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Enter an email address like name@example.com." in text
    assert "Select a valid choice" in text  # the public form's channel is not for operators
    assert "Jan Kowalski" in text
    # Noon: a wall-clock time that exists exactly once on every day, DST changes included.
    future = (timezone.localdate() + timedelta(days=2)).strftime("%Y-%m-%dT12:00")
    response = operator_client.post("/panel/enquiries/new/", {**DATA, "channel": "phone",
                                                               "received_at": future})
    assert "cannot be received in the future" in response.content.decode()
    assert not Enquiry.objects.exists()


def test_a_missing_enquiry_is_a_404(operator_client):
    assert operator_client.get("/panel/enquiries/999999/").status_code == 404


def test_status_changes_need_the_csrf_token(make_operator):
    user = make_operator("olga")
    enquiry = logged(user)
    client = Client(enforce_csrf_checks=True)
    # The sign-in forms themselves carry the token; take it from the page, like a browser.
    page = client.get("/panel/login/")
    token = page.context["csrf_token"]
    client.post("/panel/login/", {"username": "olga", "password": PASSWORD, "csrfmiddlewaretoken": token})
    token = client.get("/panel/login/verify/").context["csrf_token"]
    device = TOTPDevice.objects.get(user=user)
    assert client.post("/panel/login/verify/", {"token": code_for(device),
                                                "csrfmiddlewaretoken": token}).status_code == 302
    response = client.post(f"/panel/enquiries/{enquiry.pk}/status/", {"to_status": "offer"})
    assert response.status_code == 403
    enquiry.refresh_from_db()
    assert enquiry.status == "new"
    token = client.get(f"/panel/enquiries/{enquiry.pk}/").context["csrf_token"]
    response = client.post(f"/panel/enquiries/{enquiry.pk}/status/",
                           {"to_status": "offer", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    enquiry.refresh_from_db()
    assert enquiry.status == "offer"


def test_the_dashboard_shows_consent_rates_of_the_last_week(operator_client, published):
    from privet.consent.services import record_consent

    policy = published
    for n, analytics in enumerate([True, True, False, False]):
        record_consent(
            site="privet", visitor_id=f"{n:032x}", choices={"analytics": analytics, "marketing": False},
            policy_hash=policy.content_hash, method="custom", gpc=False, banner_version="1",
            language="en",
        )
    text = operator_client.get("/panel/").content.decode()
    assert "Consent rates" in text and "Arrives with the cookie banner" not in text
    rates = {r.purpose: (r.percent, r.granted, r.receipts)
             for r in operator_client.get("/panel/").context["consent_rates"]}
    assert rates == {"analytics": (50, 2, 4), "marketing": (0, 0, 4)}
    assert '<meter min="0" max="100" value="50">' in text


def test_mail_the_worker_gave_up_on_is_shown_and_sent_again(
        operator_client, published, settings, smtp_inbox, django_capture_on_commit_callbacks):
    """The mail server was down through every retry; once it is back, one click sends the mail."""
    import socket

    import stamina

    from privet.enquiries.services import submit_enquiry
    from privet.enquiries.tasks import send_enquiry_mail

    enquiry = submit_enquiry(data=DATA, client_ref="test", language="en")
    working_port = settings.EMAIL_PORT
    with socket.socket() as probe:  # a port that was free a moment ago: the server is down
        probe.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = probe.getsockname()[1]
    stamina.set_testing(True)  # retry without waiting
    try:
        with pytest.raises(Exception, match="not sent"):
            send_enquiry_mail.call(enquiry.pk, "acknowledgement")
    finally:
        stamina.set_testing(False)
    settings.EMAIL_PORT = working_port

    dashboard = operator_client.get("/panel/").content.decode()
    assert "Mail not sent" in dashboard and enquiry.reference in dashboard
    detail = operator_client.get(f"/panel/enquiries/{enquiry.pk}/").content.decode()
    assert "Acknowledgement to the sender: not sent" in detail
    url = f"/panel/enquiries/{enquiry.pk}/mail/acknowledgement/"
    with django_capture_on_commit_callbacks(execute=True):
        page = operator_client.post(url, follow=True).content.decode()
    assert "queued again" in page and "not sent (" not in page
    [(_sender, rcpts, _raw)] = smtp_inbox.messages
    assert rcpts == ["jan@example.com"]
    assert AuditEvent.objects.filter(action="enquiry.mail_requeued", object_id=str(enquiry.pk)).exists()
    assert "Mail not sent" not in operator_client.get("/panel/").content.decode()

    # A second click (another operator was quicker) and a made-up kind change nothing.
    page = operator_client.post(url, follow=True).content.decode()
    assert "Nothing was queued" in page and len(smtp_inbox.messages) == 1
    assert operator_client.post(f"/panel/enquiries/{enquiry.pk}/mail/spam/").status_code == 404
    assert operator_client.get(url).status_code == 405
