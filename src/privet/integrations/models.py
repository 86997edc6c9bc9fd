"""Clients, their authorisations and what the framework records about its own work.

- :class:`Client`: the studio's customer, a tenant. Operators see the clients assigned to them.
- :class:`AuthorisationLink`: what an operator sends the client's account owner; single use.
- :class:`Grant`: one authorisation the owner gave on the platform (a TikTok account, an
  advertiser account), with its tokens in the vault and the scopes the platform reported.
- :class:`GrantEvent`: the grant ledger, append-only (a database trigger refuses UPDATE).
- :class:`OutboundCall`: every call the outbound client made or refused, without bodies.
- :class:`WebhookDelivery`: each accepted webhook's id (idempotence) and outcome, no payload.
- :class:`ConnectorApp`: the studio's app on a platform (its id, and its secret in the vault).
- :class:`PlatformAccount`: the authorised account's public profile, as its data contract
  keeps it (the first integration data; synced objects subclass :class:`IntegrationRecord`).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .scoping import ClientOwned
from .vault import EncryptedTextField


class Client(models.Model):
    """A business client of the studio, whose systems it connects (a tenant)."""

    slug = models.SlugField(
        _("client id"), max_length=64, unique=True,
        help_text=_("Short and permanent: rights requests and legal holds name the client by it."))
    name = models.CharField(_("name"), max_length=200)
    language = models.CharField(_("language of the authorisation page"), max_length=8,
                                choices=settings.LANGUAGES, default="pl")
    workflows = models.JSONField(_("workflows"), default=list, blank=True)
    operators = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True,
                                       related_name="integration_clients",
                                       verbose_name=_("assigned operators"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    contract_ended_at = models.DateTimeField(
        _("contract ended"), null=True, blank=True,
        help_text=_("Connection data expires by the declared rule counted from this date."))

    class Meta:
        ordering = ["name"]
        verbose_name = _("client")
        verbose_name_plural = _("clients")

    def __str__(self) -> str:
        return self.name


def new_link_token() -> str:
    return secrets.token_urlsafe(32)


class AuthorisationLink(ClientOwned):
    """A link an operator sends to the client's account owner. Opening it shows what will be
    accessed and why; continuing sends the owner to the platform with a signed ``state``
    bound to this link; the callback uses it once."""

    public_id = models.CharField(max_length=64, unique=True, default=new_link_token, editable=False)
    connector = models.CharField(_("connector"), max_length=64)
    flow = models.CharField(_("authorisation"), max_length=32)
    scopes = models.JSONField(_("scopes requested"), default=list)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="pl")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    # Set when the owner continues to the platform: the nonce in ``state`` and, with PKCE, the
    # code verifier (in the vault).
    started_at = models.DateTimeField(_("sent to the platform"), null=True, blank=True)
    nonce = models.CharField(max_length=64, blank=True)
    code_verifier = EncryptedTextField(blank=True, default="")
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    grant = models.ForeignKey("Grant", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("grant"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("authorisation link")
        verbose_name_plural = _("authorisation links")

    def usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.used_at is None and self.cancelled_at is None and self.expires_at > now


class Grant(ClientOwned):
    """One authorisation an account owner gave, and its tokens (encrypted)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired (the owner must authorise again)")

    connector = models.CharField(_("connector"), max_length=64)
    flow = models.CharField(_("authorisation"), max_length=32)
    account_id = models.CharField(_("platform account"), max_length=128)
    accounts = models.JSONField(_("accounts"), default=list, blank=True)
    scopes = models.JSONField(_("scopes granted"), default=list)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    access_token = EncryptedTextField(blank=True, default="")
    refresh_token = EncryptedTextField(blank=True, default="")
    access_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_expires_at = models.DateTimeField(null=True, blank=True)
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)
    refreshed_at = models.DateTimeField(_("last refreshed"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    # Copied from the client when its contract ends: the retention rule for connection data
    # counts from it (the registry reads a record's own fields).
    contract_ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-granted_at"]
        # One live grant per account: two callbacks at once for the same account cannot both
        # create one (the second renews it, services.record_grant).
        constraints = [models.UniqueConstraint(
            fields=["client", "connector", "flow", "account_id"],
            condition=models.Q(status="active"), name="integrations_one_live_grant")]
        verbose_name = _("grant")
        verbose_name_plural = _("grants")

    def __str__(self) -> str:
        return f"G-{self.pk:06d}" if self.pk else "G-new"

    @property
    def live(self) -> bool:
        return self.status == self.Status.ACTIVE


class GrantEvent(ClientOwned):
    """The grant ledger: who authorised what, when, with which scopes; every refresh, scope
    change and revocation. Append-only (migration 0002's trigger refuses UPDATE); rows go
    only with their grant, by the declared retention rule."""

    class Kind(models.TextChoices):
        GRANTED = "granted", _("Granted")
        REFRESHED = "refreshed", _("Token refreshed")
        SCOPES_CHANGED = "scopes_changed", _("Scopes changed")
        REVOKED = "revoked", _("Revoked by an operator")
        DEAUTHORISED = "deauthorised", _("Deauthorised by the owner")
        EXPIRED = "expired", _("Expired")
        PURGED = "purged", _("Data purged")

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="+",
                              verbose_name=_("grant"))
    kind = models.CharField(_("event"), max_length=16, choices=Kind.choices)
    at = models.DateTimeField(_("when"), default=timezone.now)
    scopes = models.JSONField(_("scopes"), default=list)
    actor = models.CharField(_("by"), max_length=150)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("grant ledger entry")
        verbose_name_plural = _("grant ledger entries")


class OutboundCall(ClientOwned):
    """One call the outbound client made (or refused): never a body, a token or a parameter."""

    grant = models.ForeignKey(Grant, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("grant"))
    connector = models.CharField(_("connector"), max_length=64)
    endpoint = models.CharField(_("endpoint"), max_length=100)
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    platform_code = models.IntegerField(_("platform code"), null=True, blank=True)
    records = models.PositiveIntegerField(_("records"), default=0)
    dropped_fields = models.PositiveIntegerField(_("fields dropped"), default=0)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    refused = models.CharField(_("refused because"), max_length=32, blank=True)
    error = models.CharField(_("error"), max_length=100, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("outbound call")
        verbose_name_plural = _("outbound calls")


class WebhookDelivery(models.Model):
    """An accepted webhook: its id (a replay is refused, a redelivery does nothing twice) and
    what came of it. No payload is kept. The client is known only once the account is."""

    connector = models.CharField(_("connector"), max_length=64)
    event_id = models.CharField(_("event id"), max_length=128)
    kind = models.CharField(_("event"), max_length=64)
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("client"))
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=32, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["connector", "event_id"],
                                               name="integrations_webhook_once")]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self) -> str:
        return f"{self.connector} {self.kind}"


