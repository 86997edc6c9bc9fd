"""The TikTok contract fake, a configured app, clients and links, and the owner's way through an
authorisation (the link page, the fake's page, the callback) with Django's test client."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from django.test import Client as Browser
from django.urls import reverse

from privet.integrations import services
from privet.integrations.models import AuthorisationLink, Client, Grant
from privet.integrations.tiktok.connector import TIKTOK
from privet.integrations.tiktok.fake import TikTokFake
from privet.panel.tests.conftest import make_operator  # noqa: F401 (a fixture: operators with TOTP)

SITE = "http://testserver"


@pytest.fixture
def tiktok_fake(settings, db):
    """The contract fake on 127.0.0.1, the connector's settings pointed at it, and the
    studio's app configured with the fake's id and secret. Yields the fake (its controls)."""
    with TikTokFake() as fake:
        settings.PRIVET_TIKTOK_API_BASE = fake.api_base
        settings.PRIVET_TIKTOK_ADVERTISER_AUTH_URL = fake.advertiser_auth_url
        settings.PRIVET_TIKTOK_ACCOUNT_AUTH_URL = fake.account_auth_url
        settings.PRIVET_INTEGRATIONS_LOOPBACK = True
        settings.SITE_URL = SITE
        services.configure_app(connector_id=TIKTOK.id, app_id=fake.app_id, secret=fake.secret,
                               actor="test")
        yield fake


@pytest.fixture
def make_client(db):
    def make(name: str = "Kawiarnia pod Lipą", slug: str = "") -> Client:
        return services.create_client(name=name, slug=slug, actor="test")

    return make


@pytest.fixture
def make_link(make_client):
    def make(client: Client | None = None, flow: str = "account",
             scopes: list[str] | None = None) -> AuthorisationLink:
        return services.create_link(client=client or make_client(), connector_id=TIKTOK.id,
                                    flow_id=flow, scopes=scopes, actor="test")

    return make


def link_path(link: AuthorisationLink) -> str:
    return reverse("integrations:authorise", args=[link.public_id])


@dataclass
class Journey:
    """Where an owner's authorisation got to: the fake's page, and our callback's answer."""

    platform_url: str  # where "Continue" sent the browser (the fake's page, with our state)
    callback: str  # the path and query the fake sent the browser back to ("" if not reached)
    response: object = None  # our callback's response


def continue_to_platform(browser: Browser, link: AuthorisationLink) -> str:
    """The owner opens the link and continues: the platform's authorisation URL."""
    page = browser.get(link_path(link))
    assert page.status_code == 200, page.content
    response = browser.post(link_path(link))
    assert response.status_code == 302, response.content
    return response["Location"]


def decide_on_platform(platform_url: str, decision: str = "authorise") -> str:
    """The owner's answer on the fake's page (a real HTTP request to it): the path and query
    of the redirect back to us."""
    page = httpx.get(platform_url)
    assert page.status_code == 200 and "Authorise" in page.text, page.text
    answer = httpx.post(platform_url, data={"decision": decision})
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    assert f"{back.scheme}://{back.netloc}" == SITE
    return f"{back.path}?{back.query}"


def authorise(link: AuthorisationLink, *, browser: Browser | None = None,
              decision: str = "authorise", callback_browser: Browser | None = None) -> Journey:
    """The whole way: link page, Continue, the fake's Authorise (or Cancel), our callback
    (in ``callback_browser`` if given: another browser)."""
    browser = browser or Browser()
    platform_url = continue_to_platform(browser, link)
    callback = decide_on_platform(platform_url, decision)
    response = (callback_browser or browser).get(callback)
    return Journey(platform_url, callback, response)


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


@pytest.fixture
def account_grant(tiktok_fake, make_link) -> Grant:
    """A TikTok account grant given through the fake, with every scope."""
    link = make_link(flow="account")
    journey = authorise(link)
    assert journey.response.status_code == 200, journey.response.content
    link.refresh_from_db()
    return Grant.objects.for_client(link.client).get(pk=link.grant_id)


def audit_events(action: str) -> list[dict]:
    """The details of every audit event of ``action`` (stored as canonical JSON text)."""
    import json

    from privet.audit.models import AuditEvent

    return [json.loads(e.details) for e in AuditEvent.objects.filter(action=action).order_by("pk")]
