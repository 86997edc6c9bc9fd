"""The demo page: the banner embedded with one tag, and gated scripts that show what it blocks."""

from __future__ import annotations

import base64

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache

# A transparent 1x1 GIF: what a tracking pixel answers.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def demo(request: HttpRequest) -> HttpResponse:
    return render(request, "consent/demo.html", {
        "script_url": request.build_absolute_uri(static("consent/consent.js")),
        "site_id": settings.PRIVET_CONSENT_SITE,
    })


@never_cache
def demo_beacon(request: HttpRequest) -> HttpResponse:
    """Stands in for an analytics or ad server: the browser tests assert it is never reached
    before consent. Records nothing."""
    return HttpResponse(PIXEL, content_type="image/gif")
