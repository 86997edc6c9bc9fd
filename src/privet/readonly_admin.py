"""An admin for append-only records (audit events, policy versions, consent receipts).

Privet's services are the only writers of such records; the admin lets operators read them and
nothing else, not even a superuser.
"""

from django.contrib import admin
from django.http import HttpRequest


class ReadOnlyModelAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
