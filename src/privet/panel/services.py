"""State changes of the operator side: roles, second factors, and the audit trail of signing in.

Each function writes its audit event in the same transaction as the change it records. Audit
details never hold a raw IP address or a typed username: the client is its keyed pseudonym
(``ip_ref``), an account is referenced as the audit event's object.
"""

from __future__ import annotations

import base64
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from privet.audit import actors
from privet.audit.services import Actor, append_event
from privet.clients import client_ref
from privet.errors import PrivetError
from privet.telemetry.services import record_security_event

from .roles import ADMIN_MODEL_PERMISSIONS, ADMINISTRATOR, ROLE_PERMISSIONS, roles_of

DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
# How many single-use recovery codes an operator gets at a time, and how long each is: 10 base32
# characters (50 random bits), which the throttling below leaves far out of a guesser's reach.
RECOVERY_CODES = 10
RECOVERY_CODE_LENGTH = 10


class UnknownRole(PrivetError):
    code = "unknown_role"


def _account(username: str) -> AbstractBaseUser | None:
    """The account a typed username names, if any (one query; none for an impossible name)."""
    if not username or "\x00" in username or len(username) > 150:
        return None
    User = get_user_model()
    return User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()


def _client(request: HttpRequest) -> dict[str, str]:
    return {"ip_ref": client_ref(request)}


def _role_permissions(role: str) -> QuerySet[Permission]:
    wanted = Q()
    for perm in ROLE_PERMISSIONS[role]:
        app_label, codename = perm.split(".")
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    if role == ADMINISTRATOR:
        for app_label, actions in ADMIN_MODEL_PERMISSIONS.items():
            for action in actions:
                wanted |= Q(content_type__app_label=app_label, codename__startswith=f"{action}_")
    return Permission.objects.filter(wanted)


def role_group(role: str) -> Group:
    """The role's group; recreated with its permissions if it was deleted."""
    group, created = Group.objects.get_or_create(name=role)
    if created:
        group.permissions.set(_role_permissions(role))
    return group


def ensure_roles(*, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """Create the role groups and give each exactly its permissions; run after every migrate.

    Like Django's own permissions, roles are seed rows that follow the code (``roles.py``), so
    they are (re)made by a ``post_migrate`` receiver rather than a data migration: a changed
    role table takes effect on the next ``migrate``, and a flushed test database gets them back.
    """
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    for label in ["panel", *ADMIN_MODEL_PERMISSIONS]:  # permissions normally come after us
        create_permissions(apps.get_app_config(label), verbosity=0, using=using)
    for role in ROLE_PERMISSIONS:
        group, _ = Group.objects.using(using).get_or_create(name=role)
        group.permissions.set(_role_permissions(role).using(using))


@transaction.atomic(durable=True)
def assign_role(*, user: AbstractBaseUser, role: str, actor: Actor) -> None:
    """Give ``user`` exactly one role; administrators also get Django admin (staff) access."""
    if role not in ROLE_PERMISSIONS:
        raise UnknownRole(f"{role!r} is not a role; use one of: {', '.join(ROLE_PERMISSIONS)}.")
    before = roles_of(user)
    others = user.groups.exclude(name__in=ROLE_PERMISSIONS)
    user.groups.set([*others, role_group(role)])
    settle_role_change(user=user, before=before, actor=actor)


def settle_role_change(*, user: AbstractBaseUser, before: list[str], actor: Actor) -> None:
    """Follow up a change of the user's role groups, wherever it was made (here or the Django admin).

    Django admin access (``is_staff``) follows the administrator role, so taking the role away
    in the admin also closes the admin; the change is audited (no event when the roles are the
    same as ``before``).
    """
    after = roles_of(user)
    staff = ADMINISTRATOR in after or user.is_superuser
    if user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])
    if after != before:
        append_event(actor=actor, action="panel.role_changed", obj=user,
                     details={"from": before, "to": after})


