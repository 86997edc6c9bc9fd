"""Roles: each sees only what it allows; the admin is for administrators with TOTP."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from privet.audit.models import AuditEvent
from privet.panel.roles import ADMINISTRATOR, OPERATOR, PRIVACY_OFFICER, ROLE_PERMISSIONS, roles_of
from privet.panel.services import UnknownRole, assign_role

from .conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db


def test_migrate_creates_the_three_roles_with_their_permissions():
    perms = {
        g.name: {f"{p.content_type.app_label}.{p.codename}" for p in g.permissions.all()}
        for g in Group.objects.filter(name__in=ROLE_PERMISSIONS)
    }
    assert perms[OPERATOR] == {"panel.work_enquiries", "panel.work_rights",
                               "panel.work_integrations"}
    assert perms[PRIVACY_OFFICER] == {"panel.work_enquiries", "panel.work_rights",
                                      "panel.pause_rights", "panel.view_audit",
                                      "panel.hold_records", "panel.work_integrations",
                                      "panel.see_all_clients"}
    assert {"panel.hold_records", "panel.see_all_clients", "panel.manage_clients"} <= perms[ADMINISTRATOR]
    assert {"panel.manage_users", "auth.change_user", "otp_totp.delete_totpdevice",
            "axes.delete_accessattempt", "audit.view_auditevent"} <= perms[ADMINISTRATOR]
    assert "audit.change_auditevent" not in perms[ADMINISTRATOR]


def test_an_operator_works_enquiries_but_sees_no_audit_log_or_admin(operator_client):
    page = operator_client.get("/panel/")
    assert page.status_code == 200
    assert b'href="/panel/audit/"' not in page.content and b'href="/panel/admin/"' not in page.content
    response = operator_client.get("/panel/audit/")
    assert response.status_code == 403 and b"Not available for your role" in response.content
    response = operator_client.get("/panel/admin/", follow=True)
    assert response.status_code == 403
    assert operator_client.get("/panel/admin/auth/user/", follow=True).status_code == 403


def test_a_privacy_officer_also_sees_the_audit_log_but_not_the_admin(officer_client):
    page = officer_client.get("/panel/")
    assert b'href="/panel/audit/"' in page.content and b'href="/panel/admin/"' not in page.content
    audit = officer_client.get("/panel/audit/")
    assert audit.status_code == 200 and b"panel.sign_in" in audit.content
    assert officer_client.get("/panel/admin/", follow=True).status_code == 403


def test_an_administrator_uses_the_admin_in_the_panels_look(admin_client_2fa):
    page = admin_client_2fa.get("/panel/")
    assert b'href="/panel/admin/"' in page.content
    admin = admin_client_2fa.get("/panel/admin/")
    assert admin.status_code == 200
    assert b"panel/admin.css" in admin.content and b"Back to the panel" in admin.content
    assert admin_client_2fa.get("/panel/admin/auth/user/").status_code == 200
    assert admin_client_2fa.get("/panel/audit/").status_code == 200


def test_the_admin_needs_the_second_factor_too(make_operator):
    make_operator("ada", ADMINISTRATOR)
    client = Client()
    client.post("/panel/login/", {"username": "ada", "password": PASSWORD})  # password only
    response = client.get("/panel/admin/")
    assert response.status_code == 302
    response = client.get(response.url)
    assert response.status_code == 302 and response.url.startswith("/panel/login/verify/")


def test_an_account_without_a_role_sees_nothing(make_operator):
    client = sign_in(Client(), make_operator("nobody", None))
    assert client.get("/panel/").status_code == 403
    assert client.get("/panel/enquiries/").status_code == 403


def test_assigning_a_role_is_audited_and_replaces_the_previous_one(make_operator):
    admin = make_operator("ada", ADMINISTRATOR)
    user = make_operator("olga", OPERATOR)
    assign_role(user=user, role=PRIVACY_OFFICER, actor=admin)
    assert roles_of(user) == [PRIVACY_OFFICER] and not user.is_staff
    event = AuditEvent.objects.filter(action="panel.role_changed", object_id=str(user.pk)).last()
    assert event.actor == f"user:{admin.pk}"
    assert event.details == '{"from":["operator"],"to":["privacy officer"]}'
    assign_role(user=user, role=ADMINISTRATOR, actor=admin)
    user.refresh_from_db()
    assert user.is_staff
    with pytest.raises(UnknownRole):
        assign_role(user=user, role="root", actor=admin)


def test_a_deleted_role_group_comes_back_with_its_permissions(make_operator):
    Group.objects.filter(name=PRIVACY_OFFICER).delete()
    user = make_operator("piotr", PRIVACY_OFFICER)
    assert user.has_perm("panel.view_audit") and not user.has_perm("panel.manage_users")


def test_a_role_change_in_the_django_admin_is_audited_and_moves_admin_access(admin_client_2fa, make_operator):
    user = make_operator("olga", OPERATOR)
    page = admin_client_2fa.get(f"/panel/admin/auth/user/{user.pk}/change/")
    form = page.context["adminform"].form
    skip = {"groups", "user_permissions"}
    data = {k: v for k, v in form.initial.items() if v is not None and k not in skip}
    data.update({"username": "olga", "is_active": "on", "last_login_0": "", "last_login_1": "",
                 "date_joined_0": "2025-01-01", "date_joined_1": "10:00:00",
                 "groups": [Group.objects.get(name=PRIVACY_OFFICER).pk]})
    data.pop("last_login", None)
    data.pop("date_joined", None)
    data.pop("is_staff", None)
    data.pop("is_superuser", None)
    response = admin_client_2fa.post(f"/panel/admin/auth/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert roles_of(user) == [PRIVACY_OFFICER]
    event = AuditEvent.objects.filter(action="panel.role_changed", object_id=str(user.pk)).last()
    assert event.details == '{"from":["operator"],"to":["privacy officer"]}'

    # Made administrator in the admin, the account may use the admin; demoted, it no longer may.
    data["groups"] = [Group.objects.get(name=ADMINISTRATOR).pk]
    assert admin_client_2fa.post(f"/panel/admin/auth/user/{user.pk}/change/", data).status_code == 302
    user.refresh_from_db()
    assert user.is_staff
    data["groups"] = [Group.objects.get(name=OPERATOR).pk]
    assert admin_client_2fa.post(f"/panel/admin/auth/user/{user.pk}/change/", data).status_code == 302
    user.refresh_from_db()
    assert not user.is_staff and roles_of(user) == [OPERATOR]


def test_the_demo_operator_is_an_administrator_who_must_enrol_first():
    from io import StringIO

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    out = StringIO()
    call_command("demo", "--setup-only", stdout=out)
    password = out.getvalue().split("one-time password: ")[1].split()[0]
    assert "first sign-in sets up two-factor sign-in" in out.getvalue()
    user = get_user_model().objects.get(username="operator")
    assert roles_of(user) == [ADMINISTRATOR]
    client = Client()
    response = client.post("/panel/login/", {"username": "operator", "password": password})
    assert response.url.startswith("/panel/login/enrol/")


def test_admin_offers_roles_not_raw_permissions_and_audits_second_factor_resets(
        admin_client_2fa, make_operator):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = make_operator("olga", OPERATOR)
    page = admin_client_2fa.get(f"/panel/admin/auth/user/{user.pk}/change/")
    fields = page.context["adminform"].form.fields
    assert "groups" in fields and "is_active" in fields
    assert "is_superuser" not in fields and "user_permissions" not in fields
    device = TOTPDevice.objects.get(user=user)
    response = admin_client_2fa.post(f"/panel/admin/otp_totp/totpdevice/{device.pk}/delete/",
                                     {"post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    event = AuditEvent.objects.get(action="admin.deleted")
    assert event.object_type == "otp_totp.totpdevice" and event.object_id == str(device.pk)


def test_the_admin_shows_no_second_factor_key_and_cannot_edit_a_device(admin_client_2fa,
                                                                       make_operator):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=make_operator("olga", OPERATOR))
    url = f"/panel/admin/otp_totp/totpdevice/{device.pk}/change/"
    page = admin_client_2fa.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert device.key not in html and device.key.upper() not in html
    assert 'name="key"' not in html and "qrcode" not in html.lower()
    assert "Delete" in html  # the documented reset stays
    assert admin_client_2fa.get(f"/panel/admin/otp_totp/totpdevice/{device.pk}/config/").status_code == 403
    # View only: a change posted anyway is refused and changes nothing.
    response = admin_client_2fa.post(url, {"user": device.user_id, "name": "x", "confirmed": "on",
                                           "key": "00" * 20, "step": 30, "t0": 0, "digits": 6,
                                           "tolerance": 1, "drift": 0})
    assert response.status_code == 403
    device.refresh_from_db()
    assert device.name == "Authenticator app" and device.key != "00" * 20
    assert admin_client_2fa.get("/panel/admin/otp_totp/totpdevice/").status_code == 200


def test_not_even_a_superuser_can_add_a_second_factor_or_see_or_move_one(make_operator):
    """A device added in the admin would show its key to whoever added it, and editing one
    could hand it to another account: superusers too may only view and delete devices."""
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    root = get_user_model().objects.create_superuser("root", password=PASSWORD)
    TOTPDevice.objects.create(user=root, name="Authenticator app", confirmed=True)
    client = sign_in(Client(), root)
    olga = make_operator("olga", OPERATOR)
    device = TOTPDevice.objects.get(user=olga)
    assert client.get("/panel/admin/").status_code == 200
    assert client.get("/panel/admin/otp_totp/totpdevice/add/").status_code == 403
    assert client.post("/panel/admin/otp_totp/totpdevice/add/",
                       {"user": root.pk, "name": "x", "key": "00" * 20}).status_code == 403
    url = f"/panel/admin/otp_totp/totpdevice/{device.pk}/change/"
    html = client.get(url).content.decode()
    assert device.key not in html and device.key.upper() not in html
    assert 'name="key"' not in html and 'name="user"' not in html  # shown, not editable
    assert "olga" in html and "Delete" in html  # whose device it is; the reset stays
    assert client.get(f"/panel/admin/otp_totp/totpdevice/{device.pk}/config/").status_code == 403
    assert client.get(f"/panel/admin/otp_totp/totpdevice/{device.pk}/qrcode/").status_code == 403
    assert client.post(url, {"user": root.pk, "name": "moved", "confirmed": "on"}).status_code == 403
    device.refresh_from_db()
    assert device.user_id == olga.pk and device.name == "Authenticator app"
    listing = client.get("/panel/admin/otp_totp/totpdevice/").content.decode()
    assert device.key not in listing and "Add TOTP device" not in listing
