"""The rights API's transport rules, before django-ninja sees a request to ``POST
/api/rights/requests``: a body over :data:`MAX_BODY` is refused from its ``Content-Length`` (413),
a client over the rate limit gets 429, a body that is not ``application/json`` 415, and one that
is not a UTF-8 JSON object a clear 400, all before anything is stored. It sits before
:class:`privet.middleware.RejectNulBytesMiddleware`, which parses form bodies."""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from privet.clients import client_ref
from privet.telemetry.services import record_security_event

from . import throttle

REQUESTS_PATH = "/api/rights/requests"
MAX_BODY = 8192  # details (5000 characters, some of them multi-byte) and the rest


def error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=status)


def refusal(request: HttpRequest) -> HttpResponse | None:
    """An error answer for a request that must not reach the API, else ``None``."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return error(400, "bad_content_length", "The Content-Length header is not a number.")
    if length > MAX_BODY:
        return error(413, "too_large", f"A rights request is at most {MAX_BODY} bytes; this one "
                                       f"is {length}.")
    if not throttle.allowed(client_ref(request)):
        record_security_event("rate_limited", request, limit="rights")
        response = error(429, "rate_limited", "Too many requests from this client; try again "
                                              "later.")
        response["Retry-After"] = str(throttle.retry_after_seconds())
        return response
    if request.content_type != "application/json":
        return error(415, "unsupported_media_type",
                     "A rights request is sent as Content-Type: application/json.")
    try:
        text = request.body.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError:
        return error(400, "invalid_utf8", "The request body is not valid UTF-8.")
    try:
        body = json.loads(text or "null")
    except (ValueError, RecursionError):
        return error(400, "malformed_json", "The request body is not valid JSON.")
    if not isinstance(body, dict):
        return error(400, "malformed_json", "The request body must be a JSON object.")
    return None


class RightsApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == REQUESTS_PATH and request.method == "POST":
            answer = refusal(request)
            if answer is not None:
                return answer
        return self.get_response(request)
