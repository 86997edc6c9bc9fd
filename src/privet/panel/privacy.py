"""Personal data the operator side stores through third-party apps (in the drift check's scope via
``PRIVET_DRIFT_THIRD_PARTY_APPS``): staff accounts and sessions, django-axes' sign-in attempts and
django-otp's devices."""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django_otp.plugins.otp_totp.models import TOTPDevice

from privet.registry import registry

User = get_user_model()

_ATTEMPT_FIELDS = {
    # privet.panel.lockout.client_ip_pseudonym: the keyed pseudonym, never the raw address.
    "ip_address": "technical_data",
    "user_agent": "technical_data",
    "username": "technical_data",  # as typed at sign-in (security log)
}
_QUERY_DATA = "axes masks the password, username and IP address before storing request data"

registry.personal_data(AccessAttempt, _ATTEMPT_FIELDS,
                       not_personal={"get_data": _QUERY_DATA, "post_data": _QUERY_DATA})
# AXES_DISABLE_ACCESS_LOG and AXES_ENABLE_ACCESS_FAILURE_LOG=False keep these two tables empty.
registry.personal_data(AccessLog, _ATTEMPT_FIELDS)
registry.personal_data(AccessFailureLog, _ATTEMPT_FIELDS)
registry.personal_data(
    TOTPDevice, {},
    not_personal={"name": "the device's label, always 'Authenticator app' (panel.services)"},
)

# Staff accounts (django.contrib.auth and sessions, in the drift check's scope too). Visitors never
# get a session: only staff who sign in to the panel do.
registry.personal_data(
    User,
    {"username": "staff_accounts", "first_name": "staff_accounts", "last_name": "staff_accounts",
     "email": "staff_accounts", "password": "staff_accounts"},
)
registry.personal_data(Session, {"session_data": "staff_accounts"})
registry.personal_data(Group, {}, not_personal={"name": "a role's name, e.g. 'Operator'"})
registry.personal_data(Permission, {}, not_personal={"name": "a permission's description"})
