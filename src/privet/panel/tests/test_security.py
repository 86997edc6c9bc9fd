"""Headers, cookies, the gate on every panel URL, and the drift check over axes' tables."""

from __future__ import annotations

import ipaddress

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth import get_user_model
from django.core import checks
from django.test import Client, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from privet.policy.checks import checked_models
from privet.pseudonyms import ip_ref
from privet.registry import registry

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

PANEL_GET_URLS = [
    "/panel/", "/panel/enquiries/", "/panel/enquiries/new/", "/panel/enquiries/1/", "/panel/audit/",
    "/pl/panel/", "/panel/admin/", "/panel/admin/auth/user/",
]
PANEL_POST_URLS = ["/panel/enquiries/1/status/", "/panel/enquiries/1/notes/", "/panel/enquiries/new/"]


@pytest.fixture
def password_only_client(make_operator):
    make_operator("olga")
    client = Client()
    assert client.post("/panel/login/", {"username": "olga", "password": PASSWORD}).status_code == 302
    return client


@pytest.mark.parametrize("url", PANEL_GET_URLS)
def test_a_password_only_session_is_sent_to_the_totp_step_from_every_page(password_only_client, url):
    response = password_only_client.get(url, follow=True)
    assert response.redirect_chain, url
    assert "/login/verify/" in response.redirect_chain[-1][0]
    assert response.status_code == 200


@pytest.mark.parametrize("url", PANEL_POST_URLS)
def test_a_password_only_session_cannot_post_to_the_panel(password_only_client, url):
    response = password_only_client.post(url, {"to_status": "offer", "body": "x"})
    assert response.status_code == 302 and "/login/verify/" in response.url


def test_passwords_are_hashed_with_argon2(make_operator):
    assert make_operator("olga").password.startswith("argon2$")


def test_security_headers_on_panel_pages(operator_client):
    for url in ("/panel/login/", "/panel/", "/panel/enquiries/", "/panel/admin/"):
        response = (Client() if url == "/panel/login/" else operator_client).get(url)
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def test_panel_templates_have_no_inline_script_or_style(operator_client):
    for url in ("/panel/", "/panel/enquiries/", "/panel/enquiries/new/"):
        html = operator_client.get(url).content.decode()
        assert "<script>" not in html and " style=" not in html and " onclick=" not in html


@override_settings(SECURE_HSTS_SECONDS=31536000)
def test_hsts_outside_the_demo_on_https(client):
    response = client.get("/panel/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000"


@override_settings(SECURE_HSTS_SECONDS=0)
def test_no_hsts_in_the_demo(client):
    assert "Strict-Transport-Security" not in client.get("/panel/login/", secure=True)


def test_session_cookie_is_secure_http_only_and_same_site(make_operator, settings):
    make_operator("olga")
    client = Client()
    client.post("/panel/login/", {"username": "olga", "password": PASSWORD})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert settings.SESSION_COOKIE_NAME.startswith("__Host-")
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["max-age"] == settings.SESSION_COOKIE_AGE <= 60 * 60  # idle timeout
    assert settings.SESSION_SAVE_EVERY_REQUEST


def test_axes_sees_only_the_ip_pseudonym(make_operator):
    make_operator("olga")
    Client(REMOTE_ADDR="198.51.100.7").post("/panel/login/", {"username": "olga", "password": "nope nope"})
    attempt = AccessAttempt.objects.get()
    address = int(ipaddress.IPv6Address(attempt.ip_address))
    assert address >> 64 == int(ipaddress.IPv6Address("100::")) >> 64  # discard-only 100::/64
    assert address & (2**64 - 1) == int(ip_ref("198.51.100.7"), 16)
    assert not AccessLog.objects.exists()  # successful sign-ins live in the audit log only


def test_the_drift_check_inspects_axes_and_otp_tables():
    models = checked_models()
    assert AccessAttempt in models and TOTPDevice in models
    assert registry.category_of(AccessAttempt, "ip_address") == "technical_data"
    errors = [e for e in checks.run_checks() if e.id.startswith("privet.E")]
    assert errors == []


def test_the_lockout_page_is_not_shown_for_unknown_accounts_differently(settings):
    """Unknown usernames lock out like real ones: the page does not reveal which accounts exist."""
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/panel/login/", {"username": "ghost", "password": "whatever 1"})
    assert response.status_code == 429
    assert not get_user_model().objects.filter(username="ghost").exists()


def test_an_ipv6_client_is_locked_out_by_its_64_prefix_under_one_pseudonym(make_operator, settings):
    """Hopping between addresses of one /64 does not reset the count; axes still stores only the
    pseudonym (of the /64), shaped as an address in 100::/64."""
    make_operator("olga")
    for n in range(settings.AXES_FAILURE_LIMIT):
        Client(REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}").post(
            "/panel/login/", {"username": "olga", "password": "guess guess"})
    locked = Client(REMOTE_ADDR="2001:db8:1:2:dead:beef::1").post(
        "/panel/login/", {"username": "olga", "password": PASSWORD})
    assert locked.status_code == 429
    attempt = AccessAttempt.objects.get()
    address = int(ipaddress.IPv6Address(attempt.ip_address))
    assert address & (2**64 - 1) == int(ip_ref("2001:db8:1:2::/64"), 16)
    assert "2001:db8" not in attempt.ip_address
    # Another /64 (another line) is not affected.
    other = Client(REMOTE_ADDR="2001:db8:1:3::1").post(
        "/panel/login/", {"username": "olga", "password": PASSWORD})
    assert other.status_code == 302


@pytest.mark.parametrize(("ip", "network"), [
    ("203.0.113.7", "203.0.113.7"),
    ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
    ("2001:DB8:1:2::1", "2001:db8:1:2::/64"),
    ("fe80::1%eth0", "fe80::/64"),
    ("::ffff:203.0.113.7", "203.0.113.7"),
    ("unknown", "unknown"),
])
def test_what_counts_as_one_client(ip, network):
    from privet.clients import client_network

    assert client_network(ip) == network


def test_sign_in_records_expire_after_the_declared_security_period(make_operator, published):
    from datetime import timedelta

    from django.utils import timezone

    from privet.audit.models import AuditEvent

    make_operator("olga")
    for address in ("198.51.100.7", "198.51.100.8"):
        Client(REMOTE_ADDR=address).post("/panel/login/", {"username": "olga", "password": "nope"})
    old, new = AccessAttempt.objects.order_by("pk")
    AccessAttempt.objects.filter(pk=old.pk).update(attempt_time=timezone.now() - timedelta(days=91))
    target = registry.targets["panel.accessattempt"]
    expired, _ = target.expired(published.declaration())  # 90 days after collected
    assert [r.pk for r, _ in expired] == [old.pk]
    assert target.expire(AccessAttempt.objects.filter(pk=old.pk), actor="system:retention",
                         run_ref="RUN-2") == 1
    assert list(AccessAttempt.objects.all()) == [new]
    assert AuditEvent.objects.filter(action="security.sign_in_records_expired").exists()
