from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnquiriesConfig(AppConfig):
    name = "privet.enquiries"
    label = "enquiries"
    verbose_name = _("Enquiries")

    def ready(self) -> None:
        import stamina.instrumentation

        from .tasks import log_retry

        # Process-wide: stamina's default hooks log repr() of the exception and the arguments,
        # which for mail quotes the recipients' addresses. Ours logs the type and attempt only.
        stamina.instrumentation.set_on_retry_hooks([log_retry])
