"""Request guards that apply to every page and API."""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")
_FILENAME = re.compile(rb"""filename\*?=""", re.IGNORECASE)


class RejectUndecodableTextMiddleware:
    """Answer 400 to a query string, form body or JSON body that is not valid text.

    Django decodes such bytes leniently: raw invalid UTF-8 in a form body as Latin-1 and
    percent-encoded invalid bytes as U+FFFD, so a field would be stored as mojibake (``ÿþ``)
    that nobody typed. Every value is checked as sent (raw and percent-decoded) in the charset
    the request declares (UTF-8 unless it says otherwise; always UTF-8 for JSON, RFC 8259).
    Multipart file contents are binary and not checked; multipart bodies larger than
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` are left to Django (Privet accepts no file uploads).

    Sits after :class:`privet.consent.middleware.ConsentApiMiddleware`, which refuses an
    oversized receipt before its body is read, and before anything parses ``request.POST``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _valid_text(request):
            return self.get_response(request)
        if request.path.startswith("/api/") or _is_json(request):
            return JsonResponse({"error": "invalid_utf8", "message": (
                "The request is not valid UTF-8 text (a byte sequence that is no character); "
                "nothing was stored.")}, status=400)
        with translation.override(translation.get_language_from_request(request, check_path=True)):
            message = _("The request holds characters that are not valid text, so nothing was "
                        "saved. Please go back and send the form again.")
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


def _is_json(request: HttpRequest) -> bool:
    return request.content_type == "application/json" or request.content_type.endswith("+json")


def _charset(request: HttpRequest) -> str:
    try:
        return codecs.lookup(request.encoding or settings.DEFAULT_CHARSET).name
    except LookupError:  # Django ignores an unknown charset and decodes as the default
        return codecs.lookup(settings.DEFAULT_CHARSET).name


def _decodes(data: bytes, charset: str) -> bool:
    try:
        data.decode(charset)
    except UnicodeDecodeError:
        return False
    return True


def _pairs_decode(data: bytes, charset: str) -> bool:
    """``a=1&b=%C5%BC``: the raw bytes and every percent-decoded name and value."""
    return _decodes(data, charset) and all(
        _decodes(unquote_to_bytes(part.replace(b"+", b" ")), charset)
        for pair in data.split(b"&") for part in pair.split(b"=", 1)
    )


def _multipart_fields_decode(request: HttpRequest, charset: str) -> bool:
    """Each part's headers, and the content of each part that is not a file."""
    boundary = request.content_params.get("boundary", "").encode("latin-1", "replace")
    if not boundary:
        return True  # Django refuses it as a malformed multipart body
    for part in request.body.split(b"--" + boundary)[1:]:
        headers, _sep, content = part.partition(b"\r\n\r\n")
        if not _decodes(headers, charset):
            return False
        if not _FILENAME.search(headers) and not _decodes(content.removesuffix(b"\r\n"), charset):
            return False
    return True


def _valid_text(request: HttpRequest) -> bool:
    charset = _charset(request)
    if not _pairs_decode(request.META.get("QUERY_STRING", "").encode("latin-1", "replace"), charset):
        return False
    if request.method not in BODY_METHODS:
        return True
    if request.content_type == "application/x-www-form-urlencoded":
        return _pairs_decode(request.body, charset)
    if request.content_type == "multipart/form-data":
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return True  # Django answers a broken Content-Length itself
        if settings.DATA_UPLOAD_MAX_MEMORY_SIZE is not None and length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return True
        return _multipart_fields_decode(request, charset)
    if _is_json(request):
        return _decodes(request.body.removeprefix(codecs.BOM_UTF8), "utf-8")
    return True


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
            message = "The request contains a NUL character, which no field accepts."
            if request.path.startswith("/api/"):  # the API's error shape, as documented
                return JsonResponse({"error": "nul_character", "message": message}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
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
