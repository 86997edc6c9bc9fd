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


# --- synced records (issue 13: the TikTok workflows) --------------------------------------------------
#
# Each is one platform object as the connector's contract keeps it, unique per grant by its
# platform id (``external_id``): a sync upserts, so a page read twice (a resumed sync, an
# overlap) never makes a duplicate.

class Video(IntegrationRecord):
    """A video of the authorised account, with its metadata (content metadata)."""

    external_id = models.CharField(_("platform id"), max_length=64)
    caption = models.TextField(_("caption"), blank=True)
    created = models.DateTimeField(_("published"), null=True, blank=True)
    share_url = models.URLField(_("link"), max_length=500, blank=True)
    thumbnail_url = models.URLField(_("thumbnail"), max_length=500, blank=True)
    duration = models.FloatField(_("duration (s)"), null=True, blank=True)
    likes = models.PositiveIntegerField(_("likes"), default=0)
    comments = models.PositiveIntegerField(_("comments"), default=0)
    shares = models.PositiveIntegerField(_("shares"), default=0)
    views = models.PositiveBigIntegerField(_("views"), default=0)

    class Meta:
        ordering = ["-created", "-pk"]
        constraints = [models.UniqueConstraint(fields=["grant", "external_id"],
                                               name="integrations_video_once")]
        verbose_name = _("video")
        verbose_name_plural = _("videos")

    def __str__(self) -> str:
        return self.caption[:60] or self.external_id


class Comment(IntegrationRecord):
    """A comment on one of the account's videos, or a reply to one (``parent_id``)."""

    class Status(models.TextChoices):
        PUBLIC = "PUBLIC", _("Public")
        HIDDEN = "HIDDEN", _("Hidden")

    external_id = models.CharField(_("platform id"), max_length=64)
    video_id = models.CharField(_("video"), max_length=64, db_index=True)
    parent_id = models.CharField(_("reply to"), max_length=64, blank=True, db_index=True)
    text = models.TextField(_("text"), blank=True)
    username = models.CharField(_("username"), max_length=200, blank=True)
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    created = models.DateTimeField(_("written"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.PUBLIC)
    likes = models.PositiveIntegerField(_("likes"), default=0)
    replies = models.PositiveIntegerField(_("replies"), default=0)
    by_account = models.BooleanField(_("by the account itself"), default=False)

    subject_fields = ("username",)

    class Meta:
        ordering = ["-created", "-pk"]
        constraints = [models.UniqueConstraint(fields=["grant", "external_id"],
                                               name="integrations_comment_once")]
        indexes = [models.Index(fields=["grant", "video_id", "-created"],
                                name="integrations_comment_video")]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return self.text[:60]


class Conversation(IntegrationRecord):
    """A direct-message conversation of the account, with the person on the other side."""

    external_id = models.CharField(_("platform id"), max_length=200)
    username = models.CharField(_("username"), max_length=200, blank=True)
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    updated = models.DateTimeField(_("last message"), null=True, blank=True)

    subject_fields = ("username",)

    class Meta:
        ordering = ["-updated", "-pk"]
        constraints = [models.UniqueConstraint(fields=["grant", "external_id"],
                                               name="integrations_conversation_once")]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")


class Message(IntegrationRecord):
    """One direct message (text only: other kinds are kept as their type, without content)."""

    external_id = models.CharField(_("platform id"), max_length=200)
    conversation_id = models.CharField(_("conversation"), max_length=200, db_index=True)
    sender = models.CharField(_("sender"), max_length=200, blank=True)
    kind = models.CharField(_("type"), max_length=16, blank=True)
    text = models.TextField(_("text"), blank=True)
    created = models.DateTimeField(_("sent"), null=True, blank=True)
    by_account = models.BooleanField(_("by the account itself"), default=False)

    subject_fields = ("sender",)

    class Meta:
        ordering = ["created", "pk"]
        constraints = [models.UniqueConstraint(fields=["grant", "external_id"],
                                               name="integrations_message_once")]
        verbose_name = _("message")
        verbose_name_plural = _("messages")


class Campaign(IntegrationRecord):
    """An advertising campaign of an authorised advertiser account (campaign data)."""

    external_id = models.CharField(_("platform id"), max_length=64)
    advertiser_id = models.CharField(_("advertiser account"), max_length=64)
    name = models.CharField(_("name"), max_length=500, blank=True)
    objective = models.CharField(_("objective"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=64, blank=True)
    budget = models.DecimalField(_("budget"), max_digits=14, decimal_places=2, null=True, blank=True)
    budget_mode = models.CharField(_("budget mode"), max_length=32, blank=True)
    created = models.DateTimeField(_("created"), null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["grant", "external_id"],
                                               name="integrations_campaign_once")]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name or self.external_id


class CampaignDay(IntegrationRecord):
    """A campaign's results on one day (reporting data). ``None``: the platform had no figure
    (its ``"-"``)."""

    external_id = models.CharField(_("platform id"), max_length=100)  # campaign:YYYY-MM-DD
    campaign_id = models.CharField(_("campaign"), max_length=64, db_index=True)
    day = models.DateField(_("day"))
    spend = models.DecimalField(_("spend"), max_digits=14, decimal_places=2, null=True, blank=True)
    impressions = models.PositiveBigIntegerField(_("impressions"), null=True, blank=True)
    clicks = models.PositiveBigIntegerField(_("clicks"), null=True, blank=True)
    conversions = models.PositiveBigIntegerField(_("conversions"), null=True, blank=True)
    ctr = models.DecimalField(_("CTR (%)"), max_digits=9, decimal_places=4, null=True, blank=True)
    cpc = models.DecimalField(_("CPC"), max_digits=14, decimal_places=4, null=True, blank=True)
    cpm = models.DecimalField(_("CPM"), max_digits=14, decimal_places=4, null=True, blank=True)

    class Meta:
        ordering = ["campaign_id", "day"]
        constraints = [models.UniqueConstraint(fields=["grant", "external_id"],
                                               name="integrations_campaignday_once")]
        verbose_name = _("campaign day")
        verbose_name_plural = _("campaign days")


class AccountDay(IntegrationRecord):
    """The authorised account's own figures on one day (``business/get/``'s metrics)."""

    external_id = models.CharField(_("day"), max_length=16)  # YYYY-MM-DD
    day = models.DateField(_("day"))
    video_views = models.PositiveBigIntegerField(_("video views"), null=True, blank=True)
    profile_views = models.PositiveBigIntegerField(_("profile views"), null=True, blank=True)
    likes = models.PositiveBigIntegerField(_("likes"), null=True, blank=True)
    comments = models.PositiveBigIntegerField(_("comments"), null=True, blank=True)
    shares = models.PositiveBigIntegerField(_("shares"), null=True, blank=True)
    followers = models.PositiveBigIntegerField(_("followers"), null=True, blank=True)

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["grant", "external_id"],
                                               name="integrations_accountday_once")]
        verbose_name = _("account day")
        verbose_name_plural = _("account days")


