"""Operator roles: which group grants which permissions, and the checks views use.

A role is a Django group, kept in step with this table after every ``migrate``
(``services.ensure_roles``). Views ask for a *capability*
(a ``panel.*`` permission), never for a group name:

============================  ==========  ===============  =============
capability                    operator    privacy officer  administrator
============================  ==========  ===============  =============
work_enquiries                yes         yes              yes
work_rights                   yes         yes              yes
pause_rights                  no          yes              yes
view_audit                    no           yes              yes
hold_records                  no           yes              yes
manage_users (Django admin)   no           no                yes
============================  ==========  ===============  =============

Every holder of ``work_rights`` sees every rights request, assigned to them or not: a request
is the company's duty, not one person's, and a colleague must be able to pick up an overdue one;
assigning says who is reminded. Pausing the processing of every request (``pause_rights``) stops
the engine for everyone, so it is the privacy officer's and the administrator's call: they
answer for the company's handling of personal data, and an operator who sees an error asks them.
So are legal holds and running the retention sweeper at once (``hold_records``): a hold keeps
records past what the policy promises, and lifting one lets them expire for good; every role
may see the retention pages.

Integrations (issue 12): an operator works on the clients assigned to them only
(``work_integrations``); any other client is a 404 to them. The privacy officer and the
administrator see every client (``see_all_clients``), and only the administrator creates clients
and assigns operators (``manage_clients``).

Administrators also hold the model permissions the Django admin needs to manage accounts,
second factors and lockouts (``ADMIN_MODEL_PERMISSIONS``).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils.translation import gettext_lazy as _

OPERATOR = "operator"
PRIVACY_OFFICER = "privacy officer"
ADMINISTRATOR = "administrator"

WORK_ENQUIRIES = "panel.work_enquiries"
WORK_RIGHTS = "panel.work_rights"
PAUSE_RIGHTS = "panel.pause_rights"
VIEW_AUDIT = "panel.view_audit"
MANAGE_USERS = "panel.manage_users"
HOLD_RECORDS = "panel.hold_records"
WORK_INTEGRATIONS = "panel.work_integrations"
SEE_ALL_CLIENTS = "panel.see_all_clients"
MANAGE_CLIENTS = "panel.manage_clients"

ROLE_LABELS = {
    OPERATOR: _("Operator"),
    PRIVACY_OFFICER: _("Privacy officer"),
    ADMINISTRATOR: _("Administrator"),
}
ROLE_PERMISSIONS: dict[str, list[str]] = {
    OPERATOR: [WORK_ENQUIRIES, WORK_RIGHTS],
    PRIVACY_OFFICER: [WORK_ENQUIRIES, WORK_RIGHTS, PAUSE_RIGHTS, VIEW_AUDIT],
    ADMINISTRATOR: [WORK_ENQUIRIES, WORK_RIGHTS, PAUSE_RIGHTS, VIEW_AUDIT, MANAGE_USERS],
}
# Legal holds and "Run now" on the retention page (issue 11).
ROLE_PERMISSIONS[PRIVACY_OFFICER].append(HOLD_RECORDS)
ROLE_PERMISSIONS[ADMINISTRATOR].append(HOLD_RECORDS)
# Client integrations (issue 12).
ROLE_PERMISSIONS[OPERATOR].append(WORK_INTEGRATIONS)
ROLE_PERMISSIONS[PRIVACY_OFFICER] += [WORK_INTEGRATIONS, SEE_ALL_CLIENTS]
ROLE_PERMISSIONS[ADMINISTRATOR] += [WORK_INTEGRATIONS, SEE_ALL_CLIENTS, MANAGE_CLIENTS]
# app_label -> actions on all of that app's models (for the Django admin), administrators only.
ADMIN_MODEL_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "auth": ("add", "change", "delete", "view"),
    # View and delete only: deleting a device is the reset (the next sign-in enrols a new one),
    # and nobody needs to edit, or see, a second factor's key.
    "otp_totp": ("delete", "view"),
    "otp_static": ("delete", "view"),  # recovery codes: deleting them is a reset too
    "axes": ("delete", "view"),
    "audit": ("view",),
    "policy": ("view",),
    "consent": ("view",),  # a visitor's receipts, to prove a consent (search by visitor id)
}


def roles_of(user: AbstractBaseUser | AnonymousUser) -> list[str]:
    """The role names the user holds (one query)."""
    if not user.is_authenticated:
        return []
    return sorted(user.groups.filter(name__in=ROLE_PERMISSIONS).values_list("name", flat=True))


def can(user: AbstractBaseUser | AnonymousUser, capability: str) -> bool:
    """Whether the user's roles allow ``capability`` (a ``panel.*`` permission; superusers may all)."""
    return bool(user.is_active and user.has_perm(capability))
