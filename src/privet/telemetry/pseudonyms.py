"""The client's address as the technical log keeps it: its network and a hash under the day's key.

The network is the address truncated to what a provider assigns to many customers (IPv4 /24,
IPv6 /48), enough to see that abuse comes from one place. The pseudonym is HMAC-SHA256 of the
normalised address under a random key made for the local day (:class:`~.models.DailyKey`):
within the day one client has one pseudonym, so its failed sign-ins can be counted; the next
day it has another, so days cannot be joined; and once retention destroys the key (after the
declared window for security data) nobody can test which address a pseudonym was, not even
with the database and ``SECRET_KEY`` in hand. The raw address goes no further than this module.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from privet.clients import normalise_ip

from .models import DailyKey

IPV4_PREFIX = 24
IPV6_PREFIX = 48
KEY_BYTES = 32
PSEUDONYM_CHARS = 32  # 128 bits of HMAC-SHA256 in hexadecimal

_keys: dict[date, bytes] = {}  # this process's copy of the keys it used, the newest few days


def network(ip: str) -> str:
    """``203.0.113.0/24`` for an IPv4 address, ``2001:db8:1::/48`` for an IPv6 one (an IPv4-mapped
    IPv6 address counts as its IPv4 one); empty for anything that is no address."""
    try:
        address = ipaddress.ip_address(normalise_ip(ip) or "")
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    prefix = IPV4_PREFIX if address.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network((address, prefix), strict=False))


def local_day(moment=None) -> date:
    """The local day (``PRIVET_TIME_ZONE``) of ``moment`` (default: now), whose key hashes it."""
    return timezone.localtime(moment or timezone.now(), timezone.get_default_timezone()).date()


def day_key(day: date) -> bytes | None:
    """The key of ``day``, made now if the day has none yet and it is yesterday or later;
    ``None`` for an older day whose key is gone (destroyed: nothing of that day can be hashed again).
    One query the first time a process asks for a day, then none."""
    if (key := _keys.get(day)) is not None:
        return key
    stored = DailyKey.objects.filter(day=day).values_list("key", flat=True).first()
    if stored is None:
        if day < local_day() - timedelta(days=1):  # yesterday's: a record flushed past midnight
            return None
        try:
            with transaction.atomic():
                DailyKey.objects.create(day=day, key=secrets.token_bytes(KEY_BYTES))
        except IntegrityError:
            pass  # another process made it first: use theirs
        stored = DailyKey.objects.filter(day=day).values_list("key", flat=True).first()
        if stored is None:
            return None
    key = bytes(stored)
    for old in sorted(_keys)[:-2]:  # keep yesterday's and today's: a batch may straddle midnight
        del _keys[old]
    _keys[day] = key
    return key


def forget_keys() -> None:
    """Drop this process's copies of the keys (after keys are destroyed, and between tests)."""
    _keys.clear()


def pseudonym(ip: str, day: date) -> str:
    """The keyed hash of the normalised ``ip`` under ``day``'s key; empty when there is no
    address or the day's key was destroyed."""
    address = normalise_ip(ip)
    key = day_key(day) if address else None
    if key is None:
        return ""
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:PSEUDONYM_CHARS]
