"""Recovery codes: given once at set-up, each signs in once instead of a TOTP code, throttled and
counted toward lockout like a wrong code, and replaced on request. Through the panel's pages."""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from privet.audit.models import AuditEvent
from privet.panel.roles import OPERATOR

from .conftest import PASSWORD, code_for, sign_in

pytestmark = pytest.mark.django_db

CODE_RE = re.compile(r"<code>([a-z2-7]{5}-[a-z2-7]{5})</code>")


def enrol(client: Client, user) -> list[str]:
    """A first sign-in: password, then the authenticator set-up; returns the codes shown."""
    assert client.post("/panel/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    client.get("/panel/login/enrol/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page = client.post("/panel/login/enrol/", {"token": code_for(device)})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Save your recovery codes" in html and "They are shown only now" in html
    return CODE_RE.findall(html)


def password_step(client: Client, username: str = "olga") -> None:
    response = client.post("/panel/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302 and response.url.startswith("/panel/login/verify/")


def test_set_up_shows_ten_codes_once_and_each_signs_in_once(make_operator, caplog):
    user = make_operator("olga", OPERATOR, device=False)
    client = Client()
    with caplog.at_level(logging.DEBUG):
        codes = enrol(client, user)
    assert len(codes) == len(set(codes)) == 10
    assert client.get("/panel/").status_code == 200  # signed in by the set-up itself
    # Shown once: the set-up page now sends a verified operator on, and the account page counts.
    assert client.get("/panel/login/enrol/").status_code == 302
    page = client.get("/panel/account/recovery-codes/").content.decode()
    assert "10 unused recovery codes" in page and not CODE_RE.search(page)
    client.post("/panel/logout/")

    # Without the phone: the verify step offers a recovery code, which signs in.
    other = Client()
    password_step(other)
    verify = other.get("/panel/login/verify/").content.decode()
    assert 'href="/panel/login/recovery/?next=/panel/"' in verify
    response = other.post("/panel/login/recovery/", {"code": codes[0].upper()})
    assert response.status_code == 302 and response.url == "/panel/"
    dashboard = other.get("/panel/", follow=True).content.decode()
    assert "You signed in with a recovery code" in dashboard and "9 codes are" in dashboard
    used = AuditEvent.objects.get(action="panel.recovery_code_used")
    assert json.loads(used.details)["codes_left"] == 9 and used.object_id == str(user.pk)
    assert json.loads(AuditEvent.objects.filter(action="panel.sign_in").latest("seq").details)[
        "factors"] == "password+recovery_code"
    other.post("/panel/logout/")

    # The same code a second time is refused, and counted as a failed sign-in.
    third = Client()
    password_step(third)
    response = third.post("/panel/login/recovery/", {"code": codes[0]}, follow=True)
    assert "That recovery code is not right, or it was used already" in response.content.decode()
    assert third.get("/panel/").status_code == 302
    failure = AuditEvent.objects.filter(action="panel.sign_in_failed").latest("seq")
    assert json.loads(failure.details)["stage"] == "recovery_code"
    assert StaticToken.objects.filter(device__user=user).count() == 9

    # Never the code: not in the audit log, not in the log.
    events = " ".join(AuditEvent.objects.values_list("details", flat=True))
    for code in codes:
        assert code not in events and code.replace("-", "") not in events
        assert code.replace("-", "") not in caplog.text
    created = AuditEvent.objects.get(action="panel.recovery_codes_created")
    assert json.loads(created.details)["codes"] == 10


def test_new_codes_replace_the_old_ones_and_are_audited(make_operator):
    user = make_operator("olga", OPERATOR, device=False)
    client = Client()
    old = enrol(client, user)
    page = client.post("/panel/account/recovery-codes/")
    html = page.content.decode()
    assert "Your earlier recovery codes no longer work" in html
    new = CODE_RE.findall(html)
    assert len(new) == 10 and not set(new) & set(old)
    event = AuditEvent.objects.get(action="panel.recovery_codes_regenerated")
    assert event.actor == f"user:{user.pk}" and json.loads(event.details)["codes"] == 10
    assert not any(c.replace("-", "") in event.details for c in new + old)
    client.post("/panel/logout/")

    again = Client()
    password_step(again)
    refused = again.post("/panel/login/recovery/", {"code": old[1]}, follow=True)
    assert "not right" in refused.content.decode()
    # A wrong code makes the next one wait (django-otp's throttling, as for TOTP codes).
    throttled = again.post("/panel/login/recovery/", {"code": new[0]}, follow=True)
    assert "Too many wrong codes" in throttled.content.decode()
    StaticToken.objects.filter(device__user=user).first().device.throttle_reset()
    assert again.post("/panel/login/recovery/", {"code": new[0]}).url == "/panel/"


def test_recovery_codes_count_toward_lockout_and_bad_input_changes_nothing(make_operator, settings):
    user = make_operator("olga", OPERATOR, device=False)
    enrol(Client(), user)
    client = Client()
    password_step(client)
    page = client.post("/panel/login/recovery/", {"code": "not a code!"})
    assert page.status_code == 200
    assert "Enter one of your recovery codes as it was shown" in page.content.decode()
    assert not AuditEvent.objects.filter(action="panel.sign_in_failed").exists()
    device = StaticToken.objects.filter(device__user=user).first().device
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        device.throttle_reset()  # past the throttle: only the lockout stops a guesser now
        response = client.post("/panel/login/recovery/", {"code": "aaaaa-aaaaa"})
        if attempt < settings.AXES_FAILURE_LIMIT - 1:
            assert response.status_code == 302
    assert response.status_code == 429
    assert b"Sign-in is locked for now" in response.content
    assert AuditEvent.objects.filter(action="panel.locked_out", object_id=str(user.pk)).exists()


def test_a_reset_authenticator_is_set_up_again_not_bypassed_with_a_code(make_operator):
    user = make_operator("olga", OPERATOR, device=False)
    codes = enrol(Client(), user)
    TOTPDevice.objects.filter(user=user).delete()  # the administrator's reset
    client = Client()
    client.post("/panel/login/", {"username": "olga", "password": PASSWORD})
    response = client.post("/panel/login/recovery/", {"code": codes[0]})
    assert response.status_code == 302 and response.url.startswith("/panel/login/enrol/")
    assert client.get("/panel/").status_code == 302


def test_the_recovery_pages_speak_polish(make_operator):
    user = make_operator("olga", OPERATOR)
    client = sign_in(Client(), user)
    page = client.get("/pl/panel/account/recovery-codes/").content.decode()
    assert "Kody odzyskiwania" in page and "Utwórz nowe kody odzyskiwania" in page
    client.post("/panel/logout/")
    client.post("/pl/panel/login/", {"username": "olga", "password": PASSWORD})
    page = client.get("/pl/panel/login/recovery/").content.decode()
    assert "Zaloguj się kodem odzyskiwania" in page


def test_the_admin_shows_how_many_codes_are_left_never_which_and_only_deletes(
        make_operator, admin_client_2fa):
    user = make_operator("olga", OPERATOR, device=False)
    codes = enrol(Client(), user)
    listing = admin_client_2fa.get("/panel/admin/otp_static/staticdevice/")
    assert listing.status_code == 200
    device = StaticToken.objects.filter(device__user=user).first().device
    page = admin_client_2fa.get(f"/panel/admin/otp_static/staticdevice/{device.pk}/change/")
    html = listing.content.decode() + page.content.decode()
    assert page.status_code == 200 and "olga" in html
    assert not any(c.replace("-", "") in html for c in codes)
    assert admin_client_2fa.get("/panel/admin/otp_static/staticdevice/add/").status_code == 403
    response = admin_client_2fa.post(f"/panel/admin/otp_static/staticdevice/{device.pk}/delete/",
                                     {"post": "yes"})
    assert response.status_code == 302
    assert not StaticToken.objects.filter(device__user=user).exists()
    assert AuditEvent.objects.filter(action="admin.deleted", object_type="otp_static.staticdevice").exists()


def test_the_database_holds_no_code_and_a_rotated_key_keeps_them_working(make_operator, settings):
    """A backup or a leaked copy of the database signs nobody in: each code is stored as a keyed
    hash. Rotating the secret key (the old one kept as a fallback) keeps the codes working."""
    user = make_operator("olga", OPERATOR, device=False)
    codes = enrol(Client(), user)
    stored = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(stored) == 10
    for code in codes:
        plain = code.replace("-", "")
        assert plain not in stored and not any(plain in token for token in stored)

    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-for-the-rotation-" + "k" * 40
    client = Client()
    password_step(client)
    response = client.post("/panel/login/recovery/", {"code": codes[1]})
    assert response.status_code == 302 and response.url == "/panel/"
    assert StaticToken.objects.filter(device__user=user).count() == 9
