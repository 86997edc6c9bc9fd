"""The second step of signing in: check a TOTP code (or, without the phone, a recovery code)
for the signed-in (not yet verified) user.

A wrong code is refused by django-otp's own throttling (after *n* wrong codes the device refuses
every code for 2^(n-1) seconds) and is also counted by django-axes as a failed sign-in, so wrong
passwords and wrong codes together lock the account out from this client at the failure limit.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import logout
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import services


class Outcome(enum.Enum):
    VERIFIED = "verified"
    WRONG_CODE = "wrong_code"
    THROTTLED = "throttled"  # django-otp refuses codes for a while after wrong ones
    LOCKED_OUT = "locked_out"  # axes: too many failures; the session is signed out


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    retry_after: datetime | None = None
    codes_left: int | None = None  # after a recovery code: how many unused ones remain


def confirmed_device(user: AbstractBaseUser) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def is_locked_out(request: HttpRequest, user: AbstractBaseUser) -> bool:
    return AxesProxyHandler.is_locked(request, {"username": user.get_username()})


def check_code(*, request: HttpRequest, device: TOTPDevice, token: str) -> Result:
    """Verify ``token`` against ``device`` (the request user's); sign in fully when it matches.

    ``device`` may be unconfirmed (enrolment): a matching code then confirms it.
    """
    user = request.user
    credentials = {"username": user.get_username()}
    if is_locked_out(request, user):
        return _lock_out(request, credentials)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
        allowed, info = device.verify_is_allowed()
        if allowed and device.verify_token(token.strip().replace(" ", "")):
            if not device.confirmed:
                services.confirm_totp_device(device=device, request=request)
            otp_login(request, device)
            request.session.cycle_key()
            AxesProxyHandler.reset_attempts(ip_address=request.axes_ip_address,
                                            username=user.get_username())
            services.record_sign_in(request=request, user=user)
            return Result(Outcome.VERIFIED)
    return _refused(request, credentials, stage="totp", allowed=allowed, info=info)


def check_recovery_code(*, request: HttpRequest, code: str) -> Result:
    """Sign in fully with one of the request user's recovery codes instead of a TOTP code.

    A code works once (django-otp's static device deletes it as it matches). Refusals count as
    a wrong TOTP code does: django-otp throttles the recovery codes after a wrong one, and axes
    counts each toward the lockout. ``Result.codes_left`` says how many unused codes remain.
    """
    user = request.user
    credentials = {"username": user.get_username()}
    if is_locked_out(request, user):
        return _lock_out(request, credentials)
    allowed, info = False, None
    with transaction.atomic():
        device = (StaticDevice.objects.select_for_update()
                  .filter(user=user, name=services.RECOVERY_DEVICE_NAME).order_by("pk").first())
        if device is not None:
            allowed, info = device.verify_is_allowed()
            # The stored token under whichever key made it; one verify either way, so a wrong
            # code counts once towards django-otp's throttle.
            tokens = services.recovery_tokens(code)
            stored = device.token_set.filter(token__in=tokens).values_list("token", flat=True)
            if allowed and device.verify_token(next(iter(stored), tokens[0])):
                otp_login(request, device)
                request.session.cycle_key()
                AxesProxyHandler.reset_attempts(ip_address=request.axes_ip_address,
                                                username=user.get_username())
                left = device.token_set.count()
                services.record_recovery_code_used(request=request, user=user, left=left)
                services.record_sign_in(request=request, user=user, factors="password+recovery_code")
                return Result(Outcome.VERIFIED, codes_left=left)
    return _refused(request, credentials, stage="recovery_code", allowed=allowed or device is None,
                    info=info)


def _refused(request: HttpRequest, credentials: dict, *, stage: str, allowed: bool,
             info: dict | None) -> Result:
    """Count a refused code for axes (it may lock out now) and leave an audit trace."""
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    services.record_sign_in_failure(request=request, stage=stage,
                                    username=credentials["username"])
    if getattr(request, "axes_locked_out", False):
        return _lock_out(request, credentials)
    if not allowed:
        return Result(Outcome.THROTTLED, retry_after=(info or {}).get("locked_until"))
    return Result(Outcome.WRONG_CODE)


def _lock_out(request: HttpRequest, credentials: dict) -> Result:
    """Sign the half-signed-in session out; AxesMiddleware turns the response into the lockout page."""
    request.axes_locked_out = True
    request.axes_credentials = credentials
    logout(request)
    return Result(Outcome.LOCKED_OUT)
