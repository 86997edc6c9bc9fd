"""Operators with roles and real TOTP devices, and clients signed in through the real flow."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from privet.panel.roles import ADMINISTRATOR, OPERATOR, PRIVACY_OFFICER
from privet.panel.services import assign_role

PASSWORD = "a long correct horse battery"


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the operator's authenticator app shows now (or ``steps_ahead`` periods later)."""
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits,
                drift=device.drift + steps_ahead)
    return f"{code:0{device.digits}d}"


def sign_in_browser(page, url: str, user) -> None:
    """Sign ``user`` in to the panel at ``url`` in a real browser: password, then the code their
    authenticator app shows now (the browser tests of every app share it)."""
    page.goto(url + "/panel/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/panel/login/verify/**")
    page.get_by_label("Six-digit code from your authenticator app").fill(
        code_for(TOTPDevice.objects.get(user=user)))
    page.get_by_role("button", name="Verify and sign in").click()
    page.wait_for_url(url + "/panel/")


@pytest.fixture
def make_operator(db):
    def make(username: str = "olga", role: str | None = OPERATOR, *, device: bool = True):
        user = get_user_model().objects.create_user(username, password=PASSWORD)
        if role:
            assign_role(user=user, role=role, actor="test")
        if device:
            TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
        return user

    return make


def sign_in(client: Client, user) -> Client:
    """Password, then the current TOTP code, through the panel's own pages."""
    response = client.post("/panel/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    response = client.post("/panel/login/verify/", {"token": code_for(device)})
    assert response.status_code == 302 and response.url == "/panel/", response
    return client


@pytest.fixture
def operator_client(make_operator):
    return sign_in(Client(), make_operator("olga", OPERATOR))


@pytest.fixture
def officer_client(make_operator):
    return sign_in(Client(), make_operator("piotr", PRIVACY_OFFICER))


@pytest.fixture
def admin_client_2fa(make_operator):
    return sign_in(Client(), make_operator("ada", ADMINISTRATOR))
