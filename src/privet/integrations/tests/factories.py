"""Clients, the studio's app and grants made through the framework's own services (no HTTP):
what the webhook, rights and vault tests start from."""

from __future__ import annotations

from privet.integrations import services
from privet.integrations.connectors import TokenSet
from privet.integrations.models import Client, Grant, PlatformAccount

CONNECTOR = "tiktok_business"
APP_SECRET = "app-secret-of-the-studio-0123456789"


def client(slug: str = "acme") -> Client:
    return (Client.objects.filter(slug=slug).first()
            or services.create_client(name=slug.title(), slug=slug, actor="test"))


def app(secret: str = APP_SECRET):
    return services.configure_app(connector_id=CONNECTOR, app_id="app-1", secret=secret,
                                  actor="test")


def grant(owner: Client, *, account_id: str = "open-id-1", username: str = "") -> Grant:
    """A live TikTok account grant of ``owner`` (as the owner gives it through a link), with the
    account's profile kept when ``username`` is given."""
    link = services.create_link(client=owner, connector_id=CONNECTOR, flow_id="account",
                                actor="test")
    given = services.record_grant(link=link, tokens=TokenSet(
        access_token=f"act.{account_id}.token", refresh_token=f"rft.{account_id}.token",
        scopes=("user.info.basic",), account_id=account_id, expires_in=86400))
    if username:
        services.store_account(given, kind="business_account", contract_name="business_account",
                               item={"username": username, "display_name": username.title(),
                                     "followers_count": 7, "bio_description": "dropped"},
                               external_id=account_id)
    return given


def accounts(owner: Client):
    return PlatformAccount.objects.for_client(owner)
