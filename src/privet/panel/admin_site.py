"""The Django admin at /panel/admin/: administrators only, signed in through the panel with TOTP."""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .access import second_step_url
from .roles import MANAGE_USERS, can


class PanelAdminSite(AdminSite):
    site_header = _("Privet administration")
    site_title = _("Privet administration")
    index_title = _("Accounts, second factors, lockouts and records")
    # No list of every model beside each page: it took 290 px of a 1280 px screen and cut off the
    # wide lists (consent receipts, audit events). The index and the breadcrumbs lead everywhere,
    # and "Back to the panel" to the panel's own navigation.
    enable_nav_sidebar = False

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            user.is_active and user.is_staff and user.is_verified() and can(user, MANAGE_USERS)
        )

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """There is one sign-in (password, then TOTP): the panel's. A signed-in, verified user
        who is not an administrator gets the panel's 403 page rather than a login loop."""
        next_url = request.GET.get("next") or reverse("admin:index")
        user = request.user
        if user.is_authenticated and user.is_verified():
            return render(request, "panel/forbidden.html", status=403)
        if user.is_authenticated:
            return redirect_to_login(next_url, second_step_url(request))
        return redirect_to_login(next_url, reverse("panel:login"))

    def logout(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        from .views.auth import sign_out

        return sign_out(request)
