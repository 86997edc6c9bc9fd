"""When the platform cannot be reached, and when a call names another client's grant."""

from __future__ import annotations

import pytest

from privet.integrations import http, services
from privet.integrations.connectors import TokenSet
from privet.integrations.errors import Refused, Transient
from privet.integrations.models import Grant, GrantEvent, OutboundCall
from privet.integrations.tiktok.connector import TIKTOK

from ...tests.conftest import audit_events

pytestmark = pytest.mark.django_db


def test_disconnect_ends_the_grant_when_the_platform_is_unreachable(tiktok_fake, account_grant):
    tiktok_fake.stop()  # nothing answers on its port any more: connection refused
    grant = services.disconnect(grant=account_grant, actor="test", purge_now=True)
    assert (grant.status, grant.access_token, grant.refresh_token) == ("revoked", "", "")
    entry = GrantEvent.objects.for_client(grant.client).filter(kind="revoked").get()
    assert entry.details == {"reason": "platform_unreachable"}


def test_an_unreachable_platform_is_a_transient_error_retried_then_reported(tiktok_fake,
                                                                          account_grant):
    tiktok_fake.stop()
    with pytest.raises(Transient):
        http.call(account_grant.client, TIKTOK, "account.profile", grant=account_grant,
                  params={"business_id": account_grant.account_id})
    [row] = OutboundCall.objects.for_client(account_grant.client).filter(error="Transient")
    assert row.attempts > 1


def test_an_app_call_carrying_another_clients_grant_is_refused(tiktok_fake, account_grant,
                                                               make_client):
    other = make_client("Globex", "globex")
    with pytest.raises(Refused) as refused:
        http.call(other, TIKTOK, "advertiser.accounts", grant=account_grant)
    assert refused.value.reason == "no_grant"
    assert [e["reason"] for e in audit_events("integrations.call_refused")] == ["no_grant"]
    assert not tiktok_fake.calls("oauth2/advertiser/get/")


def test_a_token_set_never_shows_its_tokens():
    tokens = TokenSet(access_token="act.secret-value", refresh_token="rft.secret-value",
                      scopes=("user.info.basic",), account_id="open-1")
    assert "secret-value" not in repr(tokens) and "open-1" in repr(tokens)


def test_a_grant_stays_one_per_account_while_live(make_link):
    link = make_link()
    first = services.record_grant(link=link, tokens=TokenSet(
        access_token="act.1", scopes=("user.info.basic",), account_id="open-1"))
    again = services.record_grant(link=make_link(client=link.client), tokens=TokenSet(
        access_token="act.2", scopes=("user.info.basic",), account_id="open-1"))
    assert again.pk == first.pk
    assert Grant.objects.for_client(link.client).count() == 1
