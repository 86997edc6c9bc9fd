from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnquiriesConfig(AppConfig):
    name = "privet.enquiries"
    label = "enquiries"
    verbose_name = _("Enquiries")

    def ready(self) -> None:
        import stamina.instrumentation
        from django.db import connections
        from django.db.backends.signals import connection_created

        from .casefold import register_casefold
        from .tasks import log_retry

        # Search that ignores case in every alphabet on SQLite (see casefold.py); a connection
        # opened before this point (none, normally) gets the function here.
        connection_created.connect(register_casefold, dispatch_uid="privet.enquiries.casefold")
        for connection in connections.all(initialized_only=True):
            if connection.connection is not None:
                register_casefold(connection=connection)

        # Process-wide: stamina's default hooks log repr() of the exception and the arguments,
        # which for mail quotes the recipients' addresses. Ours logs the type and attempt only.
        stamina.instrumentation.set_on_retry_hooks([log_retry])
