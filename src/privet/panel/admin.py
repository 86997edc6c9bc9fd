"""The Django admin's registrations for accounts, second factors and lockouts.

Every add, change and deletion made through the admin is also written to the audit log
(:class:`AuditedAdmin`), so resetting someone's second factor, unlocking an account or
deactivating it leaves the same trace as any other change. Roles are given through groups
only: the admin shows no per-user permissions and no superuser switch.
"""

from __future__ import annotations

import json

from axes.admin import AccessAttemptAdmin
from axes.conf import settings as axes_settings
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, SetUnusablePasswordMixin
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from privet.audit.services import append_event

from . import services
from .roles import ROLE_LABELS, roles_of

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


# What the default permissions let a role do, in words ("Can view consent receipt").
PERMISSION_ACTIONS = {
    "add": _("Can add: %(model)s"),
    "change": _("Can change: %(model)s"),
    "delete": _("Can delete: %(model)s"),
    "view": _("Can view: %(model)s"),
}


def permission_label(permission: Permission) -> str:
    """A permission as the admin's role pages show it, in the page's language: "Audit log |
    Can view: audit event". Django stores permission names in English, in the database; the
    default ones are worded from the model's name, ours (``panel.*``) through the catalogue."""
    model = permission.content_type.model_class()
    if model is None:  # a model since removed
        return f"{permission.content_type.app_label} | {permission.name}"
    app = model._meta.app_config.verbose_name
    action, _sep, model_name = permission.codename.partition("_")
    if action in PERMISSION_ACTIONS and model_name == model._meta.model_name:
        return f"{app} | " + str(PERMISSION_ACTIONS[action]) % {"model": model._meta.verbose_name}
    return f"{app} | {gettext(permission.name)}"


def group_label(group: Group) -> str:
    """A role's group by the role's name in the page's language; any other group by its name."""
    return str(ROLE_LABELS.get(group.name, group.name))


class _Named:
    """An object's primary key with the name a page shows for it."""

    def __init__(self, pk, name: str) -> None:
        self.pk, self.name = pk, name

    def __str__(self) -> str:
        return self.name


class GroupNamesFilter(admin.RelatedFieldListFilter):
    """The admin's filter by group, with roles named in the page's language."""

    def field_choices(self, field, request, model_admin):
        return [(g.pk, group_label(g)) for g in Group.objects.order_by("name")]


class PanelGroupAdmin(GroupAdmin):
    """Django's group admin, with roles and permissions named in the page's language."""

    list_display = ("role",)

    @admin.display(description=_("role"), ordering="name")
    def role(self, obj: Group) -> str:
        return group_label(obj)

    def action_checkbox(self, obj: Group):
        """The row's checkbox, whose label names the role in the page's language."""
        return super().action_checkbox(_Named(obj.pk, group_label(obj)))

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        field = super().formfield_for_manytomany(db_field, request=request, **kwargs)
        if db_field.name == "permissions":
            field.label_from_instance = permission_label
        return field


class PanelPasswordChangeForm(AdminPasswordChangeForm):
    """Django's form for setting someone's password, whose help text about password-based
    sign-in is in the page's language (Django joins it to its warning once, in English)."""

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(user, *args, **kwargs)
        if "usable_password" in self.fields:
            self.fields["usable_password"].help_text = format_html(
                '{}<ul id="id_unusable_warning" class="messagelist"><li class="warning">{}</li></ul>',
                SetUnusablePasswordMixin.usable_password_help_text,
                _("If disabled, the current password for this user will be lost."))


class PanelUserAdmin(AuditedAdmin, UserAdmin):
    """Django's user admin; a change of an account's role groups is settled like ``assign_role``'s."""

    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Role and access"), {"fields": ("is_active", "groups")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    list_filter = ("is_active", ("groups", GroupNamesFilter))
    # Records of events, shown but never typed: a hand-entered year 1 broke every list of accounts.
    readonly_fields = ("last_login", "date_joined")
    change_password_form = PanelPasswordChangeForm

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        field = super().formfield_for_manytomany(db_field, request=request, **kwargs)
        if db_field.name == "groups":
            field.label_from_instance = group_label
        return field

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
    search_help_text = _("A username or an email address.")
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

    search_help_text = _("A username or an email address.")
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

    @admin.display(description=_("status"))
    def status(self, obj: AccessAttempt) -> str:
        """How many tries are left, in the page's language (django-axes writes it in English)."""
        left = axes_settings.AXES_FAILURE_LIMIT - obj.failures_since_start
        if left <= 0:
            return gettext("Locked out")
        return ngettext("%(n)s attempt left", "%(n)s attempts left", left) % {"n": left}


# Background tasks by name; a task not here is shown by its function's name.
TASK_LABELS = {
    "privet.audit.tasks.verify_audit_chain": _("Verify the audit log"),
    "privet.enquiries.tasks.send_enquiry_mail": _("Send an enquiry's mail"),
}


class PanelTaskResultAdmin(DBTaskResultAdmin):
    """django-tasks-db's read-only list of background tasks, with each task named in words."""

    list_display = ("id", "task", "status", "enqueued_at", "started_at", "finished_at", "priority",
                    "queue_name")

    @admin.display(description=_("task"), ordering="task_path")
    def task(self, obj: DBTaskResult) -> str:
        label = TASK_LABELS.get(obj.task_path)
        return str(label) if label is not None else obj.task_name

    @admin.display(description=_("traceback"))
    def formatted_traceback(self, obj: DBTaskResult) -> str:
        return super().formatted_traceback(obj)

    @admin.display(description=_("run after"))
    def display_run_after(self, obj: DBTaskResult):
        return super().display_run_after(obj)



for model, model_admin in ((User, PanelUserAdmin), (Group, PanelGroupAdmin),
                           (TOTPDevice, AuditedTOTPDeviceAdmin),
                           (StaticDevice, AuditedStaticDeviceAdmin),
                           (AccessAttempt, AuditedAccessAttemptAdmin),
                           (DBTaskResult, PanelTaskResultAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)

# django-axes' logs of sign-ins and of failures are off (no raw sign-in trail is kept; the audit
# log has them): their admin pages could only ever be empty.
for model, kept in ((AccessLog, not axes_settings.AXES_DISABLE_ACCESS_LOG),
                    (AccessFailureLog, axes_settings.AXES_ENABLE_ACCESS_FAILURE_LOG)):
    if not kept and admin.site.is_registered(model):
        admin.site.unregister(model)
