"""The rights portal's and API's rate limit, counted by the shared limiter
(:mod:`privet.core.ratelimit`): a client (the keyed pseudonym of its IP address) may send
``PRIVET_RIGHTS_RATE_LIMIT`` requests or new-link asks per ``PRIVET_RIGHTS_RATE_WINDOW`` seconds."""

from __future__ import annotations

from django.conf import settings

from privet.core import ratelimit


def allowed(client: str) -> bool:
    """Count one submission; ``False`` once the client is over the limit."""
    return ratelimit.allow("rights", client, limit=settings.PRIVET_RIGHTS_RATE_LIMIT,
                           window=settings.PRIVET_RIGHTS_RATE_WINDOW)


def retry_after_seconds() -> int:
    return settings.PRIVET_RIGHTS_RATE_WINDOW


def retry_after_minutes() -> int:
    return max(1, settings.PRIVET_RIGHTS_RATE_WINDOW // 60)
