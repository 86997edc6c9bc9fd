from django.contrib import admin

from privet.readonly_admin import ReadOnlyModelAdmin

from .models import ConsentReceipt


@admin.register(ConsentReceipt)
class ConsentReceiptAdmin(ReadOnlyModelAdmin):
    """Read-only: receipts are the proof of consent; a change of mind is a new receipt."""

    list_display = ("created_at", "site", "visitor_id", "method", "granted_purposes", "gpc",
                    "short_policy")
    list_filter = ("site", "method", "gpc")
    search_fields = ("=visitor_id",)  # exact: consent_visitor_idx serves it
    date_hierarchy = "created_at"
    show_full_result_count = False  # no COUNT(*) over every partition on each page

    @admin.display(description="granted")
    def granted_purposes(self, obj: ConsentReceipt) -> str:
        return ", ".join(obj.granted())

    @admin.display(description="policy")
    def short_policy(self, obj: ConsentReceipt) -> str:
        return obj.policy_hash[:12]
