"""The one rate limiter (privet.core.ratelimit), and the two public endpoints that count in it."""

import json
import secrets

import pytest
from django.core.cache import caches
from django.test import RequestFactory
from freezegun import freeze_time

from privet.clients import client_ref
from privet.core import ratelimit

pytestmark = pytest.mark.django_db

CLIENT = "c0ffee" * 4


# "default" is the database cache in the tests (no atomic incr: a read and a write), "consent"
# a per-process cache (an atomic incr): the limiter's two paths.
@pytest.fixture(params=["default", "consent"])
def cache(request) -> str:
    caches[request.param].clear()
    return request.param


def test_a_client_may_make_limit_requests_per_window(cache):
    with freeze_time("2026-11-25 12:00:00") as clock:
        allowed = [ratelimit.allow("form", CLIENT, limit=3, window=60, cache=cache) for _ in range(5)]
        assert allowed == [True, True, True, False, False]
        assert ratelimit.used("form", CLIENT, window=60, cache=cache) == 5
        # Another client, or another bucket of the same client, counts on its own.
        assert ratelimit.allow("form", "someone-else", limit=3, window=60, cache=cache)
        assert ratelimit.allow("other", CLIENT, limit=3, window=60, cache=cache)
        clock.tick(60)  # the next window starts afresh
        assert ratelimit.used("form", CLIENT, window=60, cache=cache) == 0
        assert ratelimit.allow("form", CLIENT, limit=3, window=60, cache=cache)


def test_a_limit_of_zero_refuses_even_the_first_request(cache):
    assert not ratelimit.allow("form", CLIENT, limit=0, window=60, cache=cache)


def test_without_an_atomic_incr_the_count_still_lasts_the_whole_window(settings):
    """The database cache's generic incr() rewrites the entry with the cache's default timeout
    (300 s): a 600 s window would lose its count after five minutes. The limiter writes the
    window's own timeout instead."""
    caches["default"].clear()
    assert caches["default"].default_timeout < 600
    with freeze_time("2026-11-25 12:00:00") as clock:
        assert ratelimit.allow("form", CLIENT, limit=2, window=600)
        clock.tick(10)
        assert ratelimit.allow("form", CLIENT, limit=2, window=600)
        clock.tick(400)  # 410 s into the window: still the same window
        assert not ratelimit.allow("form", CLIENT, limit=2, window=600)


def consent_body(policy) -> str:
    return json.dumps({"site": "softcode", "visitor": secrets.token_hex(16),
                       "choices": {"analytics": True}, "policy": policy.content_hash,
                       "method": "custom", "gpc": False, "banner": "1", "lang": "en"})


@freeze_time("2026-11-25 12:00:00", tick=True)
def test_the_contact_form_and_the_consent_api_count_in_the_same_limiter(client, published, settings):
    """Both endpoints ask the shared limiter, keyed by the same client pseudonym; with
    PRIVET_CONSENT_RATE_CACHE=default they count side by side in the one shared cache."""
    settings.PRIVET_CONSENT_RATE_CACHE = "default"
    caches["default"].clear()
    ip = "203.0.113.40"
    who = client_ref(RequestFactory().get("/", REMOTE_ADDR=ip))
    response = client.post("/api/consent/receipts", consent_body(published),
                           content_type="application/json", REMOTE_ADDR=ip)
    assert response.status_code == 201
    assert client.post("/contact/", {"name": "Anna"}, REMOTE_ADDR=ip).status_code == 400  # counted
    window = settings.PRIVET_ENQUIRY_RATE_WINDOW
    assert ratelimit.used("consent", who, window=60) == 1
    assert ratelimit.used("enquiry", who, window=window) == 1
    # The consent API's own limit answers from the same counts.
    settings.PRIVET_CONSENT_RATE_LIMIT = 1
    response = client.post("/api/consent/receipts", consent_body(published),
                           content_type="application/json", REMOTE_ADDR=ip)
    assert response.status_code == 429
    assert ratelimit.used("consent", who, window=60) == 2


def test_a_consent_receipt_costs_its_rate_cache_at_most_two_calls(client, published, monkeypatch):
    """The consent API is the hottest write path (see bench/bench_consent.py): the limit costs
    one cache call for a client's first receipt in a minute and two for the others."""
    store = caches["consent"]
    store.clear()
    calls: list[str] = []

    def counted(name, method):
        def call(*args, **kwargs):
            calls.append(name)
            return method(*args, **kwargs)
        return call

    for name in ("add", "incr", "get", "set", "touch"):
        monkeypatch.setattr(store, name, counted(name, getattr(store, name)))
    per_receipt = []
    with freeze_time("2026-11-25 12:00:00", tick=True):
        for _ in range(3):
            calls.clear()
            response = client.post("/api/consent/receipts", consent_body(published),
                                   content_type="application/json")
            assert response.status_code == 201
            per_receipt.append(list(calls))
    assert per_receipt == [["add"], ["add", "incr"], ["add", "incr"]]
