from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Privet's shared runtime: the rate limiter (:mod:`.ratelimit`), search that ignores case
    in every alphabet (:mod:`.casefold`), the CSRF failure page (:mod:`.views`), stamina's retry
    log (:mod:`.retries`), the forms' ARIA wiring (:mod:`.forms`), the cache table (migration
    0001), database outages told from faults (:mod:`.outage`), the task worker that waits them
    out and its leases (:mod:`.worker`, :mod:`.leases`), SMTP that records the hand-over of a
    mail (:mod:`.mail`), and the ``privet`` console script's commands: demo, serve, worker."""

    name = "privet.core"
    label = "privet_core"
    verbose_name = "Privet runtime"

    def ready(self) -> None:
        from django.db import connections
        from django.db.backends.signals import connection_created

        from . import retries
        from .casefold import register_casefold

        # Search that ignores case in every alphabet on SQLite (see casefold.py); a connection
        # opened before this point (none, normally) gets the function here.
        connection_created.connect(register_casefold, dispatch_uid="privet.core.casefold")
        for connection in connections.all(initialized_only=True):
            if connection.connection is not None:
                register_casefold(connection=connection)

        # Process-wide: stamina's default hooks log repr() of the exception and the arguments,
        # which for mail quotes the recipients' addresses. Ours logs the type and attempt only.
        retries.install()
