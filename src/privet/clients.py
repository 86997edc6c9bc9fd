"""Who is asking: the client's address, and the pseudonym every rate limit and lockout keys on.

Behind reverse proxies of our own (``PRIVET_BEHIND_PROXY=N``, the number of them) the WSGI
server sees the nearest proxy, and each proxy appends the address it saw to ``X-Forwarded-For``.
The client is the N-th entry from the right: the one our outermost proxy appended, which the
client cannot forge (entries to its left can be). With fewer entries than proxies the request
did not come through all of them, and ``REMOTE_ADDR`` is all we trust; without a proxy, too.

Every address is normalised before it is counted or pseudonymised (:func:`normalise_ip`): a
proxy that appends a port (``203.0.113.5:51234``, ``[2001:db8::1]:443``) or pads with zeros
(``010.000.000.001``) must not turn one client into a new one on every request, which would keep
lockout and rate limits from ever triggering. A value that is no address at all (a misconfigured
proxy) counts as ``REMOTE_ADDR``, the proxy itself: all such requests share one count.

One IPv6 client is one /64: a home or office line gets at least a /64 and picks addresses in it
at will (privacy extensions change them daily), so limits count the /64, never the address.
"""

from __future__ import annotations

import ipaddress
import re

from django.conf import settings
from django.http import HttpRequest

from privet.pseudonyms import ip_ref

IPV6_CLIENT_PREFIX = 64
UNKNOWN_ADDRESS = "0.0.0.0"  # noqa: S104 (a value, not a bind address)
_PADDED_IPV4 = re.compile(r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$")
_PORT = re.compile(r"^\d{1,5}$")


def normalise_ip(value: str) -> str | None:
    """The address in ``value`` in its one canonical form, or ``None`` if there is none.

    Accepts what proxies write: a port after an IPv4 address (``203.0.113.5:51234``) or after a
    bracketed IPv6 one (``[2001:db8::1]:443``), quotes (RFC 7239 style), a zone (``fe80::1%eth0``),
    upper-case hex and zero-padded decimal octets (``010.000.000.001`` is ``10.0.0.1``: padding,
    never octal). Returns e.g. ``203.0.113.5`` or ``2001:db8::1``.
    """
    host = value.strip().strip('"').strip()
    if host.startswith("["):
        end = host.find("]")
        rest = host[end + 1:] if end > 0 else "?"
        if rest and not (rest.startswith(":") and _PORT.match(rest[1:])):
            return None
        host = host[1:end]
    elif host.count(":") == 1:  # IPv4 with a port; a bare IPv6 address has at least two colons
        host, port = host.split(":")
        if not _PORT.match(port):
            return None
    host = host.split("%", 1)[0]
    if padded := _PADDED_IPV4.match(host):
        octets = [int(o) for o in padded.groups()]
        if max(octets) > 255:
            return None
        host = ".".join(map(str, octets))
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The client's address, normalised (see the module's docstring for whom we trust)."""
    hops = int(settings.PRIVET_BEHIND_PROXY)
    if hops:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if len(forwarded) >= hops and (address := normalise_ip(forwarded[-hops])):
            return address
    return normalise_ip(request.META.get("REMOTE_ADDR") or "") or UNKNOWN_ADDRESS


def client_network(ip: str) -> str:
    """What counts as one client: an IPv4 address as it is, an IPv6 address as its /64
    (``2001:db8:1:2::/64``); an IPv4-mapped IPv6 address as the IPv4 one. Anything that is
    not an address is returned as it came (:func:`client_ip` never gives one)."""
    try:
        address = ipaddress.ip_address(normalise_ip(ip) or "")
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
