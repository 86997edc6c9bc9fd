"""The public form through Django's test client: every bad input refused cleanly, storing and
sending nothing; a good one stored, acknowledged over real SMTP, audited."""

from email import message_from_bytes, policy

import pytest
from django.core import mail
from django.test import Client
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
    notice = html[html.index('id="collection-notice"'):]
    notice = notice[:notice.index("</div>")]
    # Both purposes the form serves, with their bases, read from the declaration in force.
    assert "Responding to enquiries" in notice and "Offers and pre-project communication" in notice
    for basis in ("Consent (Art. 6(1)(a) GDPR)", "Contract (Art. 6(1)(b) GDPR)",
                  "Legitimate interest (Art. 6(1)(f) GDPR)"):
        assert basis in notice
    # Art. 13(2)(c): consent is a basis, so the notice says it can be withdrawn at any time.
    assert "You can withdraw consent at any time" in notice
    # Art. 13(1)(e): the categories of recipients of both purposes.
    assert "Hosting, server infrastructure and email service providers" in notice
    assert "Providers of APIs, monitoring, technical analytics or infrastructure tools" in notice
    assert "Without the information about your project we cannot prepare an offer." in notice
    assert "Lodge a complaint: President of the Personal Data Protection Office" in notice
    assert '<altcha-widget name="altcha" challenge="/altcha/challenge/"' in html
    assert 'id="altcha-css"' in html and "<style" not in html
    # Read before sending: the notice comes right before the submit button, nothing between.
    between = html[html.index('id="collection-notice"'):html.index('type="submit"')]
    assert "<input" not in between and "<altcha-widget" not in between


def test_the_polish_page(client, published):
    response = client.get("/pl/kontakt/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="pl"' in html and "Polityka prywatności" in html
    assert "Możesz w każdej chwili wycofać zgodę" in html
    assert "Umowa (art. 6 ust. 1 lit. b RODO)" in html and "Odbiorcy: Dostawcy hostingu" in html
    assert "Twoje prawa: Dostęp do danych" in html
    assert "Przysługuje Ci" not in html


def test_polish_errors_read_naturally(client, published, pow_payload, valid_data):
    html = assert_refused(client.post("/pl/kontakt/", {**valid_data, "message": "x" * 5200,
                                                       "phone": "12", "altcha": pow_payload()},
                                      REMOTE_ADDR="203.0.113.8"), 400)
    assert "Wiadomość może mieć najwyżej 5000 znaków (obecnie 5200)." in html
    assert "składający się z 7\u201315 cyfr" in html and "są dozwolone" in html


def test_a_length_limit_takes_the_plural_its_number_needs():
    from django.utils import translation

    from privet.enquiries.forms import EnquiryFieldsForm

    with translation.override("pl"):
        form = EnquiryFieldsForm({"email": "a@" + "b" * 250 + ".pl", "name": "N" * 101})
        assert "Adres e-mail może mieć najwyżej 254 znaki (obecnie 255)." in form.errors["email"]
        assert form.errors["name"] == ["Imię i nazwisko może mieć najwyżej 100 znaków (obecnie 101)."]


def test_a_valid_enquiry_is_stored_audited_and_the_person_thanked(
        client, published, pow_payload, valid_data, django_capture_on_commit_callbacks, settings):
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
    assert settings.SESSION_COOKIE_NAME not in response.cookies  # no session for visitors
    assert settings.SESSION_COOKIE_NAME not in thanks.cookies


def test_missing_proof_of_work_is_refused(client, published, valid_data):
    html = assert_refused(post(client, valid_data), 400, "has not finished")
    assert 'value="Anna Kowalska"' in html  # what the person typed is kept


def test_replayed_proof_of_work_is_refused(client, published, pow_payload, valid_data,
                                           django_capture_on_commit_callbacks):
    payload = pow_payload()
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, {**valid_data, "altcha": payload}).status_code == 302
    Enquiry.objects.all().delete()
    mail.outbox.clear()
    received = AuditEvent.objects.filter(action="enquiry.received").count()
    # The audit log is append-only: the first enquiry's event stays, and no second one comes.
    response = post(client, {**valid_data, "altcha": payload})
    assert response.status_code == 400 and "already used" in response.content.decode()
    assert not Enquiry.objects.exists() and mail.outbox == []
    assert AuditEvent.objects.filter(action="enquiry.received").count() == received == 1


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
                          400, "The message can be up to 5000 characters long (it has 5001).")
    assert 'id="id_message_error"' in html and 'aria-describedby="id_message_help id_message_error"' in html
    assert 'aria-invalid="true"' in html