class ConnectorApp(models.Model):
    """The studio's registered app on a platform: its id and secret (the secret in the vault)."""

    connector = models.CharField(_("connector"), max_length=64, unique=True)
    app_id = models.CharField(_("app id"), max_length=128)
    secret = EncryptedTextField(_("app secret"))
    configured_at = models.DateTimeField(_("configured"), default=timezone.now)
    configured_by = models.CharField(_("configured by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("connector app")
        verbose_name_plural = _("connector apps")

    def __str__(self) -> str:
        return self.connector


class IntegrationRecord(ClientOwned):
    """Abstract base of integration data: what a grant brought in for its client. When the
    grant ends, ``revoked_at`` is set on every record of it (one UPDATE), and the declared
    rule (``integration_data``, after ``integration_revoked``) counts from it."""

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="+",
                              verbose_name=_("grant"))
    synced_at = models.DateTimeField(_("synced"), default=timezone.now)
    revoked_at = models.DateTimeField(_("authorisation ended"), null=True, blank=True)

    # The fields naming the person a record is about, by their platform username (the rights
    # engine's processor source matches a request's handle against them); none: the model is
    # not searched for a person (it must then say why: registry.not_a_subject_source).
    subject_fields: tuple[str, ...] = ()

    class Meta:
        abstract = True


class PlatformAccount(IntegrationRecord):
    """The authorised account's profile (a TikTok business account, an advertiser account) as
    the connector's contract keeps it."""

    kind = models.CharField(_("kind"), max_length=32)
    external_id = models.CharField(_("platform id"), max_length=128)
    username = models.CharField(_("username"), max_length=200, blank=True)
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    details = models.JSONField(_("other kept fields"), default=dict, blank=True)

    subject_fields = ("username",)

    class Meta:
        ordering = ["kind", "display_name"]
        constraints = [models.UniqueConstraint(fields=["grant", "kind", "external_id"],
                                               name="integrations_account_once")]
        verbose_name = _("platform account")
        verbose_name_plural = _("platform accounts")
