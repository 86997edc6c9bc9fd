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

from django.conf import settings

from privet.integrations.connectors import (
    Connector,
    Endpoint,
    FieldUse,
    OAuthFlow,
    ObjectContract,
    connectors,
)

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


class TikTokConnector(Connector):
    def api_base(self) -> str:
        return settings.PRIVET_TIKTOK_API_BASE


TIKTOK = connectors.register(TikTokConnector(
    id="tiktok_business", platform="TikTok", label="TikTok API for Business",
    hosts=("business-api.tiktok.com",),
    endpoints=ENDPOINTS, flows=FLOWS, contract=CONTRACT,
))
