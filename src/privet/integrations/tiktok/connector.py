"""TikTok API for Business: the connector's declaration and its behaviour.

Written from ``shared/tiktok-api.md`` (the public SDKs' contract; README, "Integrations", says
what is unverified). Two authorisations:

- ``advertiser``: an advertiser account for the Marketing API (the owner authorises on
  ``business-api.tiktok.com/portal/auth``; token exchange ``oauth2/access_token/``, revocation
  ``oauth2/revoke_token/``);
- ``account``: a TikTok business account (``www.tiktok.com/v2/auth/authorize/``; token
  ``tt_user/oauth2/token/``, refresh, revoke, ``tt_user/token_info/get/`` for the scopes the
  platform reports).

Every answer is the envelope ``{code, message, request_id, data}``, errors on HTTP 200 with a
non-zero code (:meth:`TikTokConnector.parse`).
"""

from __future__ import annotations

import hashlib
import hmac
import json as jsonlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.conf import settings

from privet.integrations.connectors import (
    Answer,
    Connector,
    Endpoint,
    FieldUse,
    OAuthFlow,
    ObjectContract,
    TokenSet,
    WebhookEvent,
    Workflow,
    connectors,
)
from privet.integrations.errors import (
    PlatformError,
    RateLimited,
    RefreshExpired,
    Refused,
    ScopeRefused,
    TokenExpired,
    TokenRefused,
    Transient,
    WebhookRefused,
)

if TYPE_CHECKING:
    import httpx
    from django.http import HttpRequest

    from privet.integrations.models import AuthorisationLink, ConnectorApp, Grant

DELIVERY = "delivery"
DATA = FieldUse("integration_data", DELIVERY)
CONFIG = FieldUse("configuration_data", DELIVERY)

ACCOUNT_SCOPES = ("user.info.basic", "user.info.username", "user.info.stats", "user.account.type",
                  "user.insights", "video.list", "video.insights", "comment.list",
                  "comment.list.manage", "message.list.read", "message.list.send")
# The platform's limits on what we send (shared/tiktok-api.md section 3).
REPLY_MAX = 150
MESSAGE_MAX = 6000

ENDPOINTS = {e.name: e for e in (
    # Marketing API (advertiser authorisation)
    Endpoint("advertiser.token", "POST", "oauth2/access_token/", auth="app"),
    Endpoint("advertiser.revoke", "POST", "oauth2/revoke_token/", auth="app"),
    Endpoint("advertiser.accounts", "GET", "oauth2/advertiser/get/", auth="app", lists="list"),
    # TikTok account authorisation
    Endpoint("account.token", "POST", "tt_user/oauth2/token/", auth="app"),
    Endpoint("account.refresh", "POST", "tt_user/oauth2/refresh_token/", auth="app"),
    Endpoint("account.revoke", "POST", "tt_user/oauth2/revoke/", auth="app"),
    Endpoint("account.token_info", "POST", "tt_user/token_info/get/", auth="app"),
    Endpoint("account.profile", "GET", "business/get/", scope="user.info.basic"),
    Endpoint("account.insights", "GET", "business/get/", scope="user.insights"),
    Endpoint("account.videos", "GET", "business/video/list/", scope="video.list", lists="videos"),
    Endpoint("account.comments", "GET", "business/comment/list/", scope="comment.list",
             lists="comments"),
    Endpoint("account.replies", "GET", "business/comment/reply/list/", scope="comment.list",
             lists="comments"),
    Endpoint("account.comment_reply", "POST", "business/comment/reply/create/",
             scope="comment.list.manage"),
    Endpoint("account.comment_hide", "POST", "business/comment/hide/", scope="comment.list.manage"),
    Endpoint("account.comment_delete", "POST", "business/comment/delete/",
             scope="comment.list.manage"),
    Endpoint("account.conversations", "GET", "business/message/conversation/list/",
             scope="message.list.read", lists="conversations"),
    Endpoint("account.messages", "GET", "business/message/content/list/",
             scope="message.list.read", lists="messages"),
    Endpoint("account.message_send", "POST", "business/message/send/", scope="message.list.send"),
    # Marketing API, with the advertiser grant's token
    Endpoint("advertiser.campaigns", "GET", "campaign/get/", lists="list"),
    Endpoint("advertiser.report", "GET", "report/integrated/get/", lists="list"),
)}

