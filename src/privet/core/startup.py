"""What a server checks before it starts, beyond what loading the settings already refuses."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def require_site_url() -> str:
    """The site's public URL (``PRIVET_SITE_URL``); raises for a production server without one.

    Called by the commands that start a server (``serve``, ``worker``): the worker writes the
    links in mail and the web server the links on pages, so neither may guess. Commands that
    build no links (migrate, policy, audit) run without it. The demo and ``PRIVET_DEBUG`` get
    a loopback default in the settings.
    """
    if not settings.SITE_URL:
        raise ImproperlyConfigured(
            "PRIVET_SITE_URL is not set. Production refuses to start without the site's public "
            "address, which links in mail point at; set it, e.g. "
            "PRIVET_SITE_URL=https://privacy.example.com"
        )
    return settings.SITE_URL
