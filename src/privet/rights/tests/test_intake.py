"""The rights portal, the API, the verification link and the person's status page, from the
person's side: what they see, what is stored, what is mailed (a real SMTP conversation)."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from email.policy import default as default_policy

import pytest
from django.db import connection
from django.utils import timezone
from freezegun import freeze_time

from privet.audit.models import AuditEvent
from privet.rights import services, tokens
from privet.rights.models import RightsMail, RightsRequest, Status
from privet.rights.selectors import request_for_verification

pytestmark = pytest.mark.django_db


def messages(inbox):
    return [email.message_from_bytes(raw, policy=default_policy) for _f, _t, raw in inbox.messages]


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def link_in(text: str, path_part: str) -> str:
    match = re.search(r"https?://\S*" + re.escape(path_part) + r"\S*", text)
    assert match, text
    return match.group(0).split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def portal_post(client, pow_payload, path="/privacy/requests/", **fields):
    data = {"right": "access", "email": "anna@example.com", "altcha": pow_payload(), **fields}
    return client.post(path, data)


# --- the portal ---------------------------------------------------------------------------------

def test_the_portal_lists_each_right_with_the_declared_description_in_the_pages_language(
        client, published):
    english = client.get("/privacy/requests/").content.decode()
    assert "Get confirmation whether we process your data and a copy of it." in english
    assert 'type="radio" name="right" value="withdraw_consent"' in english
    polish = client.get("/pl/polityka-prywatnosci/zadania/").content.decode()
    assert "Uzyskanie potwierdzenia, czy przetwarzamy Twoje dane, oraz ich kopii." in polish


def test_the_policy_page_and_the_footer_link_to_the_portal(client, published):
    page = client.get("/privacy/").content.decode()
    assert page.count('href="/privacy/requests/"') >= 2  # the rights section and the footer
    assert 'href="/pl/polityka-prywatnosci/zadania/"' in client.get(
        "/pl/polityka-prywatnosci/").content.decode()


def test_a_request_from_the_portal_mails_a_link_that_a_get_does_not_verify_and_a_post_does(
        client, published, pow_payload, smtp_server, django_capture_on_commit_callbacks):
    inbox = smtp_server()
    with django_capture_on_commit_callbacks(execute=True):
        response = portal_post(client, pow_payload)
    assert response.status_code == 302 and response["Location"] == "/privacy/requests/sent/"
    request = RightsRequest.objects.get()
    assert request.status == Status.UNVERIFIED and request.channel == "portal"
    [message] = messages(inbox)
    assert message["To"] == "anna@example.com"
    assert message["Message-ID"] == RightsMail.objects.get(kind="verification").message_id
    text = body_of(message)
    assert "24 hours" in text and request.reference in text
    link = link_in(text, "/privacy/requests/verify/")
    # A mail scanner fetches the link: nothing is verified.
    page = client.get(link)
    assert page.status_code == 200 and "Confirm my request" in page.content.decode()
    assert RightsRequest.objects.get().status == Status.UNVERIFIED
    token = link.split("t=", 1)[1]
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post("/privacy/requests/verify/", {"t": token})
    assert confirmed.status_code == 302 and "/privacy/requests/status/?s=" in confirmed["Location"]
    assert RightsRequest.objects.get().status == Status.VERIFIED
    status = client.get(confirmed["Location"]).content.decode()
    assert request.reference in status and "Verified" in status and "Withdraw my request" in status
    # The link works once.
    again = client.post("/privacy/requests/verify/", {"t": token})
    assert again.status_code == 400 and "This link is not valid" in again.content.decode()
    assert RightsRequest.objects.get().status == Status.VERIFIED
    # The "verified" mail came too, with the due date and the status link, in English.
    verified = body_of(messages(inbox)[1])
    assert "is confirmed" in verified and "/privacy/requests/status/?s=" in verified
    assert AuditEvent.objects.filter(action="rights.mail_sent").count() == 2


def test_a_polish_request_gets_polish_pages_and_polish_mail(
        client, published, pow_payload, smtp_server, django_capture_on_commit_callbacks):
    inbox = smtp_server()
    with django_capture_on_commit_callbacks(execute=True):
        response = portal_post(client, pow_payload, path="/pl/polityka-prywatnosci/zadania/")
    assert response.status_code == 302
    assert response["Location"] == "/pl/polityka-prywatnosci/zadania/wyslane/"
    assert RightsRequest.objects.get().language == "pl"
    [message] = messages(inbox)
    assert "Potwierdź" in message["Subject"]
    text = body_of(message)
    assert "/pl/polityka-prywatnosci/zadania/potwierdz/?t=" in text and "24 godziny" in text


def test_the_person_withdraws_their_request_from_the_status_page(client, published, pow_payload):
    portal_post(client, pow_payload)
    request = RightsRequest.objects.get()
    from privet.rights.links import status_token

    token = status_token(request)
    response = client.post("/privacy/requests/status/", {"s": token, "action": "withdraw"})
    assert response.status_code == 302
    assert RightsRequest.objects.get().status == Status.WITHDRAWN
    page = client.get(response["Location"]).content.decode()
    assert "Your request is withdrawn" in page and "Withdraw my request" not in page
    forged = client.get("/privacy/requests/status/?s=" + token[:-2] + "xx")
    assert forged.status_code == 404


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"right": "rectification"}, "details", "Say what is wrong and what it should be."),
    ({"right": "objection"}, "details", "Give the grounds relating to your situation."),
    ({"right": "complaint"}, "right", "Choose one of the rights listed."),
    ({"email": "not-an-address"}, "email", "Enter an email address like name@example.com."),
    ({"phone": "call me"}, "phone", "Enter a phone number of 7 to 15 digits"),
    ({"details": "x" * 5001}, "details", "5000"),
])
def test_bad_input_is_shown_beside_its_field_and_nothing_is_stored(
        client, published, pow_payload, fields, field, message):
    response = portal_post(client, pow_payload, **fields)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    if field == "right":
        assert 'id="right-choices_error"' in html and 'aria-invalid="true"' in html
    else:
        assert f'id="id_{field}_error"' in html
        assert f'aria-describedby="id_{field}_help id_{field}_error"' in html
    assert not RightsRequest.objects.exists() and not RightsMail.objects.exists()


def test_without_the_proof_of_work_nothing_is_stored(client, published):
    response = client.post("/privacy/requests/", {"right": "access", "email": "anna@example.com"})
    assert response.status_code == 400 and not RightsRequest.objects.exists()


def test_the_cookie_id_is_used_only_when_ticked_and_never_typed(client, published, pow_payload):
    visitor = "0123456789abcdef0123456789abcdef"
    assert "cookie choices" not in client.get("/privacy/requests/").content.decode()
    client.cookies["privet_consent"] = f"{visitor}.abc.analytics"
    assert "Also search by this browser" in client.get("/privacy/requests/").content.decode()
    portal_post(client, pow_payload, visitor_id="f" * 32)  # a typed id is ignored
    portal_post(client, pow_payload, use_cookie="on")
    assert list(RightsRequest.objects.order_by("pk").values_list("visitor_id", flat=True)) == [
        "", visitor]


def test_the_portal_is_rate_limited_and_stores_nothing_over_the_limit(client, published,
                                                                      pow_payload, settings):
    settings.PRIVET_RIGHTS_RATE_LIMIT = 1
    assert portal_post(client, pow_payload).status_code == 302
    over = portal_post(client, pow_payload)
    assert over.status_code == 429 and "Too many requests" in over.content.decode()
    assert RightsRequest.objects.count() == 1


# --- verification links -------------------------------------------------------------------------

def _mailed_token(request: RightsRequest) -> str:
    return tokens.issue_verification_token(request)


def test_forged_expired_used_and_replaced_links_get_one_message_and_a_new_link_form(
        client, published):
    request = services.submit_request(right="access", email="anna@example.com")
    old = _mailed_token(request)
    new = _mailed_token(request)  # replaces the old one
    with freeze_time(timezone.now() + timedelta(hours=25)):
        expired = client.post("/privacy/requests/verify/", {"t": new})
    for token in (old, new[:-3] + "abc", "nonsense"):
        for response in (client.get("/privacy/requests/verify/", {"t": token}),
                         client.post("/privacy/requests/verify/", {"t": token})):
            assert response.status_code == 400
            html = response.content.decode()
            assert "This link is not valid" in html and 'action="/privacy/requests/new-link/"' in html
    assert expired.status_code == 400
    assert RightsRequest.objects.get().status == Status.UNVERIFIED
    assert request_for_verification(new) is not None
    client.post("/privacy/requests/verify/", {"t": new})
    assert client.post("/privacy/requests/verify/", {"t": new}).status_code == 400  # used


def test_asking_for_a_new_link_answers_the_same_whether_or_not_anything_was_sent(
        client, published, pow_payload, smtp_server, django_capture_on_commit_callbacks):
    inbox = smtp_server()
    services.submit_request(right="erasure", email="anna@example.com")
    inbox.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/privacy/requests/new-link/", {"email": "anna@example.com",
                                                         "altcha": pow_payload()})
        unknown = client.post("/privacy/requests/new-link/", {"email": "nobody@example.com",
                                                               "altcha": pow_payload()})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert client.get(known["Location"]).content == client.get(unknown["Location"]).content
    assert [m["To"] for m in messages(inbox)] == ["anna@example.com"]


# --- the API ------------------------------------------------------------------------------------

def api(client, body, **extra):
    import json

    return client.post("/api/rights/requests", json.dumps(body) if not isinstance(body, str)
                       else body, content_type=extra.pop("content_type", "application/json"), **extra)


def normalised_statements(run):
    """The SQL statements ``run`` executes, without their parameters."""
    statements: list[str] = []

    def record(execute, sql, params, many, context):
        sql = re.sub(r'"s\d+_x\d+"', '"savepoint"', sql)
        statements.append(re.sub(r"'[^']*'|\b\d+\b", "?", sql))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        result = run()
    return statements, result


@pytest.mark.django_db(transaction=True)
def test_known_and_unknown_addresses_get_byte_identical_answers_from_identical_work(
        client, published, smtp_server):
    smtp_server()
    from privet.enquiries.services import submit_enquiry

    submit_enquiry(data={"name": "Anna", "company": "", "email": "known@example.com", "phone": "",
                         "project_type": "web_app", "message": "Hello"}, client_ref="t",
                   language="en")
    services.submit_request(right="access", email="known@example.com")  # an earlier request
    # Warm every cache first, so that both measured calls start from the same state.
    api(client, {"right": "access", "email": "warm@example.com"})
    known_sql, known = normalised_statements(
        lambda: api(client, {"right": "erasure", "email": "known@example.com"}))
    unknown_sql, unknown = normalised_statements(
        lambda: api(client, {"right": "erasure", "email": "unknown@example.com"}))
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    assert known_sql == unknown_sql and known_sql


@pytest.mark.parametrize(("body", "content_type", "status", "code"), [
    ({"right": "access"}, "application/json", 422, "invalid_request"),
    ({"right": 7, "email": "a@example.com"}, "application/json", 422, "invalid_request"),
    ({"right": "fly", "email": "a@example.com"}, "application/json", 422, "invalid_request"),
    ({"right": "access", "email": "a@example.com", "extra": 1}, "application/json", 422,
     "invalid_request"),
    ({"right": "access", "email": "no-at-sign"}, "application/json", 400, "invalid_request"),
    ({"right": "objection", "email": "a@example.com"}, "application/json", 400, "invalid_request"),
    ({"right": "access", "email": "a@example.com", "details": "x" * 9000}, "application/json",
     413, "too_large"),
    ("right=access", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ("{not json", "application/json", 400, "malformed_json"),
    ("[1]", "application/json", 400, "malformed_json"),
])
def test_the_api_refuses_bad_input_with_a_clear_4xx_and_stores_nothing(
        client, published, body, content_type, status, code):
    response = api(client, body, content_type=content_type)
    assert response.status_code == status, response.content
    assert response.json()["error"] == code
    assert not RightsRequest.objects.exists() and not AuditEvent.objects.filter(
        action="rights.received").exists()


def test_the_api_is_rate_limited(client, published, settings):
    settings.PRIVET_RIGHTS_RATE_LIMIT = 2
    body = {"right": "access", "email": "a@example.com", "language": "pl"}
    assert [api(client, body).status_code for _ in range(3)] == [202, 202, 429]
    assert RightsRequest.objects.count() == 2
    assert RightsRequest.objects.first().language == "pl"
