from django.db import models
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
        ]

    def __str__(self) -> str:
        return "panel access"
