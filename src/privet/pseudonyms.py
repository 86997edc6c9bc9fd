"""Keyed pseudonyms: stable references to a person or an IP address that reveal neither.

HMAC-SHA256 under a key derived from ``SECRET_KEY`` (Django's ``salted_hmac``), so the same
email always maps to the same reference inside one installation, and nobody without the key can
reverse it or test a guess. Rotating ``SECRET_KEY`` starts new references (old ones still match
while the old key is in ``SECRET_KEY_FALLBACKS`` only if you compute with it explicitly).
"""

from __future__ import annotations

from django.utils.crypto import salted_hmac


def subject_ref(identifier: str) -> str:
    """Pseudonym of a data subject identified by an email, phone or visitor id."""
    normalised = identifier.strip().lower()
    return salted_hmac("privet.subject", normalised, algorithm="sha256").hexdigest()[:32]


def ip_ref(ip: str) -> str:
    """Pseudonym of an IP address, for logs and rate limits."""
    return salted_hmac("privet.ip", ip.strip(), algorithm="sha256").hexdigest()[:16]
