from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "privet.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers privet.E101)
