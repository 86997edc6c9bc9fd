"""The Django admin's registrations for accounts, second factors and lockouts.

Every add, change and deletion made through the admin is also written to the audit log
(:class:`AuditedAdmin`), so resetting someone's second factor, unlocking an account or
deactivating it leaves the same trace as any other change. Roles are given through groups
only: the admin shows no per-user permissions and no superuser switch.
"""

from __future__ import annotations

import json

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from privet.audit.services import append_event

from . import services
from .roles import roles_of

User = get_user_model()


def _changed_fields(message) -> list[str]:
    """Field names from the admin's change message (names only, never values)."""
    if isinstance(message, str):
        try:
            message = json.loads(message)
        except ValueError:
            return []
    fields: list[str] = []
    for entry in message or []:
        for kind in ("added", "changed", "deleted"):
            fields.extend(str(f) for f in entry.get(kind, {}).get("fields", []))
    return fields


class AuditedAdmin(admin.ModelAdmin):
    def log_addition(self, request, obj, message):
        append_event(actor=request.user, action="admin.added", obj=obj,
                     details={"fields": _changed_fields(message)})
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        append_event(actor=request.user, action="admin.changed", obj=obj,
                     details={"fields": _changed_fields(message)})
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            append_event(actor=request.user, action="admin.deleted", obj=obj, details={})
        return super().log_deletions(request, queryset)


class PanelUserAdmin(AuditedAdmin, UserAdmin):
    """Django's user admin; a change of an account's role groups is settled like ``assign_role``'s."""

    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Role and access"), {"fields": ("is_active", "groups")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    list_filter = ("is_active", "groups")
    # Records of events, shown but never typed: a hand-entered year 1 broke every list of accounts.
    readonly_fields = ("last_login", "date_joined")

    def save_related(self, request, form, formsets, change):
        before = roles_of(form.instance) if change else []
        super().save_related(request, form, formsets, change)
        services.settle_role_change(user=form.instance, before=before, actor=request.user)


class AuditedTOTPDeviceAdmin(AuditedAdmin, TOTPDeviceAdmin):
    """Second factors can be seen and deleted, nothing else, by anyone (superusers included).

    Deleting a device is the reset (the next sign-in sets up a new one) and is audited. Adding
    one here would show its key to the administrator, and editing could move it to another
    account or change its key: so there is no add page, the change page is read-only, and
    neither it nor the list shows the key or a QR code (whatever ``OTP_ADMIN_HIDE_SENSITIVE_DATA``
    says). django-otp's own key and QR code pages answer 403.
    """

    list_display = ["user", "name", "created_at", "last_used_at", "confirmed"]
    raw_id_fields = ()
    fieldsets = (
        (_("Device"), {"fields": ("user", "name", "confirmed")}),
        (_("Use"), {"fields": ("created_at", "last_used_at", "throttling_failure_count",
                               "throttling_failure_timestamp")}),
    )
    readonly_fields = ("user", "name", "confirmed", "created_at", "last_used_at",
                       "throttling_failure_count", "throttling_failure_timestamp")

    def get_fieldsets(self, request, obj=None):
        return self.fieldsets

    def get_list_display(self, request):
        return self.list_display

    def config_view(self, request, pk):
        raise PermissionDenied

    def qrcode_view(self, request, pk):
        raise PermissionDenied

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class AuditedStaticDeviceAdmin(AuditedAdmin, StaticDeviceAdmin):
    """Recovery codes, like authenticators, can be seen (how many, never which) and deleted only.

    Deleting an operator's codes voids them; the operator makes new ones on the panel's Recovery
    codes page. Adding or editing here would show or move codes, so neither exists.
    """

    list_display = ["user", "name", "created_at", "last_used_at", "codes_left"]
    raw_id_fields = ()
    inlines = []
    fieldsets = ((_("Device"), {"fields": ("user", "name", "codes_left")}),
                 (_("Use"), {"fields": ("created_at", "last_used_at")}))
    readonly_fields = ("user", "name", "codes_left", "created_at", "last_used_at")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(unused=Count("token_set"))

    @admin.display(description=_("unused codes"), ordering="unused")
    def codes_left(self, obj: StaticDevice) -> int:
        return obj.unused

    def get_fieldsets(self, request, obj=None):
        return self.fieldsets

    def get_inline_instances(self, request, obj=None):
        return []

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class AuditedAccessAttemptAdmin(AuditedAdmin, AccessAttemptAdmin):
    """Deleting attempts unlocks an account: audited like any change."""


for model, model_admin in ((User, PanelUserAdmin), (TOTPDevice, AuditedTOTPDeviceAdmin),
                           (StaticDevice, AuditedStaticDeviceAdmin),
                           (AccessAttempt, AuditedAccessAttemptAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
