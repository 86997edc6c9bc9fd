from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "privet.policy"
    label = "policy"
    verbose_name = "Privacy policy"

    def ready(self) -> None:
        from privet.registry import autodiscover

        from . import checks  # noqa: F401  (registers the drift check, privet.E001...)

        autodiscover()
