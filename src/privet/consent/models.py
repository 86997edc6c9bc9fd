from __future__ import annotations

from collections.abc import Sequence

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# What the visitor pressed; the per-purpose choice is in ``choices`` either way.
METHODS = [
    ("accept_all", _("Accept all")),
    ("reject_all", _("Reject all")),
    ("custom", _("Saved settings")),
]


class ConsentReceipt(models.Model):
    """Proof of one cookie choice, as the visitor made it (GDPR Art. 7(1)).

    Written only by :func:`privet.consent.services.record_consent` and never updated: a change of
    mind, a withdrawal included, is a new receipt, so the history of a visitor id is the proof.
    ``choices`` holds every purpose the banner showed (``{"analytics": false, ...}``), required
    ones as ``true``. No IP address is stored, only the browser family.

    On PostgreSQL the table is range-partitioned by month on ``created_at`` (migration 0001), so
    its real primary key is ``(id, created_at)``; ``id`` alone is still unique (one identity
    sequence), which is all Django needs. Expiry of a whole month is a partition drop; other expired
receipts are deleted by the retention engine alone (``services.expire_receipts``).
    """

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    site = models.CharField(_("website"), max_length=64, help_text=_("Website id from the declaration."))
    visitor_id = models.CharField(
        _("visitor id"), max_length=32,
        help_text=_("Random id kept in the visitor's essential consent cookie."),
    )
    choices = models.JSONField(_("choices"),
                               help_text=_("Granted (true) or not (false), per cookie purpose."))
    method = models.CharField(_("choice"), max_length=16, choices=METHODS)
    gpc = models.BooleanField(_("GPC signal"),
                              help_text=_("The browser sent a Global Privacy Control signal."))
    policy_hash = models.CharField(_("policy version (hash)"), max_length=64,
                                   help_text=_("Content hash of the policy shown."))
    banner_version = models.CharField(_("banner version"), max_length=16)
    language = models.CharField(_("language"), max_length=8)
    user_agent_family = models.CharField(_("browser"), max_length=32,
                                         help_text=_("Browser family, no version."))

    class Meta:
        verbose_name = _("consent receipt")
        verbose_name_plural = _("consent receipts")
        ordering = ["created_at", "id"]
        indexes = [
            # receipts_for_visitor(): an operator proves what one visitor chose, in order.
            models.Index(fields=["visitor_id", "created_at"], name="consent_visitor_idx"),
            # No index for consent_rates(): a range of days is whole monthly partitions (PostgreSQL
            # prunes the rest), read once by one aggregate, while every index costs each receipt's
            # insert on the hottest write path (migration 0004 dropped the one on site and day).
        ]

    def __str__(self) -> str:
        return gettext("Receipt %(number)s of %(when)s") % {
            "number": self.pk, "when": f"{timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"}

    def granted(self, order: Sequence[str] = ()) -> list[str]:
        """The purposes this receipt grants, in ``order`` (the purposes as its policy version
        declares them: :func:`~.selectors.granted_purposes` reads it), any others after them
        by name. (PostgreSQL's jsonb does not keep key order.)"""
        order = list(order)
        on = [purpose for purpose, granted in self.choices.items() if granted]
        return sorted(on, key=lambda p: (order.index(p) if p in order else len(order), p))
