import json

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from privet.readonly_admin import ReadOnlyModelAdmin

from . import actions
from .actors import USER_PREFIX, actor_name
from .models import AuditEvent


class ActionFilter(admin.SimpleListFilter):
    """The actions that occur in the log, by name (the code stays the query's value)."""

    title = _("what happened")
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin):
        from .selectors import actions as occurring

        return [(code, actions.action_label(code)) for code in occurring()]

    def queryset(self, request: HttpRequest, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyModelAdmin):
    """Read-only: the audit log is append-only, even for administrators. Codes are shown in
    words (:mod:`.actions`, :mod:`.actors`); the hashes as stored."""

    list_display = ("seq", "created_at", "who", "what", "object_type_name", "object_id")
    list_filter = (ActionFilter,)
    search_fields = ("action", "object_id", "subject_ref")
    fields = ("seq", "created_at", "who", "what", "object_type_name", "object_id", "subject_ref",
              "policy_version", "readable_details", "prev_hash", "hash")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        """Each event with its actor's username when the actor is an account (one subquery in
        the list's one query, not one query per row)."""
        User = get_user_model()
        username = (User.objects.annotate(code=Concat(Value(USER_PREFIX), Cast("pk", CharField())))
                    .filter(code=OuterRef("actor")).values(User.USERNAME_FIELD)[:1])
        return super().get_queryset(request).annotate(actor_username=Subquery(username))

    @admin.display(description=_("who"), ordering="actor")
    def who(self, obj: AuditEvent) -> str:
        username = getattr(obj, "actor_username", None)
        return actor_name(obj.actor, {obj.actor: username} if username else {})

    @admin.display(description=_("what happened"), ordering="action")
    def what(self, obj: AuditEvent) -> str:
        return actions.action_label(obj.action)

    @admin.display(description=_("type of object"), ordering="object_type")
    def object_type_name(self, obj: AuditEvent) -> str:
        return actions.object_type_label(obj.object_type) if obj.object_type else "—"

    @admin.display(description=_("details"))
    def readable_details(self, obj: AuditEvent) -> str:
        try:
            details = json.loads(obj.details)
        except ValueError:
            return obj.details
        if not isinstance(details, dict):
            return obj.details
        pairs = actions.details_pairs(details, action=obj.action)
        return "; ".join(f"{label}: {value}" for label, value in pairs) or "—"
