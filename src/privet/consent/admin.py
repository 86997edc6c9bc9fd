from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from privet.readonly_admin import ReadOnlyModelAdmin

from . import selectors
from .models import ConsentReceipt


@admin.register(ConsentReceipt)
class ConsentReceiptAdmin(ReadOnlyModelAdmin):
    """Read-only: receipts are the proof of consent; a change of mind is a new receipt."""

    list_display = ("created_at", "site", "visitor_id", "method", "granted_purposes", "gpc",
                    "short_policy")
    fields = ("created_at", "site", "visitor_id", "method", "granted_purposes", "gpc", "policy_hash",
              "banner_version", "language", "user_agent_family")
    readonly_fields = fields
    list_filter = ("site", "method", "gpc")
    search_fields = ("visitor_id",)  # the search box; get_search_results says how it matches
    search_help_text = _("A visitor id (32 hexadecimal characters, any case), as in the visitor's cookie.")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")  # the latest choices first
    show_full_result_count = False  # no COUNT(*) over every partition on each page

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        """An exact visitor id, whatever its case: ids are stored lowercase, so the term is
        lowercased and matched exactly, which consent_visitor_idx serves (``iexact`` would
        compare UPPER() of every row in every partition)."""
        term = search_term.strip().lower()
        if not term:
            return queryset, False
        return queryset.filter(visitor_id=term), False

    @admin.display(description=_("granted"))
    def granted_purposes(self, obj: ConsentReceipt) -> str:
        """The purposes by name, in the admin's language (the ids are in ``choices``)."""
        return ", ".join(selectors.granted_purpose_labels(obj, lang=get_language()))

    @admin.display(description=_("policy"))
    def short_policy(self, obj: ConsentReceipt) -> str:
        return obj.policy_hash[:12]
