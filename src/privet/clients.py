"""Who is asking: the client's address, and the pseudonym every rate limit and lockout keys on.

Behind a reverse proxy (``PRIVET_BEHIND_PROXY=1``) the WSGI server sees the proxy, so the
client is the last address in ``X-Forwarded-For``: the one our own proxy appended, which the
client cannot forge (entries to its left can be). Without a proxy, ``REMOTE_ADDR``.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from privet.pseudonyms import ip_ref


def client_ip(request: HttpRequest) -> str:
    if settings.PRIVET_BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if last := forwarded.split(",")[-1].strip():
            return last
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 (a value, not a bind address)


def client_ref(request: HttpRequest) -> str:
    """The keyed pseudonym of the client's address (never the address itself)."""
    return ip_ref(client_ip(request))
