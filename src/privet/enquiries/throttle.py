"""The contact form's rate limits, counted by the shared limiter (:mod:`privet.core.ratelimit`).

A client (the keyed pseudonym of its IP address, :func:`privet.clients.client_ref`) may send
``PRIVET_ENQUIRY_RATE_LIMIT`` forms per ``PRIVET_ENQUIRY_RATE_WINDOW`` seconds, and fetch six
times as many ALTCHA challenges. Both count in the ``default`` cache, which every web process
shares.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from privet.clients import client_ref
from privet.core import ratelimit
from privet.telemetry.services import record_security_event

# The ALTCHA challenge endpoint is cheaper per request; a page that is reloaded often still fits.
CHALLENGES_PER_SUBMISSION = 6


def submission_allowed(client: str) -> bool:
    """Count one contact-form submission; ``False`` once the client is over the limit."""
    return ratelimit.allow("enquiry", client, limit=settings.PRIVET_ENQUIRY_RATE_LIMIT,
                           window=settings.PRIVET_ENQUIRY_RATE_WINDOW)


def challenge_allowed(request: HttpRequest) -> bool:
    """ALTCHA_CHALLENGE_ENDPOINT_RATELIMIT: how many fresh challenges one client may fetch."""
    allowed = ratelimit.allow("altcha", client_ref(request),
                              limit=settings.PRIVET_ENQUIRY_RATE_LIMIT * CHALLENGES_PER_SUBMISSION,
                              window=settings.PRIVET_ENQUIRY_RATE_WINDOW)
    if not allowed:
        record_security_event("rate_limited", request, limit="altcha")
    return allowed


def retry_after_minutes() -> int:
    return max(1, settings.PRIVET_ENQUIRY_RATE_WINDOW // 60)
