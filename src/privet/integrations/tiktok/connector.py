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
import json
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from django.conf import settings

from privet.integrations.connectors import (
    Connector,
    Endpoint,
    FieldUse,
    OAuthFlow,
    ObjectContract,
    WebhookEvent,
    connectors,
)
from privet.integrations.errors import WebhookRefused

if TYPE_CHECKING:
    from privet.integrations.models import Grant

DELIVERY = "delivery"
DATA = FieldUse("integration_data", DELIVERY)
CONFIG = FieldUse("configuration_data", DELIVERY)

ACCOUNT_SCOPES = ("user.info.basic", "user.info.username", "user.info.stats", "user.account.type",
                  "user.insights", "video.list", "video.insights", "comment.list",
                  "comment.list.manage")

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
)}


# Webhooks: signed as TikTok's developer platform documents it (README, "Webhooks": unverified
# for the Business API, shared/tiktok-api.md).
SIGNATURE_HEADER = "TikTok-Signature"
SIGNATURE_RE = re.compile(r"t=(?P<t>[0-9]{1,12}),s=(?P<s>[0-9a-f]{64})")
WEBHOOK_TEXT = ("client_key", "event", "user_openid")
WEBHOOK_FIELDS = ("client_key", "event", "create_time", "user_openid", "content")
DEAUTHORISED_EVENT = "authorization.removed"
WEBHOOK_ACTOR = "system:webhook"


class TikTokConnector(Connector):
    def api_base(self) -> str:
        return settings.PRIVET_TIKTOK_API_BASE

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
            payload = json.loads(body)
            content = json.loads(payload["content"]) if payload.get("content") else {}
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
        recorded on the delivery. ``authorization.removed``: the owner revoked the app on
        TikTok (the token is already dead), so every grant of the account ends
        (:func:`~privet.integrations.grants.deauthorise`, by the owner). Other events
        (``comment.update``, ``video...``) are recorded, not processed yet."""
        from privet.integrations.grants import deauthorise

        if event.kind != DEAUTHORISED_EVENT:
            return "ignored"
        ended = 0
        for grant in grants:
            deauthorise(grant, by_owner=True, actor=WEBHOOK_ACTOR, reason="webhook")
            ended += 1
        return "deauthorised" if ended else "no_grant"


TIKTOK = connectors.register(TikTokConnector(
    id="tiktok_business", platform="TikTok", label="TikTok API for Business",
    hosts=("business-api.tiktok.com",),
    endpoints=ENDPOINTS, flows=FLOWS, contract=CONTRACT,
))
