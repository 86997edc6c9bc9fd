"""The outbound client against the TikTok contract fake: what it refuses (recorded three ways),
how it rides out rate limits and outages, refreshes an expired token once, and what a refused
token or a disconnect does to the grant."""

from __future__ import annotations

import pytest

from privet.integrations import services
from privet.integrations.errors import RateLimited, RefreshExpired, Refused, TokenRefused
from privet.integrations.http import call
from privet.integrations.models import Grant, GrantEvent, OutboundCall, PlatformAccount
from privet.integrations.tiktok.connector import TIKTOK
from privet.telemetry.models import CALL_REFUSED
from privet.telemetry.recorder import flush
from privet.telemetry.selectors import security_events

from .conftest import audit_events, authorise


def profile(grant, **kwargs):
    return call(grant.client, TIKTOK, "account.profile", grant=grant,
                params={"business_id": grant.account_id}, **kwargs)


def fresh(grant) -> Grant:
    return Grant.objects.for_client(grant.client).get(pk=grant.pk)


def ledger(grant) -> list[str]:
    return list(GrantEvent.objects.for_client(grant.client).filter(grant=grant)
                .values_list("kind", flat=True))


def assert_refused_and_recorded(client, reason: str, endpoint: str = "account.profile") -> None:
    row = OutboundCall.objects.for_client(client).exclude(refused="").get()
    assert (row.refused, row.endpoint, row.attempts) == (reason, endpoint, 0)
    assert [e["reason"] for e in audit_events("integrations.call_refused")] == [reason]
    flush()
    assert [e.details["reason"] for e in security_events(kind=CALL_REFUSED)] == [reason]


# --- refused before anything leaves -----------------------------------------------------------

def test_a_host_that_is_not_declared_is_refused(account_grant, tiktok_fake, settings):
    settings.PRIVET_TIKTOK_API_BASE = "https://api.example.org/open_api/v1.3/"
    before = len(tiktok_fake.requests)
    with pytest.raises(Refused) as refused:
        profile(account_grant)
    assert refused.value.reason == "host_not_allowed"
    assert len(tiktok_fake.requests) == before
    assert_refused_and_recorded(account_grant.client, "host_not_allowed")


def test_the_loopback_fake_needs_the_setting(account_grant, settings):
    settings.PRIVET_INTEGRATIONS_LOOPBACK = False
    with pytest.raises(Refused):
        profile(account_grant)
    assert_refused_and_recorded(account_grant.client, "host_not_allowed")


def test_an_endpoint_the_connector_does_not_declare_is_refused(account_grant):
    with pytest.raises(Refused) as refused:
        call(account_grant.client, TIKTOK, "business.video.delete", grant=account_grant)
    assert refused.value.reason == "undeclared_endpoint"
    assert_refused_and_recorded(account_grant.client, "undeclared_endpoint", "business.video.delete")


def test_a_scope_the_owner_did_not_grant_is_refused(tiktok_fake, make_link):
    tiktok_fake.grant_only(["video.list"])  # not user.info.basic, which business/get/ needs
    link = make_link()
    assert authorise(link).response.status_code == 200  # the grant stands without a profile
    link.refresh_from_db()
    grant = Grant.objects.for_client(link.client).get(pk=link.grant_id)
    assert grant.scopes == ["video.list"]
    assert not PlatformAccount.objects.for_client(link.client).exists()
    assert not tiktok_fake.calls("business/get/")
    assert_refused_and_recorded(link.client, "scope_not_granted")


def test_a_call_with_another_clients_grant_is_refused(account_grant, make_client, tiktok_fake):
    other = make_client("Piekarnia", "piekarnia")
    before = len(tiktok_fake.requests)
    with pytest.raises(Refused) as refused:
        call(other, TIKTOK, "account.profile", grant=account_grant)
    assert refused.value.reason == "no_grant"
    assert len(tiktok_fake.requests) == before
    assert_refused_and_recorded(other, "no_grant")
    assert OutboundCall.objects.for_client(other).get().grant is None


def test_a_call_without_a_grant_is_refused(tiktok_fake, make_client):
    client = make_client()
    with pytest.raises(Refused) as refused:
        call(client, TIKTOK, "account.profile")
    assert refused.value.reason == "no_grant"
    assert not tiktok_fake.requests
    assert_refused_and_recorded(client, "no_grant")


def test_a_call_with_an_ended_grant_is_refused(account_grant):
    services.disconnect(grant=account_grant, actor="test")
    with pytest.raises(Refused) as refused:
        profile(fresh(account_grant))
    assert refused.value.reason == "grant_not_live"
    assert_refused_and_recorded(account_grant.client, "grant_not_live")


# --- the platform's answers -----------------------------------------------------------------------

@pytest.mark.parametrize("code", [40100, 40132, 61000, 50000, 50002, 51004])
def test_rate_limits_and_outages_are_retried(account_grant, tiktok_fake, code):
    tiktok_fake.fail_next(2, code)
    answer = profile(account_grant)
    assert answer.data["username"]
    row = OutboundCall.objects.for_client(account_grant.client).first()
    assert (row.endpoint, row.attempts, row.platform_code, row.error) == ("account.profile", 3, 0, "")


