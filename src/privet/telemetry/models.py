"""The technical log and the daily keys that pseudonymise the addresses in it."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

REQUEST = "request"
SIGN_IN_FAILED = "sign_in_failed"
SIGN_IN_LOCKED = "sign_in_locked"
VERIFICATION_REFUSED = "verification_refused"
RATE_LIMITED = "rate_limited"
WEBHOOK_REFUSED = "webhook_refused"
CALL_REFUSED = "call_refused"
AUTHORISATION_REFUSED = "authorisation_refused"

SECURITY_KINDS = {
    SIGN_IN_FAILED: _("Sign-in failed"),
    SIGN_IN_LOCKED: _("Sign-in locked out"),
    VERIFICATION_REFUSED: _("Verification link refused"),
    RATE_LIMITED: _("Rate limit reached"),
    WEBHOOK_REFUSED: _("Webhook refused"),
    CALL_REFUSED: _("Outbound call refused"),
    AUTHORISATION_REFUSED: _("Authorisation refused"),
}
KINDS = [(REQUEST, _("Request")), *SECURITY_KINDS.items()]

# The route of a request that matched no URL pattern (a 404, a probe for /wp-login.php): never
# the path itself, which may carry anything the client put in it.
UNRESOLVED = "(unresolved)"


class TechnicalRecord(models.Model):
    """One request to Privet, or one security event, as the technical log keeps it.

    Append-only (migration 0001 refuses UPDATE; rows go only by retention: a batched DELETE or,
    on PostgreSQL, the drop of a whole month's partition). Written only by
    :mod:`privet.telemetry.recorder`, in bulk. No raw address, path or User-Agent string: the
    client is its network (IPv4 /24, IPv6 /48) and a keyed hash of its address under the key of
    the day (:class:`DailyKey`), which is destroyed after the declared window, so the hash can
    be compared with others of the same day and never reversed once the key is gone.

    On PostgreSQL the table is range-partitioned by month on ``at`` (migration 0001): its real
    primary key is ``(id, at)``; ``id`` alone is still unique (one identity sequence).
    """

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(_("when"), default=timezone.now)
    kind = models.CharField(_("kind"), max_length=32, choices=KINDS)
    method = models.CharField(_("method"), max_length=8, blank=True)
    route = models.CharField(_("route"), max_length=200, blank=True,
                             help_text=_("The name of the page or API operation, never its path."))
    status = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    duration_ms = models.FloatField(_("duration (ms)"), null=True, blank=True)
    user_agent_family = models.CharField(_("browser"), max_length=32, blank=True,
                                         help_text=_("Browser family, no version."))
    os_family = models.CharField(_("operating system"), max_length=32, blank=True,
                                 help_text=_("Operating-system family, no version."))
    network = models.CharField(_("network"), max_length=49, blank=True,
                               help_text=_("The client's network: IPv4 /24 or IPv6 /48."))
    pseudonym = models.CharField(_("pseudonym"), max_length=32, blank=True,
                                 help_text=_("Keyed hash of the client's address under the key "
                                             "of the day."))
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("technical record")
        verbose_name_plural = _("technical records")
        ordering = ["-at", "-id"]
        indexes = [
            # The panel's security events page: by kind and day, newest first. Partial, so the
            # hot path (request records) maintains neither index.
            models.Index(fields=["kind", "at"], name="telemetry_security_kind_idx",
                         condition=~Q(kind=REQUEST)),
            # The same page filtered by pseudonym: what one client did within the window.
            models.Index(fields=["pseudonym", "at"], name="telemetry_security_pseud_idx",
                         condition=~Q(kind=REQUEST)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {timezone.localtime(self.at):%Y-%m-%d %H:%M:%S}"

    def kind_label(self) -> str:
        return str(dict(KINDS).get(self.kind, self.kind))


class DailyKey(models.Model):
    """The random key that hashes addresses recorded on one local day (``PRIVET_TIME_ZONE``).

    Made on the day's first record; destroyed by retention after the declared window for
    technical data kept for security (90 days in the default declaration). Without it, a
    record's pseudonym can still be compared with others of its day, but nobody can test which
    address it was.
    """

    day = models.DateField(_("day"), unique=True)
    key = models.BinaryField(_("key"), max_length=32)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("daily pseudonym key")
        verbose_name_plural = _("daily pseudonym keys")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d}"
