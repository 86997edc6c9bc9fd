"""The consent API's transport rules, before django-ninja sees a request.

Only for paths under ``/api/consent/``:

- CORS: a declared website's origin (``websites`` in the policy in force) or this installation's
  own may read the answers and send receipts; preflight requests are answered here.
- Receipts: a body over 4 kB is refused from its ``Content-Length`` and one that is not
  ``application/json`` from its ``Content-Type``, both before the body is read; a body that is
  not a JSON object (or not UTF-8) gets a clear 400; and each client (a keyed pseudonym of its IP address,
  never the address) may send ``PRIVET_CONSENT_RATE_LIMIT`` receipts a minute, counted by the
  shared limiter (:mod:`privet.core.ratelimit`) in the ``PRIVET_CONSENT_RATE_CACHE`` cache (per
  process by default: see settings).

It sits before :class:`privet.middleware.RejectNulBytesMiddleware` in ``MIDDLEWARE``: that one
parses form bodies, after which the raw body can no longer be read, so a form-encoded receipt
must be refused here first.

Answers have the API's error shape, ``{"error": code, "message": text}``.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from privet.clients import client_ref
from privet.core import ratelimit
from privet.core.outage import DatabaseUnavailable, unavailable_as, unavailable_response
from privet.policy.selectors import current_version_for_hot_path
from privet.telemetry.services import record_security_event

from .selectors import allowed_origins

PREFIX = "/api/consent/"
RECEIPTS_PATH = PREFIX + "receipts"
MAX_BODY = 4096
RATE_WINDOW = 60  # seconds


def error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=status)


def over_rate_limit(request: HttpRequest) -> bool:
    """Count this request against its client's fixed one-minute window (0: no limit)."""
    limit = settings.PRIVET_CONSENT_RATE_LIMIT
    if limit <= 0:
        return False
    over = not ratelimit.allow("consent", client_ref(request), limit=limit, window=RATE_WINDOW,
                               cache=settings.PRIVET_CONSENT_RATE_CACHE)
    if over:
        record_security_event("rate_limited", request, limit="consent")
    return over


def is_same_origin(request: HttpRequest, origin: str) -> bool:
    return origin == f"{request.scheme}://{request.get_host()}".lower()


class ConsentApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        # The origins and the policy in force come from the database: while it is away (a
        # restart) the answer is the API's 503 with Retry-After, never a 500.
        if request.path == RECEIPTS_PATH:
            not_done = _("Your choice could not be saved. Please try again.")
        else:
            not_done = _("The service is briefly unavailable. Please try again in a few seconds.")
        try:
            with unavailable_as(not_done):
                return self._answer(request)
        except DatabaseUnavailable as exc:
            return unavailable_response(exc)

    def _answer(self, request: HttpRequest) -> HttpResponse:
        origin = request.META.get("HTTP_ORIGIN", "").lower()
        cross_origin = bool(origin) and not is_same_origin(request, origin)
        allowed = cross_origin and origin in self._origins()
        if request.method == "OPTIONS":
            if cross_origin and not allowed:
                return error(403, "origin_not_allowed",
                             f"{origin} is not a website declared in the privacy policy.")
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response["Access-Control-Allow-Headers"] = "Content-Type"
            response["Access-Control-Max-Age"] = "86400"
        else:
            response = self._checked(request) or self.get_response(request)
        if allowed:
            response["Access-Control-Allow-Origin"] = origin
        response["Vary"] = ", ".join(filter(None, [response.get("Vary"), "Origin"]))
        return response

    @staticmethod
    def _origins() -> frozenset[str]:
        version = current_version_for_hot_path()
        return allowed_origins(version.declaration() if version else None)

    @staticmethod
    def _checked(request: HttpRequest) -> HttpResponse | None:
        """An error answer for a receipt that must not reach the API, else ``None``."""
        if request.path != RECEIPTS_PATH or request.method != "POST":
            return None
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error(400, "bad_content_length", "The Content-Length header is not a number.")
        if length > MAX_BODY:
            return error(413, "too_large", f"A consent receipt is at most {MAX_BODY} bytes; "
                                           f"this one is {length}.")
        if over_rate_limit(request):
            return error(429, "rate_limited", "Too many consent receipts from this client; "
                                              "try again in a minute.")
        if request.content_type != "application/json":
            return error(415, "unsupported_media_type",
                         "A consent receipt is sent as Content-Type: application/json.")
        try:
            text = request.body.removeprefix(codecs.BOM_UTF8).decode("utf-8")
        except UnicodeDecodeError:
            return error(400, "invalid_utf8", "The request body is not valid UTF-8; JSON is sent "
                                              "as UTF-8 (RFC 8259).")
        try:
            body = json.loads(text or "null")
        except (ValueError, RecursionError):  # RecursionError: "[[[[..."
            return error(400, "malformed_json", "The request body is not valid JSON.")
        if not isinstance(body, dict):
            return error(400, "malformed_json", "The request body must be a JSON object.")
        return None
