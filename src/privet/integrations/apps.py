from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "privet.integrations"
    label = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from datetime import timedelta

        from privet.core import schedule

        from . import (
            checks,  # noqa: F401  (registers the system checks)
            tasks,
        )
        from .tiktok import connector  # noqa: F401  (registers the TikTok connector)

        schedule.every(timedelta(minutes=5), "integrations.sync_due", tasks.sync_due)
        schedule.every(timedelta(days=1), "integrations.prune_records", tasks.prune_records)
