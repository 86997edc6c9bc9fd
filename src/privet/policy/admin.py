from django.contrib import admin

from privet.readonly_admin import ReadOnlyModelAdmin

from .models import PolicyVersion


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnlyModelAdmin):
    """Read-only: versions are published with `privet policy publish` and never edited."""

    list_display = ("version", "effective", "short_hash", "published_at", "published_by")
    readonly_fields = ("version", "effective", "content_hash", "published_at", "published_by", "source")
    exclude = ("canonical",)
