"""Request guards that apply to every page and API."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RejectNulBytesMiddleware:
    """Answer 400 to a NUL character in the path, the query or a form field.

    PostgreSQL cannot store or compare text containing NUL, so such a value reaching a query
    (a username, a version id, a filter) would end in a 500. No legitimate input contains one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path_info or _has_nul(request.GET) or (
            request.method == "POST" and request.content_type in FORM_TYPES and _has_nul(request.POST)
        ):
            return HttpResponseBadRequest(
                "The request contains a NUL character, which no field accepts.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


def _has_nul(data) -> bool:
    return any("\x00" in key or any("\x00" in v for v in data.getlist(key)) for key in data)


class HeadAsGetMiddleware:
    """Answer HEAD wherever GET is answered: the same status and headers, without the body.

    Uptime monitors and link checkers ask with HEAD; views (``require_GET``) and the API
    (django-ninja routes only the methods it was given) would refuse it with 405. HEAD is GET
    without the body (RFC 9110 9.3.2), so the view runs as for GET and the body is dropped
    here; ``Content-Length`` stays what GET would send. Static files never get here (WhiteNoise
    answers HEAD itself).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "HEAD":
            return self.get_response(request)
        request.method = "GET"
        try:
            response = self.get_response(request)
        finally:
            request.method = "HEAD"
        if response.streaming:  # the length is unknown without reading it: none is sent
            response.streaming_content = []  # what it held is still closed with the response
        else:
            if "Content-Length" not in response:
                response["Content-Length"] = str(len(response.content))
            response.content = b""
        return response
