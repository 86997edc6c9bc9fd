from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "privet.integrations"
    label = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from .tiktok import connector  # noqa: F401  (registers the TikTok connector)
