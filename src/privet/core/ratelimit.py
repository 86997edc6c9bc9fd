"""Privet's one rate limiter: fixed windows per client, counted in a Django cache.

Every limit is a *bucket* (``"enquiry"``, ``"altcha"``, ``"consent"``): a *client* may make
``limit`` requests in it per ``window`` seconds, counted in the cache named ``cache``. The first
request opens the window; the window's number is part of the key, so a window ends on time
whatever the cache does with expiry. The client is an opaque string, in practice the keyed
pseudonym of the IP address (:func:`privet.clients.client_ref`), never the address::

    from privet.clients import client_ref
    from privet.core import ratelimit

    if not ratelimit.allow("rights", client_ref(request), limit=5, window=3600):
        return too_many_requests()

The callers own their limits and settings: the contact form and its ALTCHA challenges
(:mod:`privet.enquiries.throttle`, the shared ``default`` cache) and the consent API
(:mod:`privet.consent.middleware`, ``PRIVET_CONSENT_RATE_CACHE``: per process by default).

Cost: one cache call for a window's first request, two for the others. On Redis, memcached and
the per-process cache the count is an atomic ``incr``; on a cache without one (the database
cache) it is a read and a write, so a burst of simultaneous requests may count a little low.
"""

from __future__ import annotations

import time

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache


def _key(bucket: str, client: str, window: int, now: float) -> str:
    return f"privet:ratelimit:{bucket}:{client}:{int(now) // window}"


def allow(bucket: str, client: str, *, limit: int, window: int, cache: str = "default") -> bool:
    """Count one request of ``client`` in ``bucket``; ``False`` once it is over ``limit`` in
    the current ``window`` (seconds). A ``limit`` of 0 refuses everything; a caller whose
    setting means "no limit" simply does not call this."""
    store = caches[cache]
    key = _key(bucket, client, window, time.time())
    if store.add(key, 1, timeout=window):
        return limit >= 1
    if type(store).incr is BaseCache.incr:
        # No atomic increment: BaseCache.incr would read and write too, and its write would
        # reset the expiry to the cache's default timeout, which can end the count early.
        count = (store.get(key) or 0) + 1
        store.set(key, count, timeout=window)
        return count <= limit
    try:
        count = store.incr(key)
    except ValueError:  # expired between add() and incr(): the window's first request
        store.add(key, 1, timeout=window)
        return limit >= 1
    return count <= limit


def used(bucket: str, client: str, *, window: int, cache: str = "default") -> int:
    """How many requests ``client`` has made in ``bucket`` in the current window (one cache
    read; counting nothing)."""
    return caches[cache].get(_key(bucket, client, window, time.time())) or 0
