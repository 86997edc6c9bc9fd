from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from privet.readonly_admin import ReadOnlyModelAdmin

from .models import PolicyVersion


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnlyModelAdmin):
    """Read-only: versions are published with `privet policy publish` and never edited."""

    list_display = ("version", "effective", "short_hash", "published_at", "published_by")
    fields = ("version", "effective", "content_hash", "published_at", "published_by", "declaration")
    readonly_fields = fields

    @admin.display(description=_("content hash"))
    def short_hash(self, obj: PolicyVersion) -> str:
        return obj.short_hash

    @admin.display(description=_("declaration (YAML)"))
    def declaration(self, obj: PolicyVersion) -> str:
        """The YAML as published: the policy's own words in both languages, so a browser's
        translator is told to leave it alone."""
        return format_html('<pre class="source" translate="no">{}</pre>', obj.source)
