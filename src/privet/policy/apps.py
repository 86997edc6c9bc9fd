from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PolicyConfig(AppConfig):
    name = "privet.policy"
    label = "policy"
    verbose_name = _("Privacy policy")

    def ready(self) -> None:
        from privet.registry import autodiscover

        from . import checks  # noqa: F401  (registers the drift check, privet.E001...)

        autodiscover()
