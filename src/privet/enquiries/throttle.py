"""Rate limits per pseudonymised client, kept in Django's shared cache.

A fixed window per client: the first request opens a window of ``PRIVET_ENQUIRY_RATE_WINDOW``
seconds, and at most ``PRIVET_ENQUIRY_RATE_LIMIT`` form submissions count in it. The key holds
only the keyed pseudonym of the IP address (:func:`privet.pseudonyms.ip_ref`), never the address.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from privet.clients import client_ref

# The ALTCHA challenge endpoint is cheaper per request; a page that is reloaded often still fits.
CHALLENGES_PER_SUBMISSION = 6


def hit(bucket: str, client: str, *, limit: int, window: int) -> bool:
    """Count one request of ``client`` in ``bucket``; ``False`` when it is over ``limit``.

    The window's number is part of the key, so a window ends on time whatever the cache does
    with expiry. ``incr`` is atomic on Redis; on the database cache it is a read and a write,
    so a burst of simultaneous requests may count a little low (each still solved a
    proof-of-work), and it resets the expiry, which ``touch`` puts back.
    """
    key = f"privet:throttle:{bucket}:{client}:{int(time.time()) // window}"
    if cache.add(key, 1, timeout=window):
        return limit >= 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr(): the window's first request
        cache.add(key, 1, timeout=window)
        return limit >= 1
    cache.touch(key, timeout=window)
    return count <= limit


def submission_allowed(client: str) -> bool:
    """Count one contact-form submission; ``False`` once the client is over the limit."""
    return hit("enquiry", client, limit=settings.PRIVET_ENQUIRY_RATE_LIMIT,
               window=settings.PRIVET_ENQUIRY_RATE_WINDOW)


def challenge_allowed(request: HttpRequest) -> bool:
    """ALTCHA_CHALLENGE_ENDPOINT_RATELIMIT: how many fresh challenges one client may fetch."""
    return hit("altcha", client_ref(request),
               limit=settings.PRIVET_ENQUIRY_RATE_LIMIT * CHALLENGES_PER_SUBMISSION,
               window=settings.PRIVET_ENQUIRY_RATE_WINDOW)


def retry_after_minutes() -> int:
    return max(1, settings.PRIVET_ENQUIRY_RATE_WINDOW // 60)
