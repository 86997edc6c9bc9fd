"""One technical record per request to Privet's pages and API (see :mod:`privet.telemetry`).

It sits right after WhiteNoise in ``MIDDLEWARE``: static files, answered by WhiteNoise, never
reach it (nor does anything under ``STATIC_URL`` served otherwise), and every other answer does,
an API middleware's 429 included. What it costs a request: two clock readings and an append to
a list; the database write happens later, in bulk (:mod:`.recorder`). ``PRIVET_TELEMETRY=0``
takes it out of the stack altogether.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .services import record_request

logger = logging.getLogger(__name__)


class TelemetryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        if not settings.PRIVET_TELEMETRY:
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.static = "/" + settings.STATIC_URL.lstrip("/")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(self.static):
            return self.get_response(request)
        at = timezone.now()
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = (time.perf_counter() - started) * 1000
        try:
            record_request(request=request, status=response.status_code, duration_ms=duration_ms,
                           at=at)
        except Exception as exc:  # the log must never cost a visitor their answer
            logger.warning("technical log: request not recorded (%s)", type(exc).__name__)
        return response
