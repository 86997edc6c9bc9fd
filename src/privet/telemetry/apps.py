from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelemetryConfig(AppConfig):
    """The technical log: one record per request to Privet's pages and API, and the security
    events (failed and locked sign-ins, refused verification links, rate-limit hits), with the
    client's address only in pseudonymised form (:mod:`.pseudonyms`), written in bulk off the
    request's path (:mod:`.recorder`)."""

    name = "privet.telemetry"
    label = "telemetry"
    verbose_name = _("Technical logs")
