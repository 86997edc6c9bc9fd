"""The demo page: the banner embedded with one tag, and gated scripts that show what it blocks."""

from __future__ import annotations

import base64

from csp.constants import SELF
from csp.decorators import csp_replace
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin

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


@never_cache
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": [SELF]})
def demo_embed(request: HttpRequest) -> HttpResponse:
    """Stands in for embedded third-party content (a video player, a map) in an iframe that the
    banner loads only with consent to marketing. Records nothing."""
    return render(request, "consent/demo_embed.html")