@transaction.atomic(durable=True)
def start_totp_enrolment(*, user: AbstractBaseUser) -> TOTPDevice:
    """The user's unconfirmed TOTP device, created with a fresh secret if there is none yet."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


# Not durable: signin.check_code calls it in its own transaction, with the device locked.
@transaction.atomic
def confirm_totp_device(*, device: TOTPDevice, request: HttpRequest) -> None:
    """Mark a device whose code the user just proved as their second factor."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    append_event(actor=device.user, action="panel.totp_enrolled", obj=device.user,
                 details={"device": device.persistent_id, **_client(request)})


def recovery_device(user: AbstractBaseUser) -> StaticDevice | None:
    """The user's recovery codes (a django-otp static device), if they have been given any."""
    return StaticDevice.objects.filter(user=user, name=RECOVERY_DEVICE_NAME).order_by("pk").first()


def recovery_codes_left(user: AbstractBaseUser) -> int:
    """How many of the user's recovery codes are unused (one query)."""
    return StaticToken.objects.filter(device__user=user, device__name=RECOVERY_DEVICE_NAME).count()


def normalise_recovery_code(typed: str) -> str:
    """A recovery code as stored: lower case, without the dash and spaces people type."""
    return "".join(typed.split()).replace("-", "").lower()


RECOVERY_TOKEN_SALT = "privet.panel.recovery-code"  # noqa: S105 (a salt, not a secret)


def recovery_tokens(code: str) -> list[str]:
    """What a typed recovery code is stored as: a keyed hash, never the code, so a copy of the
    database (a backup, a leak) holds no code that signs anyone in. One per signing key in use
    (the current first, then ``SECRET_KEY_FALLBACKS``), so rotating the key keeps codes working
    while the old key is a fallback. 80 bits of HMAC-SHA256 in base32: django-otp's 16 characters.
    """
    normalised = normalise_recovery_code(code)
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return [base64.b32encode(salted_hmac(RECOVERY_TOKEN_SALT, normalised, secret=key,
                                         algorithm="sha256").digest()[:10]).decode().lower()
            for key in keys]


def _new_recovery_code() -> str:
    return base64.b32encode(secrets.token_bytes(7)).decode().lower()[:RECOVERY_CODE_LENGTH]


def _shown(code: str) -> str:
    half = RECOVERY_CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


# Not durable: enrolment gives the first codes right after the authenticator is confirmed.
@transaction.atomic
def issue_recovery_codes(*, user: AbstractBaseUser, request: HttpRequest,
                         replacing: bool = False) -> list[str]:
    """Give ``user`` a fresh set of single-use recovery codes; any earlier ones stop working.

    Returns the codes as shown to the person (``abcde-fghij``): this is the only time they are
    seen, so the caller shows them at once. The audit event says how many, never which.
    ``replacing`` marks an operator's own request for new codes (``panel.recovery_codes_regenerated``)
    rather than the set given at enrolment (``panel.recovery_codes_created``).
    """
    device = recovery_device(user)
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    else:
        device = StaticDevice.objects.select_for_update().get(pk=device.pk)
        device.token_set.all().delete()
        device.throttle_reset()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=recovery_tokens(code)[0])
                                     for code in codes])
    action = "panel.recovery_codes_regenerated" if replacing else "panel.recovery_codes_created"
    append_event(actor=user, action=action, obj=user,
                 details={"codes": len(codes), **_client(request)})
    return [_shown(code) for code in codes]


@transaction.atomic(durable=True)
def regenerate_recovery_codes(*, user: AbstractBaseUser, request: HttpRequest) -> list[str]:
    """The operator asked for new recovery codes: the old ones stop working (audited)."""
    return issue_recovery_codes(user=user, request=request, replacing=True)


def record_sign_in(*, request: HttpRequest, user: AbstractBaseUser,
                   factors: str = "password+totp") -> None:
    append_event(actor=user, action="panel.sign_in", obj=user,
                 details={"factors": factors, **_client(request)})


def record_recovery_code_used(*, request: HttpRequest, user: AbstractBaseUser, left: int) -> None:
    """A recovery code stood in for the authenticator (it is gone now); ``left`` are unused."""
    append_event(actor=user, action="panel.recovery_code_used", obj=user,
                 details={"codes_left": left, **_client(request)})


