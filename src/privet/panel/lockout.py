"""How django-axes sees a client, and what happens when it locks one out.

Axes keys attempts by username and IP address and stores both. Privet keeps no raw IP address
at rest (the policy declares IPs as "stored pseudonymised"), so axes is handed the keyed pseudonym
:func:`privet.pseudonyms.ip_ref` (64 bits) written as an IPv6 address in the discard-only prefix
``100::/64`` (RFC 6666): it fits axes' ``GenericIPAddressField`` (``inet`` on PostgreSQL), is
stable for one client so lockout by username + IP works, and never routes anywhere.
"""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest

from privet.clients import client_ref

PSEUDONYM_PREFIX = int(ipaddress.IPv6Address("100::"))


def client_ip_pseudonym(request: HttpRequest) -> str:
    """``AXES_CLIENT_IP_CALLABLE``: the client's IP pseudonym shaped as a 100::/64 address."""
    return str(ipaddress.IPv6Address(PSEUDONYM_PREFIX | int(client_ref(request), 16)))


def on_user_locked_out(sender, request: HttpRequest, username: str | None, **kwargs) -> None:
    from .services import record_lockout

    record_lockout(request=request, username=username or "")


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: the panel's lockout page (HTTP 429), in the panel's look."""
    from django.conf import settings
    from django.shortcuts import render

    cool_off = settings.AXES_COOLOFF_TIME
    minutes = round(float(cool_off) * 60) if isinstance(cool_off, int | float) else None
    return render(request, "panel/locked_out.html", {
        "failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes,
    }, status=429)