FLOWS = {f.id: f for f in (
    OAuthFlow("advertiser", "Advertiser account (TikTok Ads Manager)", scopes=(),
              description="Campaigns and their reports, through the Marketing API."),
    OAuthFlow("account", "TikTok business account", scopes=ACCOUNT_SCOPES,
              description="The account's profile, videos, comments and messages."),
)}

CONTRACT = {c.name: c for c in (
    ObjectContract("business_account", "business_account", {
        "username": DATA, "display_name": DATA, "profile_image": DATA, "is_verified": DATA,
        "followers_count": DATA, "videos_count": DATA,
    }),
    ObjectContract("advertiser", "business_account", {
        "advertiser_id": CONFIG, "advertiser_name": CONFIG,
    }),
    ObjectContract("account_day", "reporting", {
        "date": DATA, "video_views": DATA, "profile_views": DATA, "likes": DATA,
        "comments": DATA, "shares": DATA, "followers_count": DATA,
    }),
    ObjectContract("video", "content_metadata", {
        "item_id": DATA, "caption": DATA, "create_time": DATA, "share_url": DATA,
        "thumbnail_url": DATA, "video_duration": DATA, "likes": DATA, "comments": DATA,
        "shares": DATA, "video_views": DATA,
    }),
    ObjectContract("comment", "comments", {
        "comment_id": DATA, "video_id": DATA, "parent_comment_id": DATA, "text": DATA,
        "create_time": DATA, "likes": DATA, "replies": DATA, "owner": DATA, "status": DATA,
        "username": DATA, "display_name": DATA,
    }),
    ObjectContract("conversation", "messages", {
        "conversation_id": DATA, "up_time": DATA,
    }),
    ObjectContract("participant", "messages", {
        "username": DATA, "display_name": DATA, "role": DATA,
    }),
    ObjectContract("message", "messages", {
        "message_id": DATA, "conversation_id": DATA, "sender": DATA, "timestamp": DATA,
        "message_type": DATA, "text": DATA,
    }),
    ObjectContract("campaign", "campaigns", {
        "campaign_id": DATA, "advertiser_id": DATA, "campaign_name": DATA, "objective_type": DATA,
        "secondary_status": DATA, "budget": DATA, "budget_mode": DATA, "create_time": DATA,
    }),
    ObjectContract("campaign_day", "reporting", {
        "campaign_id": DATA, "stat_time_day": DATA, "spend": DATA, "impressions": DATA,
        "clicks": DATA, "ctr": DATA, "cpc": DATA, "cpm": DATA, "conversion": DATA,
    }),
)}

# What the studio does for a client through TikTok. A link requests only the scopes of the
# client's workflows in its authorisation (Connector.scopes_for); a workflow runs only on a
# grant holding all of its scopes.
WORKFLOWS = {w.id: w for w in (
    Workflow("moderation", "Comment moderation", "account",
             ("user.info.basic", "video.list", "comment.list", "comment.list.manage"),
             ("business_account", "video", "comment"),
             "The account's videos and their comments; replying, hiding and deleting comments."),
    Workflow("messages", "Direct messages", "account",
             ("user.info.basic", "message.list.read", "message.list.send"),
             ("business_account", "conversation", "participant", "message"),
             "The account's direct-message conversations, read and answered."),
    Workflow("insights", "Account statistics", "account",
             ("user.info.basic", "user.insights"), ("business_account", "account_day"),
             "The account's daily views, likes, comments, shares and followers."),
    Workflow("reporting", "Campaign reporting", "advertiser", (),
             ("advertiser", "campaign", "campaign_day"),
             "The advertiser accounts' campaigns and their daily results."),
)}


# The envelope's codes (shared/tiktok-api.md section 1 and its corrections).
OK_CODES = frozenset({0, 20001})
RATE_LIMITED = frozenset({40100, 40132, 61000})
TRANSIENT = frozenset({50000, 50002, *range(51000, 51100)})
TOKEN_EXPIRED = frozenset({40102})
REFRESH_EXPIRED = frozenset({40103})
TOKEN_REFUSED = frozenset({40104, 40105})
SCOPE_REFUSED = frozenset({40001, 40130})