def record_sign_out(*, request: HttpRequest, user: AbstractBaseUser) -> None:
    append_event(actor=user, action="panel.sign_out", obj=user, details={})


def record_sign_in_failure(*, request: HttpRequest, stage: str, username: str) -> None:
    """A wrong password (``stage="password"``), a refused TOTP code (``stage="totp"``) or
    recovery code (``stage="recovery_code"``).

    Every one is a security event in the technical log (the client pseudonymised, no username).
    The audit log has only those on accounts that exist: attempts on made-up usernames are
    axes' business (it counts them for lockout), and auditing them would let anyone grow the
    chain without limit.
    """
    record_security_event("sign_in_failed", request, stage=stage)
    account = _account(username)
    if account is None:
        return
    append_event(actor=actors.ANONYMOUS if stage == "password" else account, action="panel.sign_in_failed",
                 obj=account, details={"stage": stage, **_client(request)})


def record_lockout(*, request: HttpRequest, username: str) -> None:
    record_security_event("sign_in_locked", request)
    append_event(actor=actors.LOCKOUT, action="panel.locked_out", obj=_account(username),
                 details=_client(request))


@transaction.atomic
def expire_sign_in_records(records: QuerySet, *, actor: Actor = "system:retention",
                           run_ref: str = "") -> int:
    """Delete django-axes' sign-in records whose declared period has run out (the retention
    engine found them expired); one audit event for the batch, with its size."""
    model = records.model
    deleted, _ = model._default_manager.filter(pk__in=records.values("pk")).delete()
    if deleted:
        append_event(actor=actor, action="security.sign_in_records_expired",
                     object_type=model._meta.label_lower,
                     details={"records": deleted, **({"run_ref": run_ref} if run_ref else {})})
    return deleted


def record_account_state(*, user: AbstractBaseUser) -> None:
    """Note when an account is closed (deactivated) and forget it when it is opened again: the
    declared period for staff accounts counts from the closing. Called whenever an account is
    saved (a ``post_save`` receiver), so the admin, the shell and scripts all count."""
    from .models import ClosedAccount

    closure = ClosedAccount.objects.filter(user=user).first()
    if not user.is_active and closure is None:
        ClosedAccount.objects.create(user=user)
        append_event(actor=actors.SYSTEM, action="panel.account_closed", obj=user, details={})
    elif user.is_active and closure is not None and closure.anonymised_at is None:
        closure.delete()
        append_event(actor=actors.SYSTEM, action="panel.account_reopened", obj=user, details={})


def on_account_saved(sender, instance, raw: bool = False, **kwargs) -> None:
    """``post_save`` of the user model (fixtures loaded raw are left as they are)."""
    if not raw:
        record_account_state(user=instance)


ANONYMOUS_NAME = "closed-{pk}"


@transaction.atomic
def anonymise_closed_accounts(records: QuerySet, *, actor: Actor = actors.RETENTION,
                              run_ref: str = "") -> int:
    """Anonymise closed accounts whose declared period ran out (the retention engine found
    them): the name, email and username go, the password and second factors can no longer sign
    in; the row stays, so the audit log's "user:<id>" and a published version's author still
    point somewhere. One audit event for the batch."""
    from .models import ClosedAccount

    closures = list(records.select_for_update().filter(anonymised_at__isnull=True,
                                                       user__is_active=False))
    if not closures:
        return 0
    User = get_user_model()
    ids = [c.user_id for c in closures]
    for user in User.objects.filter(pk__in=ids):
        user.username = ANONYMOUS_NAME.format(pk=user.pk)
        user.first_name = user.last_name = user.email = ""
        user.set_unusable_password()
        user.save(update_fields=["username", "first_name", "last_name", "email", "password"])
    TOTPDevice.objects.filter(user_id__in=ids).delete()
    StaticDevice.objects.filter(user_id__in=ids).delete()
    ClosedAccount.objects.filter(pk__in=ids).update(anonymised_at=timezone.now())
    append_event(actor=actor, action="panel.accounts_anonymised",
                 object_type=User._meta.label_lower,
                 details={"records": len(ids), **({"run_ref": run_ref} if run_ref else {})})
    return len(ids)
