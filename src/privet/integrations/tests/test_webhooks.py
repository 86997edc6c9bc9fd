"""Webhooks: a forged, late, replayed, malformed or oversized delivery is refused with a clear
4xx, a security event and nothing stored; the owner's deauthorisation on TikTok ends the grant
once, however often it is delivered."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from privet.audit.models import AuditEvent
from privet.integrations.models import Grant, GrantEvent, WebhookDelivery
from privet.telemetry.models import TechnicalRecord
from privet.telemetry.recorder import flush

from . import factories

pytestmark = pytest.mark.django_db

URL = "/integrations/webhooks/tiktok_business/"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def body(event: str = "authorization.removed", open_id: str = "open-id-1", **extra) -> bytes:
    payload = {"client_key": "app-1", "event": event, "create_time": int(time.time()),
               "user_openid": open_id, "content": json.dumps({"reason": 1}), **extra}
    return json.dumps(payload).encode()


def signature(raw: bytes, *, t: int | None = None, secret: str = factories.APP_SECRET) -> str:
    t = int(time.time()) if t is None else t
    s = hmac.new(secret.encode(), f"{t}.".encode() + raw, hashlib.sha256).hexdigest()
    return f"t={t},s={s}"


def deliver(client, raw: bytes, sig: str | None = None, url: str = URL):
    headers = {} if sig is None else {"HTTP_TIKTOK_SIGNATURE": sig}
    return client.generic("POST", url, raw, content_type="application/json", **headers)


def refusals() -> list[dict]:
    flush()
    return [r.details for r in TechnicalRecord.objects.filter(kind="webhook_refused").order_by("id")]


def stored() -> tuple:
    """Everything a delivery could change (a refusal's own audit event aside: it records the
    refusal, nothing of the delivery)."""
    return (WebhookDelivery.objects.count(), GrantEvent.all_clients.count(),
            AuditEvent.objects.exclude(action="integrations.webhook_refused").count(),
            sorted(Grant.all_clients.values_list("pk", "status")))


@pytest.fixture
def acme():
    factories.app()
    owner = factories.client("acme")
    return owner, factories.grant(owner, account_id="open-id-1", username="anna.tt")


def test_the_owners_deauthorisation_ends_the_grant_once_however_often_delivered(client, acme):
    owner, grant = acme
    other = factories.client("other")
    others = factories.grant(other, account_id="open-id-2")
    raw = body()
    sig = signature(raw)

    response = deliver(client, raw, sig)
    assert response.status_code == 200
    assert response.json() == {"status": "accepted", "outcome": "deauthorised"}
    grant.refresh_from_db()
    assert grant.status == Grant.Status.REVOKED and not grant.access_token
    assert factories.accounts(owner).get().revoked_at is not None  # the data's clock started
    [entry] = GrantEvent.objects.for_client(owner).filter(kind=GrantEvent.Kind.DEAUTHORISED)
    assert entry.actor == "system:webhook"
    [delivery] = WebhookDelivery.objects.all()
    assert delivery.client == owner and delivery.kind == "authorization.removed"
    others.refresh_from_db()
    assert others.live  # another account's grant is untouched

    # The same delivery again within the window: a replay.
    assert deliver(client, raw, sig).status_code == 409
    assert refusals() == [{"reason": "replayed"}]
    # Once the cache forgot it (a restart), a redelivery is answered and does nothing twice.
    cache.clear()
    again = deliver(client, raw, sig)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert WebhookDelivery.objects.count() == 1
    assert GrantEvent.objects.for_client(owner).filter(
        kind=GrantEvent.Kind.DEAUTHORISED).count() == 1


def test_other_events_are_recorded_and_not_processed(client, acme):
    _owner, grant = acme
    response = deliver(client, raw := body("comment.update"), signature(raw))
    assert response.status_code == 200 and response.json()["outcome"] == "ignored"
    grant.refresh_from_db()
    assert grant.live
    assert WebhookDelivery.objects.get().outcome == "ignored"


def refused(client, status: int, code: str, raw: bytes, sig: str | None, url: str = URL):
    before = stored()
    response = deliver(client, raw, sig, url)
    assert response.status_code == status, response.content
    assert response.json()["error"] == code and response.json()["detail"]
    assert stored() == before
    assert refusals()[-1] == {"reason": code}
    return response


def test_each_refusal_is_a_clear_4xx_a_security_event_and_nothing_stored(client, acme, settings):
    raw = body()
    late = int(time.time()) - settings.PRIVET_WEBHOOK_WINDOW_SECONDS - 5
    refused(client, 404, "unknown_connector", raw, signature(raw), "/integrations/webhooks/nope/")
    refused(client, 400, "bad_signature_header", raw, None)
    refused(client, 400, "bad_signature_header", raw, "t=1,s=zz")
    refused(client, 401, "bad_signature", raw, signature(raw, secret="not the app secret"))
    refused(client, 401, "bad_signature", raw + b" ", signature(raw))
    refused(client, 401, "late", raw, signature(raw, t=late))
    refused(client, 401, "late", raw, signature(raw, t=int(time.time()) + 3600))
    for junk in (b"not json", b"[]", json.dumps({"event": "x"}).encode(),
                 body(content="not json"), body(create_time="yesterday")):
        refused(client, 400, "malformed", junk, signature(junk))
    settings.PRIVET_WEBHOOK_MAX_BYTES = 100
    refused(client, 413, "too_large", b"{" + b" " * 200 + b"}", signature(b"{}"))
    assert len(refusals()) == 13
    # A GET is not a delivery.
    assert client.get(URL).status_code == 405


def test_without_the_app_configured_nothing_can_be_verified(client):
    raw = body()
    refused(client, 404, "no_app", raw, signature(raw))


def test_an_oversized_body_is_refused_by_what_is_read_too(acme, settings):
    """A declared length that lies (a proxy passed it through) still cannot make the endpoint
    read past the limit."""
    from django.test import RequestFactory

    from privet.integrations import webhooks

    settings.PRIVET_WEBHOOK_MAX_BYTES = 100
    request = RequestFactory().generic("POST", URL, b"{" + b" " * 300 + b"}",
                                       content_type="application/json")
    request.META["CONTENT_LENGTH"] = "10"
    request._stream = request.environ["wsgi.input"]  # read the body as it comes, not 10 bytes
    response = webhooks.receive(request, "tiktok_business")
    assert response.status_code == 413
    assert WebhookDelivery.objects.count() == 0


fuzz = hypothesis_settings(max_examples=120, deadline=None,
                           suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                  HealthCheck.too_slow])


def _mutate(raw: bytes, sig: str, data) -> tuple[bytes, str]:
    """One valid signed delivery, then one change: a byte of the body or of the header
    flipped, cut, or added."""
    where = data.draw(st.sampled_from(["body", "header"]))
    text = bytearray(raw if where == "body" else sig.encode())
    i = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
    how = data.draw(st.sampled_from(["flip", "cut", "add"]))
    if how == "flip":
        text[i] = data.draw(st.integers(min_value=0, max_value=255).filter(lambda b: b != text[i]))
    elif how == "cut":
        del text[i]
    else:
        text.insert(i, data.draw(st.integers(min_value=0, max_value=255)))
    if where == "body":
        return bytes(text), sig
    return raw, bytes(text).decode("latin-1")


@fuzz
@given(data=st.data())
def test_random_and_mutated_deliveries_never_succeed_nor_store(client, acme, data):
    raw = body()
    sig = signature(raw)
    kind = data.draw(st.sampled_from(["mutated", "random"]))
    if kind == "mutated":
        raw, sig = _mutate(raw, sig, data)
    else:
        raw = data.draw(st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
        sig = data.draw(st.none() | st.text(max_size=120) | st.builds(
            lambda t, s: f"t={t},s={s}", st.integers(0, 2**40), st.text("0123456789abcdef",
                                                                          min_size=64,
                                                                          max_size=64)))
    before = stored()
    try:
        response = deliver(client, raw, sig)
    except (UnicodeError, ValueError):  # a header the test client itself cannot send
        return
    assert 400 <= response.status_code < 500, (raw[:60], sig)
    assert response.json()["error"]
    assert stored() == before


def test_a_flood_of_forged_deliveries_gets_429_and_no_more_audit_events(client, acme, settings):
    settings.PRIVET_WEBHOOK_REFUSALS_PER_MINUTE = 3
    raw = body()
    forged = signature(raw, secret="not the app secret")
    answers = [deliver(client, raw, forged).status_code for _ in range(6)]
    assert answers == [401, 401, 401, 429, 429, 429]
    assert AuditEvent.objects.filter(action="integrations.webhook_refused").count() == 3
    assert len(refusals()) == 6  # the security events, every one
