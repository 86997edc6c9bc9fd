"""An owner authorises through the link page, the platform (the contract fake) and the callback;
the grant holds what the platform reports, and the profile what the contract keeps."""

from __future__ import annotations

from django.test import Client as Browser

from privet.audit.models import AuditEvent
from privet.integrations.models import Grant, GrantEvent, OutboundCall, PlatformAccount
from privet.integrations.tests.conftest import audit_events, authorise, query_of
from privet.integrations.tiktok.connector import ACCOUNT_SCOPES
from privet.integrations.tiktok.fake import PROFILE


def grant_of(link):
    link.refresh_from_db()
    return Grant.objects.for_client(link.client).get(pk=link.grant_id)


def test_an_owner_connects_a_tiktok_account(tiktok_fake, make_link):
    link = make_link(flow="account")
    journey = authorise(link)

    sent = query_of(journey.platform_url)
    assert sent["client_key"] == tiktok_fake.app_id and sent["response_type"] == "code"
    assert sent["scope"].split(",") == sorted(ACCOUNT_SCOPES)
    assert sent["redirect_uri"] == "http://testserver/integrations/callback/tiktok_business/"
    assert "code" in query_of(journey.callback) and "state" in query_of(journey.callback)
    assert journey.response.status_code == 200
    assert "Połączono" in journey.response.content.decode()  # "Connected", in the link's Polish

    grant = grant_of(link)
    assert grant.live and grant.flow == "account"
    assert grant.scopes == sorted(ACCOUNT_SCOPES)
    assert grant.access_token and grant.refresh_token and grant.access_expires_at
    assert grant.account_id.startswith("-000")
    [entry] = GrantEvent.objects.for_client(link.client).filter(grant=grant)
    assert entry.kind == GrantEvent.Kind.GRANTED and entry.actor == "owner"
    assert AuditEvent.objects.filter(action="integrations.granted", object_id=str(grant.pk)).exists()

    [account] = PlatformAccount.objects.for_client(link.client).filter(grant=grant)
    assert (account.kind, account.external_id) == ("business_account", grant.account_id)
    assert account.username == PROFILE["username"]
    assert account.display_name == PROFILE["display_name"]
    assert set(account.details) == {"profile_image", "is_verified", "followers_count", "videos_count"}

    # The app's credentials went where each endpoint wants them; the token as a header.
    [token] = tiktok_fake.calls("tt_user/oauth2/token/")
    assert {"client_id", "client_secret", "auth_code", "grant_type", "redirect_uri"} <= set(token.body)
    [info] = tiktok_fake.calls("tt_user/token_info/get/")
    assert set(info.body) == {"app_id", "access_token"}
    [profile] = tiktok_fake.calls("business/get/")
    assert "access-token" in profile.headers and profile.params["business_id"] == grant.account_id
    calls = OutboundCall.objects.for_client(link.client)
    assert sorted(calls.values_list("endpoint", flat=True)) == [
        "account.profile", "account.token", "account.token_info"]
    assert not calls.exclude(refused="").exists()
    assert calls.get(endpoint="account.profile").dropped_fields == len(PROFILE) - 6


def test_the_grant_holds_the_scopes_the_platform_reports_not_those_requested(tiktok_fake, make_link):
    tiktok_fake.grant_only(["user.info.basic", "video.list"])
    link = make_link(flow="account")
    assert authorise(link).response.status_code == 200
    grant = grant_of(link)
    assert grant.scopes == ["user.info.basic", "video.list"]
    [event] = audit_events("integrations.granted")
    assert event["scopes"] == ["user.info.basic", "video.list"]
    assert event["requested"] == sorted(ACCOUNT_SCOPES)


def test_an_owner_connects_advertiser_accounts(tiktok_fake, make_link):
    link = make_link(flow="advertiser")
    journey = authorise(link)
    sent = query_of(journey.platform_url)
    assert set(sent) == {"app_id", "state", "redirect_uri"} and sent["app_id"] == tiktok_fake.app_id
    assert "auth_code" in query_of(journey.callback)
    assert journey.response.status_code == 200

    grant = grant_of(link)
    ids = sorted(tiktok_fake.state.advertiser_ids)
    assert grant.live and grant.flow == "advertiser" and grant.account_id == ",".join(ids)
    assert grant.accounts == [{"id": i} for i in tiktok_fake.state.advertiser_ids]
    assert grant.scopes == ["1", "2", "4"]  # as the platform reports them (numeric ids)
    accounts = PlatformAccount.objects.for_client(link.client).filter(grant=grant)
    assert sorted(a.external_id for a in accounts) == ids
    assert all(a.kind == "advertiser" and a.display_name.startswith("Advertiser")
               and a.details == {} for a in accounts)  # currency, owner_email_hint dropped
    [token] = tiktok_fake.calls("oauth2/access_token/")
    assert set(token.body) == {"app_id", "secret", "auth_code"}
    [listing] = tiktok_fake.calls("oauth2/advertiser/get/")
    assert {"app_id", "secret"} <= set(listing.params) and "access-token" in listing.headers
    listing = OutboundCall.objects.for_client(link.client).get(endpoint="advertiser.accounts")
    assert (listing.records, listing.dropped_fields) == (2, 4)  # currency, owner_email_hint


def test_an_owner_who_cancels_on_the_platform_gives_no_grant(tiktok_fake, make_link):
    link = make_link(flow="account")
    journey = authorise(link, decision="cancel")
    assert "code" not in query_of(journey.callback)
    assert journey.response.status_code == 400
    assert not Grant.objects.for_client(link.client).exists()
    assert [e["reason"] for e in audit_events("integrations.authorisation_refused")] == ["no_code"]


def test_pkce_sends_the_challenge_and_the_verifier(tiktok_fake, make_link):
    from dataclasses import replace

    from privet.integrations.tiktok.connector import TIKTOK

    original = TIKTOK.flows
    flows = {**original, "account": replace(original["account"], pkce=True)}
    object.__setattr__(TIKTOK, "flows", flows)  # a frozen dataclass: the flow uses PKCE here
    try:
        link = make_link(flow="account")
        journey = authorise(link, browser=Browser())
        sent = query_of(journey.platform_url)
        assert sent["code_challenge_method"] == "S256" and len(sent["code_challenge"]) == 43
        [token] = tiktok_fake.calls("tt_user/oauth2/token/")
        assert len(token.body["code_verifier"]) > 43
    finally:
        object.__setattr__(TIKTOK, "flows", original)
