from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Runtime commands of the ``privet`` console script: demo, serve, worker."""

    name = "privet.core"
    label = "privet_core"
    verbose_name = "Privet runtime"
