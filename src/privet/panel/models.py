from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PanelAccess(models.Model):
    """Holds the panel's permissions (no table): what each role may see and do.

    Roles are Django groups holding these permissions (see :mod:`privet.panel.roles`); views
    check the permission, never the group's name, so a role can be reshaped in the admin.
    """

    class Meta:
        managed = False
        verbose_name = _("panel access")
        verbose_name_plural = _("panel access")
        default_permissions = ()
        permissions = [
            ("work_enquiries", "Work enquiries: list, log, change status, add notes"),
            ("work_rights", "Work rights requests: list, log, assign, decide, carry out"),
            ("pause_rights", "Pause and resume the processing of rights requests"),
            ("view_audit", "See the audit log and policy versions"),
            ("manage_users", "Manage operator accounts and use the Django admin"),
            ("hold_records", "Place and lift legal holds and run the retention sweeper"),
            ("work_integrations", "Work on the integrations of the clients assigned to them"),
            ("see_all_clients", "See and work on every client's integrations"),
            ("manage_clients", "Create clients and assign operators to them"),
        ]

    def __str__(self) -> str:
        return "panel access"


class ClosedAccount(models.Model):
    """When a staff account was closed (deactivated), so that the declared rule for staff
    accounts (``staff_accounts`` kept for ``security`` after ``account_closed``) can run out:
    then the account is anonymised, not deleted, because the audit log and the published policy
    versions still point at it (``services.anonymise_closed_accounts``). Written and removed
    only by ``services.record_account_state``, whenever an account is saved."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                primary_key=True, related_name="closure")
    closed_at = models.DateTimeField(_("closed on"), default=timezone.now)
    anonymised_at = models.DateTimeField(_("anonymised on"), null=True, blank=True)

    class Meta:
        verbose_name = _("closed staff account")
        verbose_name_plural = _("closed staff accounts")

    def __str__(self) -> str:
        return f"account {self.user_id} closed {self.closed_at:%Y-%m-%d}"
