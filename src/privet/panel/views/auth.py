"""Signing in (password, then TOTP or a recovery code; first-time enrolment of the authenticator,
which gives the recovery codes) and out; making new recovery codes."""

from __future__ import annotations

import base64
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth import login as auth_login
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import time_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from .. import services
from ..access import panel_view, second_step_url
from ..forms import RecoveryCodeForm, TotpForm
from ..signin import Outcome, check_code, check_recovery_code, confirmed_device


def _next_url(request: HttpRequest) -> str:
    """The page the operator asked for before signing in, if it is one of ours."""
    url = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()}, request.is_secure()):
        return url
    return reverse("panel:dashboard")


def _with_next(url: str, request: HttpRequest) -> str:
    from urllib.parse import urlencode

    return f"{url}?{urlencode({REDIRECT_FIELD_NAME: _next_url(request)})}"


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def sign_in(request: HttpRequest) -> HttpResponse:
    """Step 1: username and password (django-axes counts failures and locks out)."""
    user = request.user
    if user.is_authenticated:
        if user.is_verified():
            return redirect(_next_url(request))
        return redirect(_with_next(second_step_url(request), request))
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            auth_login(request, form.get_user())
            return redirect(_with_next(second_step_url(request), request))
        services.record_sign_in_failure(request=request, stage="password",
                                        username=request.POST.get("username", ""))
    return render(request, "panel/login.html", {
        "form": form, "next": _next_url(request), "step": 1,
    })


def _code_failure_message(request: HttpRequest, result) -> None:
    if result.outcome is Outcome.THROTTLED and result.retry_after:
        messages.error(request, _(
            "Too many wrong codes. Wait until %(time)s, then enter the code your app shows."
        ) % {"time": time_format(localtime(result.retry_after), "H:i:s")})
    else:
        messages.error(request, _(
            "That code is not right. Check that the clock of your phone is set automatically "
            "and enter the code your app shows now."
        ))


def _second_step(request: HttpRequest) -> tuple[TOTPDevice | None, HttpResponse | None]:
    """Where the second step (a TOTP or a recovery code) sends someone who does not belong on
    it: not signed in to the login, already verified on, and without a confirmed authenticator
    to the set-up (a reset authenticator is set up again, never bypassed with a recovery code).
    Returns the confirmed device, or the redirect."""
    user = request.user
    if not user.is_authenticated:
        return None, redirect(_with_next(reverse("panel:login"), request))
    if user.is_verified():
        return None, redirect(_next_url(request))
    device = confirmed_device(user)
    if device is None:
        return None, redirect(_with_next(reverse("panel:enrol"), request))
    return device, None


@csrf_protect
@never_cache
def verify(request: HttpRequest) -> HttpResponse:
    """Step 2: the code from the operator's authenticator app."""
    user = request.user
    device, elsewhere = _second_step(request)
    if elsewhere is not None:
        return elsewhere
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = check_code(request=request, device=device, token=form.cleaned_data["token"])
        if result.outcome is Outcome.VERIFIED:
            return redirect(_next_url(request))
        if result.outcome is Outcome.LOCKED_OUT:
            return HttpResponse(status=429)  # replaced by AxesMiddleware with the lockout page
        _code_failure_message(request, result)
        return redirect(_with_next(reverse("panel:verify"), request))
    return render(request, "panel/verify.html", {
        "form": form, "next": _next_url(request), "step": 2, "username": user.get_username(),
    })


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def recovery(request: HttpRequest) -> HttpResponse:
    """Step 2 without the phone: one of the recovery codes given at set-up, each good once."""
    user = request.user
    _device, elsewhere = _second_step(request)
    if elsewhere is not None:
        return elsewhere
    form = RecoveryCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = check_recovery_code(request=request, code=form.cleaned_data["code"])
        if result.outcome is Outcome.VERIFIED:
            messages.warning(request, ngettext(
                "You signed in with a recovery code, which now no longer works. %(left)d code is "
                "left: make new ones on the Recovery codes page if you have lost your phone.",
                "You signed in with a recovery code, which now no longer works. %(left)d codes are "
                "left: make new ones on the Recovery codes page if you have lost your phone.",
                result.codes_left) % {"left": result.codes_left})
            return redirect(_next_url(request))
        if result.outcome is Outcome.LOCKED_OUT:
            return HttpResponse(status=429)  # replaced by AxesMiddleware with the lockout page
        if result.outcome is Outcome.THROTTLED and result.retry_after:
            messages.error(request, _(
                "Too many wrong codes. Wait until %(time)s, then try again."
            ) % {"time": time_format(localtime(result.retry_after), "H:i:s")})
        else:
            messages.error(request, _("That recovery code is not right, or it was used already. "
                                      "Each code works once."))
        return redirect(_with_next(reverse("panel:recovery"), request))
    return render(request, "panel/recovery.html", {
        "form": form, "next": _next_url(request), "step": 2, "username": user.get_username(),
    })


@panel_view()
@csrf_protect
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """How many recovery codes are left; new ones on request (the old ones stop working)."""
    if request.method == "POST":
        codes = services.regenerate_recovery_codes(user=request.user, request=request)
        return render(request, "panel/recovery_codes.html", {
            "codes": codes, "next": reverse("panel:dashboard"), "section": "recovery",
        })
    return render(request, "panel/recovery_codes.html", {
        "left": services.recovery_codes_left(request.user), "section": "recovery",
    })


def _qr_svg(data: str) -> str:
    """The otpauth:// URL as an inline SVG QR code (no script, no external request)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg"):]


@csrf_protect
@never_cache
def enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in: set up the authenticator app; no panel page opens before this is done."""
    user = request.user
    if not user.is_authenticated:
        return redirect(_with_next(reverse("panel:login"), request))
    if confirmed_device(user) is not None:
        return redirect(_with_next(reverse("panel:verify"), request))
    device = services.start_totp_enrolment(user=user)
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = check_code(request=request, device=device, token=form.cleaned_data["token"])
        if result.outcome is Outcome.VERIFIED:
            # The first recovery codes, shown in this answer only (nothing stores them in clear
            # but the database, and a reload does not show them again).
            codes = services.issue_recovery_codes(user=user, request=request)
            messages.success(request, _("Two-factor sign-in is set up. From now on, sign in with "
                                        "your password and a code from the app."))
            return render(request, "panel/recovery_codes.html", {
                "codes": codes, "next": _next_url(request), "enrolled": True,
            })
        if result.outcome is Outcome.LOCKED_OUT:
            return HttpResponse(status=429)
        _code_failure_message(request, result)
        return redirect(_with_next(reverse("panel:enrol"), request))
    secret = base64.b32encode(device.bin_key).decode()
    return render(request, "panel/enrol.html", {
        "form": form, "next": _next_url(request), "step": 2, "username": user.get_username(),
        "qr_svg": mark_safe(_qr_svg(device.config_url)),  # noqa: S308 (generated by qrcode)
        "secret_groups": [secret[i:i + 4] for i in range(0, len(secret), 4)],
    })


@require_POST
@csrf_protect
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        services.record_sign_out(request=request, user=request.user)
    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("panel:login")