@pytest.mark.parametrize(("field", "value", "message"), [
    ("email", "anna@", "Enter an email address like name@example.com."),
    ("email", "", "This field is required."),
    ("phone", "call me maybe", "Enter a phone number of 7 to 15 digits"),
    ("phone", "+48 12", "Enter a phone number of 7 to 15 digits"),
    ("name", "N" * 101, "A name can be up to 100 characters long (it has 101)."),
    ("company", "C" * 151, "A company name can be up to 150 characters long"),
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


def test_an_expired_csrf_token_keeps_what_was_typed_and_stores_nothing(published, valid_data):
    """The page stayed open until the token went stale, or cookies are blocked: the visitor gets
    the form back, in the site's look, with what they typed, and a clear reason."""
    client = Client(enforce_csrf_checks=True)
    assert client.get(URL).status_code == 200
    response = client.post(URL, {**valid_data, "altcha": "c29sdmVk", "csrfmiddlewaretoken": "x" * 64},
                           REMOTE_ADDR="203.0.113.7")
    html = assert_refused(response, 403, "Your session expired or cookies are blocked; we kept what "
                          "you typed, please send again.")
    assert 'value="Anna Kowalska"' in html and "We need a booking panel" in html
    assert 'class="site-header"' in html and 'name="csrfmiddlewaretoken"' in html
    assert "c29sdmVk" not in html  # the proof-of-work starts afresh
    # Sending again with the fresh token from that page goes through to the usual checks.
    token = response.context["csrf_token"]
    again = client.post(URL, {**valid_data, "csrfmiddlewaretoken": str(token)})
    assert again.status_code == 400 and "has not finished" in again.content.decode()


def test_a_csrf_failure_elsewhere_is_a_styled_page_with_a_way_back(published):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/panel/login/", {"username": "olga", "password": "x"},
                           HTTP_REFERER="http://testserver/panel/login/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "The form has expired" in html and "nothing was changed" in html
    assert 'href="http://testserver/panel/login/"' in html
    # A referer from another site is not offered as the way back.
    response = client.post("/pl/panel/login/", {}, HTTP_REFERER="https://evil.example/")
    assert "evil.example" not in response.content.decode()
    assert 'href="/pl/panel/"' in response.content.decode()
    # Any other page of the site: the same news in the site's layout.
    response = client.post("/", {})
    assert response.status_code == 403 and 'class="site-header"' in response.content.decode()
    assert "The form has expired" in response.content.decode()


@freeze_time("2026-11-25 12:00:00", tick=True)
def test_the_rate_limit_counts_an_ipv6_client_by_its_64_prefix(client, published, valid_data, settings):
    """Privacy extensions give one line a new address at will; the limit counts the /64."""
    settings.PRIVET_ENQUIRY_RATE_LIMIT = 2
    home = ["2001:db8:1:2::1", "2001:db8:1:2:a:b:c:d", "2001:db8:1:2:ffff::9"]
    statuses = [post(client, valid_data, ip=ip).status_code for ip in home]
    assert statuses == [400, 400, 429]  # checked (no proof-of-work), checked, then throttled
    assert post(client, valid_data, ip="2001:db8:1:3::1").status_code == 400  # the next /64
    # IPv4 is counted per address, as before, also when written as an IPv4-mapped IPv6 address.
    settings.PRIVET_ENQUIRY_RATE_LIMIT = 1
    assert post(client, valid_data, ip="198.51.100.20").status_code == 400
    assert post(client, valid_data, ip="::ffff:198.51.100.20").status_code == 429
    assert post(client, valid_data, ip="198.51.100.21").status_code == 400


def test_the_notice_follows_the_declaration_it_reads(client, db, default_source):
    """Without consent among the bases there is nothing to withdraw, and the notice says nothing
    about it; what the declaration changes, the notice shows."""
    from privet.policy.services import publish_version

    source = default_source.replace("legal_bases: [consent, legitimate_interest]",
                                    "legal_bases: [legitimate_interest]", 1)
    assert source != default_source
    publish_version(source=source, actor="test")
    html = client.get(URL).content.decode()
    assert "withdraw consent" not in html.lower() and "Art. 6(1)(a)" not in html
    assert "Contract (Art. 6(1)(b) GDPR)" in html