class SyncState(ClientOwned):
    """Where one stream of a grant's sync stands (the videos, the comments of one video...).

    ``progress`` is the cursor of the next page of the run under way, written in the same
    transaction as the page before it, so a sync that crashed resumes at the page it had not
    stored, without a duplicate or a gap; ``seq`` advances with every page, and a page is
    stored only if ``seq`` is still what it was when the page was asked for (two runners of
    one stream cannot interleave). ``high_water`` is the newest item's time of the last
    complete run: the next run stops paging once it reaches it (an incremental sync)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Stopped (resumes at the next sync)")

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="+",
                              verbose_name=_("grant"))
    stream = models.CharField(_("what"), max_length=32)
    parent = models.CharField(_("of"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.DONE)
    progress = models.JSONField(default=dict, blank=True)
    seq = models.PositiveBigIntegerField(default=0)
    high_water = models.BigIntegerField(null=True, blank=True)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    records = models.PositiveIntegerField(_("records"), default=0)
    dropped_fields = models.PositiveIntegerField(_("fields dropped"), default=0)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=100, blank=True)

    class Meta:
        ordering = ["stream", "parent"]
        constraints = [models.UniqueConstraint(fields=["grant", "stream", "parent"],
                                               name="integrations_sync_state_once")]
        verbose_name = _("sync state")
        verbose_name_plural = _("sync states")


class SyncRun(ClientOwned):
    """One sync of one workflow for one grant: who or what started it, how far it got."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Stopped (resumes at the next sync)")
        UNAVAILABLE = "unavailable", _("Not attempted: a scope it needs was not granted")

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="+",
                              verbose_name=_("grant"))
    workflow = models.CharField(_("workflow"), max_length=32)
    full = models.BooleanField(_("full"), default=False)
    actor = models.CharField(_("started by"), max_length=150)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.RUNNING)
    counts = models.JSONField(_("records"), default=dict, blank=True)
    error = models.CharField(_("error"), max_length=100, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
