"""The gate every panel page passes: signed in with password *and* TOTP, and allowed by role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from .roles import WORK_ENQUIRIES, can
from .signin import confirmed_device


def second_step_url(request: HttpRequest) -> str:
    """Where a password-only session goes next: enrol a TOTP device, or enter its code."""
    if confirmed_device(request.user) is None:
        return reverse("panel:enrol")
    return reverse("panel:verify")


def panel_view(capability: str = WORK_ENQUIRIES) -> Callable:
    """Require a TOTP-verified session whose role grants ``capability`` (403 page otherwise)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        @never_cache
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user.is_verified():
                return redirect_to_login(request.get_full_path(), second_step_url(request))
            if not can(user, capability):
                return render(request, "panel/forbidden.html", status=403)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
