"""Who is asking: the client's address, and the pseudonym every rate limit and lockout keys on.

Behind reverse proxies of our own (``PRIVET_BEHIND_PROXY=N``, the number of them) the WSGI
server sees the nearest proxy, and each proxy appends the address it saw to ``X-Forwarded-For``.
The client is the N-th entry from the right: the one our outermost proxy appended, which the
client cannot forge (entries to its left can be). With fewer entries than proxies the request
did not come through all of them, and ``REMOTE_ADDR`` is all we trust; without a proxy, too.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from privet.pseudonyms import ip_ref


def client_ip(request: HttpRequest) -> str:
    hops = int(settings.PRIVET_BEHIND_PROXY)
    if hops:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= hops and forwarded[-hops]:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 (a value, not a bind address)


def client_ref(request: HttpRequest) -> str:
    """The keyed pseudonym of the client's address (never the address itself)."""
    return ip_ref(client_ip(request))
