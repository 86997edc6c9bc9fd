import pytest
from django.test import override_settings
from django.test.client import RequestFactory

from privet.clients import client_ip


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
