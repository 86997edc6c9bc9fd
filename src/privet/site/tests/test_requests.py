import pytest
from axes.models import AccessAttempt
from django.test import Client, override_settings
from django.test.client import RequestFactory

from privet.clients import client_ip
from privet.enquiries.models import Enquiry


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "data"), [
    ("get", "/privacy.json", {"version": "1.0\x00"}),
    ("get", "/privacy/versions/%00/", {}),
    ("get", "/panel/audit/", {"action": "\x00"}),
    ("post", "/panel/login/", {"username": "a\x00", "password": "x"}),
])
def test_nul_characters_get_a_clear_400_on_every_database(client, method, path, data):
    response = getattr(client, method)(path, data)
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


def test_client_ip_is_the_address_our_proxy_saw():
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5",
                                   HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7")
    assert client_ip(request) == "10.0.0.5"  # no proxy configured: the header is not trusted
    with override_settings(PRIVET_BEHIND_PROXY=True):
        # The last entry is the one our proxy appended; the client controls the ones before it.
        assert client_ip(request) == "198.51.100.7"
    # Two proxies (a CDN, then nginx): the client is what the outer one, the CDN, appended.
    with override_settings(PRIVET_BEHIND_PROXY=2):
        assert client_ip(request) == "203.0.113.9"
        # A request that skipped the CDN has one entry only: it is not trusted.
        direct = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.7")
        assert client_ip(direct) == "10.0.0.5"


FORM = "application/x-www-form-urlencoded"
REFUSED = "not valid text, so nothing was saved"


def multipart(fields: list[tuple[bytes, bytes, bytes]]) -> bytes:
    """A multipart/form-data body (boundary ``xyz``) of (name, extra disposition, content)."""
    parts = [b"--xyz\r\nContent-Disposition: form-data; name=\"" + name + b"\"" + extra + b"\r\n\r\n"
             + content + b"\r\n" for name, extra, content in fields]
    return b"".join(parts) + b"--xyz--\r\n"


@pytest.mark.django_db
@pytest.mark.parametrize("body", [
    b"name=Ann\xff\xfe&email=ann@example.com&message=Hello",  # raw bytes that are no UTF-8
    b"name=Ann%FF%FE&email=ann@example.com&message=Hello",  # the same, percent-encoded
    b"name=Ann&email=ann@example.com&message=Za\xc5",  # a character cut short
    b"na\xffme=Ann&email=ann@example.com",  # in a field's name
])
@pytest.mark.parametrize("path", ["/contact/", "/pl/kontakt/", "/panel/login/"])
def test_a_form_body_that_is_not_utf8_gets_a_clear_400_and_nothing_is_stored(published, path, body):
    client = Client(raise_request_exception=False)
    response = client.generic("POST", path, body, content_type=FORM)
    assert response.status_code == 400
    text = response.content.decode()
    assert (REFUSED if not path.startswith("/pl/") else "nie są poprawnym tekstem") in text
    assert not Enquiry.objects.exists() and not AccessAttempt.objects.exists()


@pytest.mark.django_db
def test_a_multipart_field_that_is_not_utf8_is_refused_but_a_binary_file_is_not(published):
    client = Client(raise_request_exception=False)
    bad = multipart([(b"username", b"", b"Ann\xff\xfe"), (b"password", b"", b"x")])
    response = client.generic("POST", "/panel/login/", bad, content_type="multipart/form-data; boundary=xyz")
    assert response.status_code == 400 and REFUSED in response.content.decode()
    assert not AccessAttempt.objects.exists()
    with_file = multipart([(b"username", b"", "Zbigniew Żółć".encode()), (b"password", b"", b"x"),
                           (b"avatar", b'; filename="a.png"', b"\x89PNG\xff\xfe\x00\x01")])
    response = client.generic("POST", "/panel/login/", with_file,
                              content_type="multipart/form-data; boundary=xyz")
    assert response.status_code == 200  # the sign-in form again: a wrong password, not a bad body
    assert AccessAttempt.objects.get().username == "Zbigniew Żółć"


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["version=1.0\xff", "version=1.0%C5", "v%FF=1"])
def test_a_query_string_that_is_not_utf8_gets_a_clear_400(published, query):
    response = Client().generic("GET", "/privacy.json", QUERY_STRING=query)
    assert response.status_code == 400 and REFUSED in response.content.decode()
    response = Client().generic("GET", "/api/consent/config", QUERY_STRING="site=soft" + query)
    assert response.status_code == 400 and response.json()["error"] == "invalid_utf8"


@pytest.mark.django_db
def test_valid_utf8_raw_or_percent_encoded_is_still_accepted(published):
    client = Client(raise_request_exception=False)
    for body in ("username=Zażółć+gęślą&password=x".encode(), b"username=G%C4%99%C5%9B&password=x"):
        assert client.generic("POST", "/panel/login/", body, content_type=FORM).status_code == 200
    assert sorted(a.username for a in AccessAttempt.objects.all()) == ["Gęś", "Zażółć gęślą"]