def test_retries_end(account_grant, tiktok_fake, settings):
    tiktok_fake.fail_next(settings.PRIVET_INTEGRATIONS_RETRY_ATTEMPTS, 40100)
    with pytest.raises(RateLimited):
        profile(account_grant)
    row = OutboundCall.objects.for_client(account_grant.client).first()
    assert (row.attempts, row.platform_code, row.error) == (
        settings.PRIVET_INTEGRATIONS_RETRY_ATTEMPTS, 40100, "RateLimited")
    assert fresh(account_grant).live


def test_an_expired_token_is_refreshed_once_and_the_call_goes_on(account_grant, tiktok_fake):
    old = fresh(account_grant)
    tiktok_fake.expire_access(account_grant.account_id)
    answer = profile(account_grant)
    assert answer.data["username"]
    grant = fresh(account_grant)
    assert grant.live and grant.refreshed_at
    assert grant.access_token != old.access_token.reveal()
    assert grant.refresh_token != old.refresh_token.reveal()  # the new refresh token is kept
    assert ledger(grant) == ["granted", "refreshed"]
    assert len(tiktok_fake.calls("tt_user/oauth2/refresh_token/")) == 1
    assert audit_events("integrations.refreshed")
    profile(grant)  # and the next call uses the new token


def test_an_expired_refresh_token_expires_the_grant(account_grant, tiktok_fake):
    tiktok_fake.expire_access(account_grant.account_id)
    tiktok_fake.expire_refresh(account_grant.account_id)
    with pytest.raises(RefreshExpired):
        profile(account_grant)
    grant = fresh(account_grant)
    assert grant.status == Grant.Status.EXPIRED and not grant.access_token and not grant.refresh_token
    assert ledger(grant) == ["granted", "expired"]
    assert PlatformAccount.objects.for_client(grant.client).get().revoked_at  # the clock started


def test_a_token_the_owner_revoked_deauthorises_the_grant(account_grant, tiktok_fake):
    tiktok_fake.revoke_as_owner(account_grant.account_id)
    with pytest.raises(TokenRefused):
        profile(account_grant)
    grant = fresh(account_grant)
    assert grant.status == Grant.Status.REVOKED and grant.revoked_at
    assert ledger(grant) == ["granted", "deauthorised"]
    assert [e["reason"] for e in audit_events("integrations.deauthorised")] == ["token_refused"]
    assert PlatformAccount.objects.for_client(grant.client).get().revoked_at


# --- disconnect --------------------------------------------------------------------------------------

def test_disconnect_revokes_at_the_platform_and_ends_the_grant(account_grant, tiktok_fake):
    services.disconnect(grant=account_grant, actor="test")
    [revoke] = tiktok_fake.calls("tt_user/oauth2/revoke/")
    assert {"client_id", "client_secret", "access_token"} <= set(revoke.body)
    assert tiktok_fake.live_tokens(account_grant.account_id) == []
    grant = fresh(account_grant)
    assert grant.status == Grant.Status.REVOKED and not grant.access_token
    assert ledger(grant) == ["granted", "revoked"]
    assert [e["reason"] for e in audit_events("integrations.revoked")] == ["revoked_at_platform"]
    assert PlatformAccount.objects.for_client(grant.client).get().revoked_at


def test_disconnect_and_purge_now_deletes_the_accounts(account_grant, tiktok_fake):
    assert PlatformAccount.objects.for_client(account_grant.client).exists()
    services.disconnect(grant=account_grant, actor="test", purge_now=True)
    assert not PlatformAccount.objects.for_client(account_grant.client).exists()
    assert ledger(fresh(account_grant)) == ["granted", "revoked", "purged"]


def test_an_advertiser_grant_is_revoked_at_the_platform(tiktok_fake, make_link):
    link = make_link(flow="advertiser")
    authorise(link)
    link.refresh_from_db()
    grant = Grant.objects.for_client(link.client).get(pk=link.grant_id)
    services.disconnect(grant=grant, actor="test", purge_now=True)
    [revoke] = tiktok_fake.calls("oauth2/revoke_token/")
    assert set(revoke.body) == {"app_id", "secret", "access_token"}
    assert tiktok_fake.live_tokens(grant.account_id) == []
    assert not PlatformAccount.objects.for_client(link.client).exists()


def test_disconnect_ends_the_grant_when_the_platform_cannot_be_reached(account_grant, tiktok_fake,
                                                                       settings):
    tiktok_fake.fail_next(settings.PRIVET_INTEGRATIONS_RETRY_ATTEMPTS, 50000)
    services.disconnect(grant=account_grant, actor="test")
    assert fresh(account_grant).status == Grant.Status.REVOKED
    assert [e["reason"] for e in audit_events("integrations.revoked")] == ["platform_unreachable"]
