"""No code, token or app secret of the platform ever reaches a log line, a call record, an audit
event, the grant ledger or the technical log, whatever happens to the grant."""

from __future__ import annotations

import copy
import logging
from urllib.parse import quote

import pytest

from privet.audit.models import AuditEvent
from privet.core.tests.logcheck import leaks_in
from privet.integrations import services
from privet.integrations.errors import PrivetError
from privet.integrations.http import call
from privet.integrations.models import Grant, GrantEvent, OutboundCall
from privet.integrations.tests.conftest import authorise
from privet.integrations.tiktok.connector import TIKTOK
from privet.telemetry.models import TechnicalRecord
from privet.telemetry.recorder import flush


def grant_of(link) -> Grant:
    link.refresh_from_db()
    return Grant.objects.for_client(link.client).get(pk=link.grant_id)


def profile(grant):
    return call(grant.client, TIKTOK, "account.profile", grant=grant,
                params={"business_id": grant.account_id})


def test_no_token_of_the_platform_is_written_anywhere(tiktok_fake, make_link, make_client, caplog):
    caplog.set_level(logging.DEBUG)
    # An account grant: refreshed, throttled, refused, revoked by its owner.
    account = grant_of(_authorised(make_link(client=make_client("Kawiarnia", "kawiarnia"),
                                             flow="account")))
    tiktok_fake.expire_access(account.account_id)
    profile(account)
    tiktok_fake.fail_next(2, 40100)
    profile(Grant.objects.for_client(account.client).get(pk=account.pk))
    tiktok_fake.revoke_as_owner(account.account_id)
    with pytest.raises(PrivetError):
        profile(Grant.objects.for_client(account.client).get(pk=account.pk))
    # Another account grant: its refresh token expired, then the link replayed.
    link = make_link(client=make_client("Piekarnia", "piekarnia"), flow="account")
    journey = authorise(link)
    second = grant_of(link)
    tiktok_fake.expire_access(second.account_id)
    tiktok_fake.expire_refresh(second.account_id)
    with pytest.raises(PrivetError):
        profile(second)
    from django.test import Client as Browser

    assert Browser().get(journey.callback).status_code == 400
    # An advertiser grant, disconnected and purged.
    advertiser = grant_of(_authorised(make_link(client=make_client("Agencja", "agencja"),
                                                flow="advertiser")))
    services.disconnect(grant=advertiser, actor="test", purge_now=True)
    flush()

    secrets = [*tiktok_fake.issued_tokens(), tiktok_fake.secret]
    assert len(secrets) >= 10
    states = {r.params["state"] for r in tiktok_fake.requests if "state" in r.params}
    lines = [logged(r) for r in caplog.records]
    assert any("/integrations/callback/" in line for line in lines)  # the refused replay
    assert not [line for line in lines for state in states if quote(state) in line or state in line]
    written = "\n".join([
        *lines, *(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records),
        *(repr(row) for row in OutboundCall.all_clients.values()),
        *(f"{e.action} {e.details} {e.object_id}" for e in AuditEvent.objects.all()),
        *(repr(row) for row in GrantEvent.all_clients.values("kind", "actor", "details", "scopes")),
        *(repr(row) for row in TechnicalRecord.objects.values()),
    ])
    assert written.count("\n") > 20  # there is something to look at
    leaked = [s[:6] for s in secrets if s in written]
    assert leaked == []


@pytest.mark.parametrize("flow", ["account", "advertiser"])
def test_the_log_check_knows_the_fakes_tokens(tiktok_fake, make_link, flow):
    grant_of(_authorised(make_link(flow=flow)))
    tokens = [t for t in tiktok_fake.issued_tokens() if t.startswith(("act.", "rft."))
              or len(t) == 40]
    assert tokens
    for token in tokens:
        assert leaks_in(f"sent {{'Access-Token': '{token}'}}"), token[:6]
        assert leaks_in(f'{{"access_token": "{token}"}}'), token[:6]
        if flow == "account":
            assert leaks_in(f"refreshing {token} now"), token[:6]


def logged(record: logging.LogRecord) -> str:
    """The line production writes for ``record`` (redacted, JSON)."""
    from privet.core.applog import formatter
    from privet.core.redact import RedactFilter

    record = copy.copy(record)
    RedactFilter().filter(record)
    return formatter("json").format(record)


def _authorised(link):
    assert authorise(link).response.status_code == 200
    return link
