"""The public form through Django's test client: every bad input refused cleanly, storing and
sending nothing; a good one stored, acknowledged over real SMTP, audited."""

from email import message_from_bytes, policy

import pytest
from django.core import mail
from freezegun import freeze_time

from privet.audit.models import AuditEvent
from privet.enquiries.models import Enquiry

pytestmark = pytest.mark.django_db

URL = "/contact/"


def post(client, data, **extra):
    return client.post(URL, data, REMOTE_ADDR=extra.pop("ip", "203.0.113.7"), **extra)


def assert_refused(response, status, *texts):
    assert response.status_code == status
    html = response.content.decode()
    for text in texts:
        assert text in html, text
    assert not Enquiry.objects.exists()
    assert not AuditEvent.objects.filter(action="enquiry.received").exists()
    assert mail.outbox == []
    return html


def test_the_page_names_the_declared_fields_and_the_art13_notice(client, published):
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    for name in ("name", "company", "email", "phone", "project_type", "message"):
        assert f'name="{name}"' in html
    assert "SoftCode Piotr Nowacki" in html and 'href="/privacy/"' in html
    assert "12 months after the enquiry is closed without a contract" in html
    assert "Art. 6(1)(a)" in html
    assert '<altcha-widget name="altcha" challenge="/altcha/challenge/"' in html
    assert 'id="altcha-css"' in html and "<style" not in html


def test_the_polish_page(client, published):
    response = client.get("/pl/kontakt/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="pl"' in html and "Polityka prywatności" in html


def test_a_valid_enquiry_is_stored_audited_and_the_person_thanked(
        client, published, pow_payload, valid_data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, {**valid_data, "altcha": pow_payload(), "website": ""})
    assert response.status_code == 302
    enquiry = Enquiry.objects.get()
    assert enquiry.email == "anna@example.com" and enquiry.channel == "form"
    event = AuditEvent.objects.get(action="enquiry.received")
    assert '"client":' in event.details and "203.0.113.7" not in event.details
    thanks = client.get(response["Location"])
    assert enquiry.reference in thanks.content.decode()
    assert [m.to for m in mail.outbox] == [["anna@example.com"]]
    assert "sessionid" not in response.cookies  # no session for visitors


def test_missing_proof_of_work_is_refused(client, published, valid_data):
    html = assert_refused(post(client, valid_data), 400, "has not finished")
    assert 'value="Anna Kowalska"' in html  # what the person typed is kept


def test_replayed_proof_of_work_is_refused(client, published, pow_payload, valid_data,
                                           django_capture_on_commit_callbacks):
    payload = pow_payload()
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, {**valid_data, "altcha": payload}).status_code == 302
    Enquiry.objects.all().delete()
    AuditEvent.objects.filter(action="enquiry.received").delete()
    mail.outbox.clear()
    assert_refused(post(client, {**valid_data, "altcha": payload}), 400, "already used")


def test_forged_proof_of_work_is_refused(client, published, pow_payload, valid_data):
    import base64
    import json

    payload = json.loads(base64.b64decode(pow_payload()))
    payload["solution"]["counter"] += 1
    forged = base64.b64encode(json.dumps(payload).encode()).decode()
    assert_refused(post(client, {**valid_data, "altcha": forged}), 400, "not valid")


def test_filled_honeypot_is_refused(client, published, pow_payload, valid_data):
    assert_refused(post(client, {**valid_data, "altcha": pow_payload(), "website": "http://spam.example"}),
                   400, "looks automated", "Your message was not sent")


def test_over_long_message_is_refused_beside_the_field(client, published, pow_payload, valid_data):
    html = assert_refused(post(client, {**valid_data, "message": "x" * 5001, "altcha": pow_payload()}),
                          400, "under 5000 characters (it has 5001)")
    assert 'id="id_message_error"' in html and 'aria-describedby="id_message_help id_message_error"' in html
    assert 'aria-invalid="true"' in html


@pytest.mark.parametrize(("field", "value", "message"), [
    ("email", "anna@", "Enter an email address like name@example.com."),
    ("email", "", "This field is required."),
    ("phone", "call me maybe", "Enter a phone number of 7 to 15 digits"),
    ("phone", "+48 12", "Enter a phone number of 7 to 15 digits"),
    ("name", "N" * 101, "under 100 characters"),
    ("company", "C" * 151, "under 150 characters"),
    ("project_type", "crypto", "Select a valid choice"),
])
def test_invalid_fields_are_refused_beside_the_field(client, published, pow_payload, valid_data,
                                                     field, value, message):
    html = assert_refused(post(client, {**valid_data, field: value, "altcha": pow_payload()}), 400, message)
    assert f'id="id_{field}_error"' in html


# The throttle counts in fixed windows: start at a window's beginning, so the twenty cannot
# straddle two windows however slow the machine is.
@freeze_time("2026-11-25 12:00:00", tick=True)
def test_twenty_rapid_submissions_are_throttled(client, published, pow_payload, valid_data, settings,
                                                django_capture_on_commit_callbacks):
    assert settings.PRIVET_ENQUIRY_RATE_LIMIT == 10
    statuses = []
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(20):
            statuses.append(post(client, {**valid_data, "altcha": pow_payload()}).status_code)
    assert statuses == [302] * 10 + [429] * 10  # each refused one stores and sends nothing:
    assert Enquiry.objects.count() == 10 and len(mail.outbox) == 10
    # Another client is not affected.
    response = post(client, {**valid_data, "altcha": pow_payload()}, ip="198.51.100.9")
    assert response.status_code == 302


def test_a_throttled_page_says_so_and_keeps_the_input(client, published, valid_data, settings):
    settings.PRIVET_ENQUIRY_RATE_LIMIT = 0
    html = assert_refused(post(client, valid_data), 429, "Too many messages")
    assert "We need a booking panel" in html


def test_acknowledgement_goes_over_a_real_smtp_conversation(
        client, published, pow_payload, valid_data, smtp_inbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, {**valid_data, "altcha": pow_payload()}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    enquiry = Enquiry.objects.get()
    [(_sender, rcpts, raw)] = smtp_inbox.messages
    assert rcpts == ["anna@example.com"]
    message = message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == f"We have received your enquiry {enquiry.reference}"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "http://127.0.0.1:8000/privacy/" in text and 'href="http://127.0.0.1:8000/privacy/"' in html
    assert enquiry.reference in html
    assert "booking panel" not in text + html  # nothing the sender typed is echoed
