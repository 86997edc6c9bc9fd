"""The grant ledger: who authorised what, and every change after, kept as written."""

from __future__ import annotations

import json

import pytest
from django.db import IntegrityError, transaction

from privet.audit.models import AuditEvent
from privet.integrations import grants, services
from privet.integrations.connectors import TokenSet
from privet.integrations.models import Grant, GrantEvent, PlatformAccount

pytestmark = pytest.mark.django_db


def given(client, scopes=("user.info.basic", "video.list"), account="open-1"):
    link = services.create_link(client=client, connector_id="tiktok_business", flow_id="account",
                                actor="test")
    return services.record_grant(link=link, tokens=TokenSet(
        access_token="act.1", refresh_token="rft.1", scopes=scopes, account_id=account,
        expires_in=86400))


def test_a_grant_records_the_scopes_the_platform_reported_and_who_gave_it():
    client = services.create_client(name="Alpha", actor="test")
    grant = given(client, scopes=("video.list", "user.info.basic"))
    [entry] = GrantEvent.objects.for_client(client)
    assert (entry.kind, entry.actor, entry.scopes) == ("granted", "owner",
                                                       ["user.info.basic", "video.list"])
    event = AuditEvent.objects.filter(action="integrations.granted").get()
    details = json.loads(event.details)
    assert details["scopes"] == grant.scopes and details["client"] == "alpha"


def test_authorising_the_same_account_again_records_the_scope_change():
    client = services.create_client(name="Alpha", actor="test")
    first = given(client)
    again = given(client, scopes=("user.info.basic",))
    assert again.pk == first.pk and again.scopes == ["user.info.basic"]
    kinds = list(GrantEvent.objects.for_client(client).values_list("kind", flat=True))
    assert kinds == ["granted", "scopes_changed"]


def test_the_ledger_refuses_an_update():
    client = services.create_client(name="Alpha", actor="test")
    given(client)
    with pytest.raises(IntegrityError), transaction.atomic():
        GrantEvent.objects.for_client(client).update(actor="someone else")


def test_ending_a_grant_wipes_its_tokens_and_starts_the_clock_on_its_data():
    client = services.create_client(name="Alpha", actor="test")
    grant = given(client)
    services.store_account(grant, kind="tiktok_account", contract_name="business_account",
                           item={"username": "shop", "display_name": "Shop", "email": "x@y.z"},
                           external_id="open-1")
    grants.deauthorise(grant, by_owner=True, actor="owner", reason="webhook")
    grant = Grant.objects.for_client(client).get()
    assert (grant.status, grant.access_token, grant.refresh_token) == ("revoked", "", "")
    account = PlatformAccount.objects.for_client(client).get()
    assert account.revoked_at == grant.revoked_at
    assert "email" not in account.details  # outside the contract: never stored
    assert GrantEvent.objects.for_client(client).last().kind == "deauthorised"


def test_purge_deletes_the_clients_integration_data_and_says_how_much():
    alpha = services.create_client(name="Alpha", actor="test")
    beta = services.create_client(name="Beta", actor="test")
    for client in (alpha, beta):
        services.store_account(given(client), kind="tiktok_account",
                               contract_name="business_account", item={"username": "u"},
                               external_id="open-1")
    counts = services.purge(client=alpha, actor="test")
    assert counts == {"integrations.PlatformAccount": 1}
    assert not PlatformAccount.objects.for_client(alpha).exists()
    assert PlatformAccount.objects.for_client(beta).count() == 1
    assert GrantEvent.objects.for_client(alpha).last().kind == "purged"


@pytest.mark.parametrize("kwargs, message", [
    ({"flow_id": "pages"}, "no authorisation 'pages'"),
    ({"flow_id": "account", "scopes": ["user.info.basic", "ads.manage"]}, "may not request ads.manage"),
    ({"flow_id": "account", "scopes": []}, "at least one scope"),
    ({"flow_id": "account", "language": "de"}, "Unknown language"),
])
def test_a_link_asks_only_for_what_the_connector_may_request(kwargs, message):
    client = services.create_client(name="Alpha", actor="test")
    with pytest.raises(services.InvalidLink, match=message):
        services.create_link(client=client, connector_id="tiktok_business", actor="test", **kwargs)


def test_client_ids_are_unique_and_readable():
    services.create_client(name="Kwiaciarnia Róża", actor="test")
    with pytest.raises(services.InvalidClient, match="exists already"):
        services.create_client(name="Other", slug="kwiaciarnia-roza", actor="test")
    with pytest.raises(services.InvalidClient, match="name"):
        services.create_client(name="  ", actor="test")
