from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RetentionConfig(AppConfig):
    name = "privet.retention"
    label = "retention"
    verbose_name = _("Retention")

    def ready(self) -> None:
        from privet.audit import links
        from privet.audit.actions import ACTION_LABELS, register_values
        from privet.core import schedule

        from . import tasks
        from .models import HoldReason, HoldScope, LegalHold, RetentionRun, hold_reference, run_reference
        from .selectors import hold_url, run_url

        holds_actions = [a for a in ACTION_LABELS if a.startswith("retention.hold")]
        register_values(actions=holds_actions, key="scope", labels=dict(HoldScope.choices))
        register_values(actions=holds_actions, key="reason", labels=dict(HoldReason.choices))
        links.register(RetentionRun, url_for=run_url, name=run_reference)
        links.register(LegalHold, url_for=hold_url, name=hold_reference)
        # Daily on whichever worker is up (privet.core.schedule): `privet demo` runs it too.
        schedule.every(timedelta(days=1), "retention.sweep", tasks.sweep)