# Which names the app's credentials take in each call's body or query (the Marketing API says
# app_id/secret, the tt_user token endpoints client_id/client_secret; token_info wants only
# the app id).
APP_FIELDS = {
    "advertiser.token": ("json", "app_id", "secret"),
    "advertiser.revoke": ("json", "app_id", "secret"),
    "advertiser.accounts": ("params", "app_id", "secret"),
    "account.token": ("json", "client_id", "client_secret"),
    "account.refresh": ("json", "client_id", "client_secret"),
    "account.revoke": ("json", "client_id", "client_secret"),
    "account.token_info": ("json", "app_id", ""),
}


def _scopes(value: Any) -> tuple[str, ...]:
    """Scopes as the platform reports them: ``"a,b"`` (tt_user) or a list (numeric ids for an
    advertiser authorisation)."""
    if isinstance(value, str):
        items: Iterable[Any] = value.split(",")
    elif isinstance(value, list | tuple):
        items = value
    else:
        items = ()
    return tuple(sorted({str(s).strip() for s in items if str(s).strip()}))


def _clear(secret: Any) -> str:
    """A vault value to send: a :class:`~privet.integrations.vault.Secret` as read from the
    database, or the plain string a grant just created or refreshed still holds."""
    return secret.reveal() if hasattr(secret, "reveal") else str(secret or "")


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None

# Webhooks: signed as TikTok's developer platform documents it (README, "Webhooks": unverified
# for the Business API, shared/tiktok-api.md).
SIGNATURE_HEADER = "TikTok-Signature"
SIGNATURE_RE = re.compile(r"t=(?P<t>[0-9]{1,12}),s=(?P<s>[0-9a-f]{64})")
WEBHOOK_TEXT = ("client_key", "event", "user_openid")
WEBHOOK_FIELDS = ("client_key", "event", "create_time", "user_openid", "content")
DEAUTHORISED_EVENT = "authorization.removed"
COMMENT_EVENT = "comment.update"
WEBHOOK_ACTOR = "system:webhook"


