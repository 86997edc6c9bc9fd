"""Personal data the operator side stores through third-party apps (in the drift check's scope via
``PRIVET_DRIFT_THIRD_PARTY_APPS``): staff accounts and sessions, django-axes' sign-in attempts and
django-otp's devices."""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.db.models import Q
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from privet.registry import RetentionTarget, registry

from . import services
from .models import ClosedAccount

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
# Sign-in records serve security and expire by the declared rule for technical data collected
# for it (90 days in the default declaration), counted from the attempt.
for _model in (AccessAttempt, AccessLog, AccessFailureLog):
    registry.retention_target(RetentionTarget(
        name=f"panel.{_model._meta.model_name}", model=_model,
        categories=frozenset({"technical_data"}), purposes=frozenset({"security"}),
        triggers={"collected": "attempt_time"}, expire=services.expire_sign_in_records,
    ))
    registry.not_a_subject_source(
        _model,
        "a sign-in record holds a pseudonym of the IP address and the username as typed, which "
        "anyone may type: it cannot be tied to a verified person, and it expires on its own",
    )
registry.personal_data(
    TOTPDevice, {},
    not_personal={"name": "the device's label, always 'Authenticator app' (panel.services)"},
)
# Recovery codes (panel.services.issue_recovery_codes): a staff account's credential, like its
# password; a used code is deleted at once, and all of them with the account or a reset.
registry.personal_data(
    StaticDevice, {},
    not_personal={"name": "the device's label, always 'Recovery codes' (panel.services)"},
)
registry.personal_data(StaticToken, {"token": "staff_accounts"})
registry.not_a_subject_source(
    StaticToken, "a recovery code is a staff account's credential: an administrator handles "
                 "staff requests in the admin (Accounts), where deleting the codes is a reset",
)
registry.no_retention_target(
    StaticToken, "a code is deleted when it is used or replaced, and with its account or device",
)

# Staff accounts (django.contrib.auth and sessions, in the drift check's scope too). Visitors never
# get a session: only staff who sign in to the panel do.
registry.personal_data(
    User,
    {"username": "staff_accounts", "first_name": "staff_accounts", "last_name": "staff_accounts",
     "email": "staff_accounts", "password": "staff_accounts"},
)
registry.personal_data(Session, {"session_data": "staff_accounts"})
_STAFF = ("staff accounts belong to the studio's own people: an administrator answers their "
          "requests in the admin (Accounts), not through the public rights portal")
registry.not_a_subject_source(User, _STAFF)
registry.not_a_subject_source(Session, _STAFF)
registry.no_retention_target(
    Session, "a session ends at sign-out or after PRIVET_SESSION_IDLE_SECONDS idle; Django's "
             "`clearsessions` deletes the ended ones",
)
registry.no_retention_target(
    User, "anonymised, not deleted, when the declared period after it is closed has passed: "
          "the target is its closure record (panel.closedaccount, below)",
)
# Closing an account (deactivating it) is recorded (services.record_account_state); the declared
# period for staff accounts counts from then, and the account is then anonymised: the audit log
# and the published policy versions still point at its row.
registry.personal_data(ClosedAccount, {}, not_personal={
    "user": "the account's id only; the account's own fields are mapped above"})
registry.not_a_subject_source(ClosedAccount, _STAFF)
registry.retention_target(RetentionTarget(
    name="panel.closed_accounts", model=ClosedAccount, categories=frozenset({"staff_accounts"}),
    purposes=frozenset({"security"}), triggers={"account_closed": "closed_at"},
    scope=Q(anonymised_at__isnull=True, user__is_active=False), method="anonymise",
    expire=services.anonymise_closed_accounts,
))
registry.personal_data(Group, {}, not_personal={"name": "a role's name, e.g. 'Operator'"})
registry.personal_data(Permission, {}, not_personal={"name": "a permission's description"})
