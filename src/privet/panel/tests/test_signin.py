"""Signing in: password, then a real TOTP code; enrolment; lockout after repeated failures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from freezegun import freeze_time

from privet.audit.models import AuditEvent
from privet.panel.roles import OPERATOR

from .conftest import PASSWORD, code_for, sign_in

pytestmark = pytest.mark.django_db


def test_sign_in_needs_the_password_and_then_a_totp_code(make_operator):
    user = make_operator("olga", OPERATOR)
    client = Client()
    response = client.get("/panel/enquiries/")
    assert response.status_code == 302
    assert response.url == "/panel/login/?next=/panel/enquiries/"

    response = client.post("/panel/login/?next=/panel/enquiries/",
                           {"username": "olga", "password": PASSWORD, "next": "/panel/enquiries/"})
    assert response.status_code == 302
    assert response.url == "/panel/login/verify/?next=%2Fpanel%2Fenquiries%2F"
    # The password alone opens nothing.
    response = client.get("/panel/enquiries/")
    assert response.status_code == 302 and response.url.startswith("/panel/login/verify/")
    page = client.get(response.url)
    assert b"Enter your authenticator code" in page.content

    device = TOTPDevice.objects.get(user=user)
    response = client.post("/panel/login/verify/?next=/panel/enquiries/",
                           {"token": code_for(device), "next": "/panel/enquiries/"})
    assert response.status_code == 302 and response.url == "/panel/enquiries/"
    assert client.get("/panel/enquiries/").status_code == 200

    event = AuditEvent.objects.get(action="panel.sign_in")
    assert event.actor == f"user:{user.pk}"
    assert "127.0.0.1" not in event.details and '"ip_ref"' in event.details


def test_a_wrong_password_is_refused_and_recorded_without_the_ip(make_operator):
    make_operator("olga")
    response = Client().post("/panel/login/", {"username": "olga", "password": "wrong password!"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    event = AuditEvent.objects.get(action="panel.sign_in_failed")
    assert '"stage":"password"' in event.details and "127.0.0.1" not in event.details


def test_made_up_usernames_are_refused_without_growing_the_audit_log():
    for name in ("nobody", "root"):
        response = Client().post("/panel/login/", {"username": name, "password": "wrong password!"})
        assert response.status_code == 200
    assert not AuditEvent.objects.filter(action="panel.sign_in_failed").exists()


# django-otp refuses every code for one second after a wrong one: stop the clock, so a slow
# machine cannot let that second run out before the right code is tried.
@freeze_time("2026-11-25 12:00:00")
def test_a_wrong_totp_code_is_refused_with_a_clear_message(make_operator):
    user = make_operator("olga")
    client = Client()
    client.post("/panel/login/", {"username": "olga", "password": PASSWORD})
    device = TOTPDevice.objects.get(user=user)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post("/panel/login/verify/", {"token": wrong}, follow=True)
    assert b"That code is not right" in response.content
    assert client.get("/panel/").status_code == 302
    assert AuditEvent.objects.filter(action="panel.sign_in_failed", details__contains="totp").count() == 1

    # django-otp throttles the device: right after a wrong code even the right one is refused...
    response = client.post("/panel/login/verify/", {"token": code_for(device)}, follow=True)
    assert b"Too many wrong codes. Wait until" in response.content
    # ...until the wait is over (here: the failure moved ten seconds into the past).
    device.refresh_from_db()
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=device.throttling_failure_timestamp - timedelta(seconds=10)
    )
    response = client.post("/panel/login/verify/", {"token": code_for(device)})
    assert response.status_code == 302 and response.url == "/panel/"


def test_letters_instead_of_a_code_are_refused_by_the_form(make_operator):
    make_operator("olga")
    client = Client()
    client.post("/panel/login/", {"username": "olga", "password": PASSWORD})
    response = client.post("/panel/login/verify/", {"token": "abcdef"})
    assert response.status_code == 200
    assert b"Enter the six digits your authenticator app shows." in response.content


def test_repeated_wrong_totp_codes_lock_out(make_operator, settings):
    user = make_operator("olga")
    client = Client()
    client.post("/panel/login/", {"username": "olga", "password": PASSWORD})
    device = TOTPDevice.objects.get(user=user)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/panel/login/verify/", {"token": wrong}).status_code == 302
    response = client.post("/panel/login/verify/", {"token": wrong})
    assert response.status_code == 429
    assert b"Sign-in is locked for now" in response.content
    # The half-signed-in session is gone, and the password no longer opens a new one.
    assert client.get("/panel/").url.startswith("/panel/login/")
    response = client.post("/panel/login/", {"username": "olga", "password": PASSWORD})
    assert response.status_code == 429
    assert AuditEvent.objects.filter(action="panel.locked_out", object_id=str(user.pk)).exists()


def test_repeated_wrong_passwords_lock_out_and_axes_keeps_no_raw_ip(make_operator, settings):
    user = make_operator("olga")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/panel/login/", {"username": "olga", "password": "not the password"})
        assert response.status_code == 200
    response = client.post("/panel/login/", {"username": "olga", "password": "not the password"})
    assert response.status_code == 429
    assert b"Sign-in is locked for now" in response.content
    assert b"Try again in 15 minutes" in response.content
    # Even the right password is refused while locked.
    response = client.post("/panel/login/", {"username": "olga", "password": PASSWORD})
    assert response.status_code == 429
    assert AuditEvent.objects.filter(action="panel.locked_out", object_id=str(user.pk)).count() >= 1

    attempt = AccessAttempt.objects.get(username="olga")
    assert attempt.ip_address.startswith("100::")  # the pseudonym, in the discard-only prefix
    assert "127.0.0.1" not in (attempt.ip_address, attempt.get_data, attempt.post_data)
    assert "not the password" not in attempt.post_data


def test_another_client_is_not_locked_out_by_someone_elses_failures(make_operator, settings):
    make_operator("olga")
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attacker.post("/panel/login/", {"username": "olga", "password": "guess guess"})
    assert attacker.post("/panel/login/", {"username": "olga", "password": PASSWORD}).status_code == 429
    response = Client().post("/panel/login/", {"username": "olga", "password": PASSWORD})
    assert response.status_code == 302


def test_a_proxy_that_adds_ports_or_zeros_does_not_dodge_the_lockout(make_operator, settings):
    """Behind a proxy that writes ``ip:port`` or pads with zeros, each try is still the same client."""
    settings.PRIVET_BEHIND_PROXY = 1
    make_operator("olga")
    seen_as = ["203.0.113.5:51234", "203.0.113.5:51235", "203.000.113.005", "203.0.113.5:1",
               "203.0.113.5"]
    codes = [Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=value)
             .post("/panel/login/", {"username": "olga", "password": "guess guess"}).status_code
             for value in seen_as[:settings.AXES_FAILURE_LIMIT]]
    assert codes[-1] == 429, codes
    locked = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="[::ffff:203.0.113.5]:443")
    assert locked.post("/panel/login/", {"username": "olga", "password": PASSWORD}).status_code == 429
    elsewhere = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7:51234")
    assert elsewhere.post("/panel/login/", {"username": "olga", "password": PASSWORD}).status_code == 302


def test_first_sign_in_forces_totp_enrolment_with_a_qr_code(make_operator):
    user = make_operator("nowy", OPERATOR, device=False)
    client = Client()
    response = client.post("/panel/login/", {"username": "nowy", "password": PASSWORD})
    assert response.url.startswith("/panel/login/enrol/")
    # Nothing else opens before enrolment is done.
    for url in ("/panel/", "/panel/enquiries/", "/panel/login/verify/"):
        assert client.get(url).url.startswith("/panel/login/enrol/")
    page = client.get("/panel/login/enrol/")
    assert page.status_code == 200
    assert b"<svg" in page.content and b"<script" not in page.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = "".join(page.context["secret_groups"])
    assert device.config_url.split("secret=")[1].startswith(secret)

    response = client.post("/panel/login/enrol/", {"token": code_for(device)})
    assert response.status_code == 200 and len(response.context["codes"]) == 10  # recovery codes
    assert response.context["next"] == "/panel/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/panel/").status_code == 200
    assert AuditEvent.objects.filter(action="panel.totp_enrolled", object_id=str(user.pk)).exists()


def test_sign_out_ends_the_session(make_operator):
    user = make_operator("olga")
    client = sign_in(Client(), user)
    response = client.post("/panel/logout/")
    assert response.status_code == 302 and response.url == "/panel/login/"
    assert client.get("/panel/").status_code == 302
    assert AuditEvent.objects.filter(action="panel.sign_out").exists()


def test_a_used_code_cannot_be_replayed_in_another_session(make_operator):
    user = make_operator("olga")
    device = TOTPDevice.objects.get(user=user)
    # One code, read once: recomputing it could cross a 30-second step and yield a fresh code.
    code = code_for(device)
    first = Client()
    first.post("/panel/login/", {"username": "olga", "password": PASSWORD})
    assert first.post("/panel/login/verify/", {"token": code}).url == "/panel/"
    other = Client()
    other.post("/panel/login/", {"username": "olga", "password": PASSWORD})
    response = other.post("/panel/login/verify/", {"token": code}, follow=True)
    assert b"That code is not right" in response.content


def test_sign_in_continues_to_a_page_of_ours_only(make_operator):
    user = make_operator("olga")
    client = Client()
    client.post("/panel/login/", {"username": "olga", "password": PASSWORD, "next": "https://evil.example/"})
    device = TOTPDevice.objects.get(user=user)
    response = client.post("/panel/login/verify/", {"token": code_for(device), "next": "https://evil.example/"})
    assert response.url == "/panel/"


def test_the_panel_speaks_polish_under_pl(make_operator):
    page = Client().get("/pl/panel/login/")
    assert "Zaloguj się do panelu" in page.content.decode()
    user = make_operator("olga")
    client = Client()
    response = client.post("/pl/panel/login/", {"username": "olga", "password": PASSWORD})
    assert response.url.startswith("/pl/panel/login/verify/")
    device = TOTPDevice.objects.get(user=user)
    response = client.post("/pl/panel/login/verify/", {"token": code_for(device)})
    assert response.url == "/pl/panel/"
    text = client.get("/pl/panel/").content.decode()
    assert "Otwarte zapytania" in text and "Wyloguj" in text