class TikTokConnector(Connector):
    def api_base(self) -> str:
        return settings.PRIVET_TIKTOK_API_BASE

    def authorize_url(self, flow: OAuthFlow, *, app_id: str, state: str, redirect_uri: str,
                      scopes: Iterable[str], code_challenge: str = "") -> str:
        if flow.id == "advertiser":
            query = {"app_id": app_id, "state": state, "redirect_uri": redirect_uri}
            return f"{settings.PRIVET_TIKTOK_ADVERTISER_AUTH_URL}?{urlencode(query)}"
        query = {"client_key": app_id, "response_type": "code", "scope": ",".join(scopes),
                 "redirect_uri": redirect_uri, "state": state}
        if code_challenge:
            query |= {"code_challenge": code_challenge, "code_challenge_method": "S256"}
        return f"{settings.PRIVET_TIKTOK_ACCOUNT_AUTH_URL}?{urlencode(query)}"

    def code_from(self, request: HttpRequest) -> str:
        # The advertiser authorisation sends ``auth_code``, the TikTok account one ``code``.
        return (request.GET.get("auth_code") or request.GET.get("code") or "").strip()

    def exchange_code(self, flow: OAuthFlow, link: AuthorisationLink, *, code: str,
                      redirect_uri: str, code_verifier: str = "") -> TokenSet:
        from privet.integrations.http import call

        if flow.id == "advertiser":
            data = call(link.client, self, "advertiser.token",
                        json={"auth_code": code}).data
            ids = tuple(str(i) for i in data.get("advertiser_ids") or ())
            return TokenSet(
                access_token=str(data.get("access_token") or ""), scopes=_scopes(data.get("scope")),
                account_id=",".join(sorted(ids))[:128],
                refresh_token=str(data.get("refresh_token") or ""),
                expires_in=_int(data.get("expires_in")),
                refresh_expires_in=_int(data.get("refresh_token_expires_in")),
                accounts=tuple({"id": i} for i in ids))
        body = {"grant_type": "authorization_code", "auth_code": code,
                "redirect_uri": redirect_uri}
        if code_verifier:
            body["code_verifier"] = code_verifier
        data = call(link.client, self, "account.token", json=body).data
        tokens = self._account_tokens(data)
        # The scopes the platform reports for the token, not those asked for nor those the
        # token answer echoes.
        info = call(link.client, self, "account.token_info",
                    json={"access_token": tokens.access_token}).data
        reported = _scopes(info.get("scope")) if "scope" in info else tokens.scopes
        return replace(tokens, scopes=reported)

    def _account_tokens(self, data: Mapping[str, Any]) -> TokenSet:
        return TokenSet(
            access_token=str(data.get("access_token") or ""), scopes=_scopes(data.get("scope")),
            account_id=str(data.get("open_id") or "")[:128],
            refresh_token=str(data.get("refresh_token") or ""),
            expires_in=_int(data.get("expires_in")),
            refresh_expires_in=_int(data.get("refresh_token_expires_in")))

    def refresh(self, grant: Grant) -> TokenSet:
        from privet.integrations.http import call

        if grant.flow != "account" or not grant.refresh_token:
            # No refresh endpoint for an advertiser token is documented (shared/tiktok-api.md):
            # the owner authorises again.
            raise RefreshExpired(None, None)
        data = call(grant.client, self, "account.refresh", grant=grant,
                    json={"grant_type": "refresh_token",
                          "refresh_token": _clear(grant.refresh_token)}).data
        return self._account_tokens(data)

    def revoke(self, grant: Grant) -> None:
        from privet.integrations.http import call

        if not grant.access_token:
            return
        call(grant.client, self, f"{grant.flow}.revoke", grant=grant,
             json={"access_token": _clear(grant.access_token)})

    def credentials(self, endpoint: Endpoint, *, grant: Grant | None, app: ConnectorApp | None,
                    params: Mapping[str, Any] | None, json: Mapping[str, Any] | None,
                    ) -> tuple[dict[str, str], Mapping[str, Any] | None, Mapping[str, Any] | None]:
        headers = {"Accept": "application/json"}
        params = dict(params) if params is not None else None
        json = dict(json) if json is not None else None
        if endpoint.auth == "app" and app is not None:
            where, id_name, secret_name = APP_FIELDS.get(endpoint.name, ("json", "app_id", "secret"))
            fields = {id_name: app.app_id}
            if secret_name:
                fields[secret_name] = _clear(app.secret)
            if where == "params":
                params = {**(params or {}), **fields}
            else:
                json = {**(json or {}), **fields}
        if grant is not None and grant.access_token and (
                endpoint.auth == "token" or endpoint.name == "advertiser.accounts"):
            headers["Access-Token"] = _clear(grant.access_token)
        if json is not None:
            headers["Content-Type"] = "application/json"
        return headers, params, json

    def parse(self, endpoint: Endpoint, response: httpx.Response) -> Answer:
        status = response.status_code
        try:
            envelope = response.json()
        except ValueError:
            raise PlatformError(None, status) from None
        if not isinstance(envelope, dict) or not isinstance(envelope.get("code"), int):
            raise PlatformError(None, status)
        code = envelope["code"]
        if code not in OK_CODES:
            for codes, error in ((RATE_LIMITED, RateLimited), (TRANSIENT, Transient),
                                 (TOKEN_EXPIRED, TokenExpired), (REFRESH_EXPIRED, RefreshExpired),
                                 (TOKEN_REFUSED, TokenRefused), (SCOPE_REFUSED, ScopeRefused)):
                if code in codes:
                    raise error(code, status)
            raise PlatformError(code, status)
        data = envelope.get("data")
        data = data if isinstance(data, dict) else {}
        listed = data.get(endpoint.lists) if endpoint.lists else None
        return Answer(data=data, status=status, platform_code=code,
                      request_id=str(envelope.get("request_id") or "")[:64],
                      records=len(listed) if isinstance(listed, list) else (1 if data else 0))

    def after_grant(self, grant: Grant) -> None:
        from privet.integrations.http import call
        from privet.integrations.services import store_account

        if grant.flow == "account":
            fields = sorted(self.contract["business_account"].fields)
            data = call(grant.client, self, "account.profile", grant=grant,
                        params={"business_id": grant.account_id,
                                "fields": jsonlib.dumps(fields)}).data
            _, dropped = store_account(grant, kind="business_account",
                                       contract_name="business_account", item=data,
                                       external_id=grant.account_id)
            _note_dropped(grant, "account.profile", dropped)
            return
        answer = call(grant.client, self, "advertiser.accounts", grant=grant)
        dropped = 0
        for item in answer.data.get("list") or ():
            if isinstance(item, dict) and item.get("advertiser_id"):
                dropped += store_account(grant, kind="advertiser", contract_name="advertiser",
                                         item=item, external_id=str(item["advertiser_id"]))[1]
        _note_dropped(grant, "advertiser.accounts", dropped)

    def sync(self, grant: Grant, workflow: Workflow, *, full: bool, counts: dict[str, int]) -> None:
        from privet.integrations.tiktok.sync import sync

        sync(self, grant, workflow, full=full, counts=counts)

    # --- webhooks (:mod:`privet.integrations.webhooks`) ------------------------------------------
    def verify_webhook(self, headers: Mapping[str, str], body: bytes, *, secret: str,
                       now: float) -> WebhookEvent:
        """The delivery, verified and parsed, or :class:`WebhookRefused` with the first check
        it fails, in this order: the ``TikTok-Signature: t=<unix>,s=<hex>`` header (missing or
        malformed: 400), the signature ``hex(HMAC-SHA256(app secret, f"{t}.{body}"))``
        (compared in constant time; wrong: 401), ``t`` within ``PRIVET_WEBHOOK_WINDOW_SECONDS``
        of ``now`` (401 ``late``), then the body ``{client_key, event, create_time,
        user_openid, content}`` with ``content`` a JSON string (400). The event id is the
        SHA-256 of the signed text (``t`` and the body), so a replay has the same id."""
        match = SIGNATURE_RE.fullmatch(headers.get(SIGNATURE_HEADER) or "")
        if match is None:
            raise WebhookRefused("bad_signature_header", 400, f"The {SIGNATURE_HEADER} header is "
                                 "missing or not of the form t=<unix time>,s=<64 hex digits>.")
        signed = match["t"].encode("ascii") + b"." + body
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, match["s"]):
            raise WebhookRefused("bad_signature", 401, "The signature does not match the body.")
        if abs(now - int(match["t"])) > settings.PRIVET_WEBHOOK_WINDOW_SECONDS:
            raise WebhookRefused("late", 401, "The signature's time is outside the accepted "
                                 f"window of {settings.PRIVET_WEBHOOK_WINDOW_SECONDS} seconds.")
        try:
            payload = jsonlib.loads(body)
            content = jsonlib.loads(payload["content"]) if payload.get("content") else {}
        except (ValueError, TypeError, KeyError, AttributeError):
            payload, content = None, None
        if not isinstance(payload, dict) or not isinstance(content, dict) or not all(
                isinstance(payload.get(k), str) and payload[k] for k in WEBHOOK_TEXT) or \
                not isinstance(payload.get("create_time"), int) or \
                isinstance(payload.get("create_time"), bool):
            raise WebhookRefused("malformed", 400, "The body is not a JSON object with "
                                 f"{', '.join(WEBHOOK_FIELDS)} (content a JSON object in a "
                                 "string).")
        return WebhookEvent(event_id=hashlib.sha256(signed).hexdigest(), kind=payload["event"],
                            account_id=payload["user_openid"], created=payload["create_time"],
                            content=content)

    def handle_webhook(self, event: WebhookEvent, *, grants: Iterable[Grant]) -> str:
        """Act on a verified event for the live ``grants`` of its account; returns the outcome
        recorded on the delivery.

        - ``authorization.removed``: the owner revoked the app on TikTok (the token is already
          dead), so every grant of the account ends (:func:`~privet.integrations.grants.
          deauthorise`, by the owner).
        - ``comment.update`` (``content``: ``comment_id``, ``video_id``, perhaps
          ``parent_comment_id``): the comment is read again for each grant whose client runs
          the moderation workflow on it (:meth:`_comment_event`), so the moderation view
          follows the platform without waiting for a sync.

        Other events (``video...``) are recorded, not processed."""
        from privet.integrations.grants import deauthorise

        if event.kind == COMMENT_EVENT:
            return self._comment_event(event, list(grants))
        if event.kind != DEAUTHORISED_EVENT:
            return "ignored"
        ended = 0
        for grant in grants:
            deauthorise(grant, by_owner=True, actor=WEBHOOK_ACTOR, reason="webhook")
            ended += 1
        return "deauthorised" if ended else "no_grant"

    def _comment_event(self, event: WebhookEvent, grants: list[Grant]) -> str:
        """Queue a re-read of the one comment the event names (and its thread, whose reply
        count moved) for each grant whose client runs the moderation workflow on it (the client
        chose it, the owner granted its scopes): an event never brings in data the agreed
        workflow would not. The worker reads it (:meth:`refresh_comments`), so the platform's
        delivery is answered at once, and no platform call runs inside the delivery's
        transaction."""
        from django.db import transaction

        from privet.integrations.sync import unavailable_reason
        from privet.integrations.tasks import refresh_comments

        content = event.content
        comment_id = str(content.get("comment_id") or "")[:64]
        video_id = str(content.get("video_id") or "")[:64]
        parent_id = str(content.get("parent_comment_id") or "")[:64]
        if not comment_id or not video_id:
            return "ignored"
        workflow = self.workflows["moderation"]
        eligible = [g for g in grants if not unavailable_reason(g, workflow)]
        if not eligible:
            return "no_grant"
        wanted = [comment_id] + ([parent_id] if parent_id not in ("", "0", comment_id) else [])
        for grant in eligible:
            transaction.on_commit(
                lambda pk=grant.pk: refresh_comments.enqueue(pk, video_id, wanted))
        return "comment_queued"

    def refresh_comments(self, grant: Grant, video_id: str, wanted: list[str]) -> str:
        """Read the comments ``wanted`` (a comment, perhaps its thread's parent) of one video
        again through the outbound client and upsert what the contract keeps; the first
        comment, if the platform no longer returns it, was deleted there, so its local copy
        goes (with its replies). A platform error leaves the local copy as it was (the next
        sync reads it). Audited with the outcome; returns it."""
        from privet.audit.services import append_event
        from privet.integrations.http import call
        from privet.integrations.models import Comment
        from privet.integrations.sync import remove_comment, upsert
        from privet.integrations.tiktok.sync import comment_row

        comment_id = wanted[0]
        contract = self.contract["comment"]
        # status=ALL: a comment hidden on the platform is still there (and would otherwise be
        # taken for deleted).
        params = {"business_id": grant.account_id, "video_id": video_id, "status": "ALL",
                  "comment_ids": jsonlib.dumps(wanted), "fields": jsonlib.dumps(sorted(contract.fields))}
        details = {"client": grant.client.slug, "comment": comment_id, "video": video_id}
        try:
            answer = call(grant.client, self, "account.comments", grant=grant,
                          actor=WEBHOOK_ACTOR, params=params)
        except (PlatformError, Refused) as exc:
            append_event(actor=WEBHOOK_ACTOR, action="integrations.webhook_processed", obj=grant,
                         details=details | {"outcome": "platform_error",
                                            "error": type(exc).__name__})
            return "platform_error"
        grant = answer.grant or grant
        rows = []
        for item in answer.data.get("comments") or ():
            if isinstance(item, dict):
                row = comment_row(contract.keep(item)[0])
                if row and row["external_id"] in wanted:
                    rows.append(row)
        found = {r["external_id"] for r in rows}
        outcome = "comment_updated" if comment_id in found else "comment_removed"
        upsert(grant, Comment, rows)
        if comment_id not in found:
            local = Comment.objects.for_client(grant.client).filter(
                grant=grant, external_id=comment_id).first()
            if local is not None:
                remove_comment(grant, local)
        append_event(actor=WEBHOOK_ACTOR, action="integrations.webhook_processed", obj=grant,
                     details=details | {"outcome": outcome})
        return outcome


def _note_dropped(grant: Grant, endpoint: str, dropped: int) -> None:
    """How many fields outside the contract the call's answer had (counted, never kept): on
    its call record."""
    from privet.integrations.models import OutboundCall

    if dropped:
        row = (OutboundCall.objects.for_client(grant.client)
               .filter(grant=grant, endpoint=endpoint, refused="").order_by("-pk").first())
        if row is not None:
            row.dropped_fields = dropped
            row.save(update_fields=["dropped_fields"])

TIKTOK = connectors.register(TikTokConnector(
    id="tiktok_business", platform="TikTok", label="TikTok API for Business",
    hosts=("business-api.tiktok.com",),
    endpoints=ENDPOINTS, flows=FLOWS, contract=CONTRACT, workflows=WORKFLOWS,
))
