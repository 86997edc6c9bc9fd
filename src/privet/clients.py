"""Who is asking: the client's address, and the pseudonym every rate limit and lockout keys on.

Behind reverse proxies of our own (``PRIVET_BEHIND_PROXY=N``, the number of them) the WSGI
server sees the nearest proxy, and each proxy appends the address it saw to ``X-Forwarded-For``.
The client is the N-th entry from the right: the one our outermost proxy appended, which the
client cannot forge (entries to its left can be). With fewer entries than proxies the request
did not come through all of them, and ``REMOTE_ADDR`` is all we trust; without a proxy, too.

One IPv6 client is one /64: a home or office line gets at least a /64 and picks addresses in it
at will (privacy extensions change them daily), so limits count the /64, never the address.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

from privet.pseudonyms import ip_ref

IPV6_CLIENT_PREFIX = 64


def client_ip(request: HttpRequest) -> str:
    hops = int(settings.PRIVET_BEHIND_PROXY)
    if hops:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= hops and forwarded[-hops]:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 (a value, not a bind address)


def client_network(ip: str) -> str:
    """What counts as one client: an IPv4 address as it is, an IPv6 address as its /64
    (``2001:db8:1:2::/64``); an IPv4-mapped IPv6 address as the IPv4 one. Anything that is
    not an address (a broken header) is returned as it came."""
    try:
        address = ipaddress.ip_address(ip.strip().split("%", 1)[0])  # without a zone (fe80::1%eth0)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False))
    return str(address)


def client_ref(request: HttpRequest) -> str:
    """The keyed pseudonym of the client (its IPv4 address or IPv6 /64; never the address)."""
    return ip_ref(client_network(client_ip(request)))
