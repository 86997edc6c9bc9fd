"""The WSGI application that `privet serve` (gunicorn) runs."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterable

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privet.settings")
# Django's default DATA_UPLOAD_MAX_MEMORY_SIZE, for a chunked body when that limit is switched off.
CHUNKED_BODY_FALLBACK_LIMIT = 2_621_440


class ChunkedRequestBody:
    """Give Django the body of a request sent with ``Transfer-Encoding: chunked``.

    Such a request has no ``Content-Length``; gunicorn hands its decoded body over as
    ``wsgi.input``, but Django reads only as many bytes as ``Content-Length`` says: none. So
    a chunked consent receipt arrived empty ("not a JSON object"), and a chunked form as no
    fields. Here the body is read first, at most ``max_bytes`` of it (Django's own
    ``DATA_UPLOAD_MAX_MEMORY_SIZE``), and passed on with its length, so every limit that
    looks at ``Content-Length`` (the receipts' 4 kB included) holds as for any request. A
    longer body is answered 413 without reading the rest.
    """

    def __init__(self, application: Callable, max_bytes: int):
        self.application = application
        self.max_bytes = max_bytes

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not environ.get("CONTENT_LENGTH"):
            body = environ["wsgi.input"].read(self.max_bytes + 1)
            if len(body) > self.max_bytes:
                return self.too_large(environ, start_response)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.application(environ, start_response)

    def too_large(self, environ: dict, start_response: Callable) -> list[bytes]:
        message = f"The request body is over {self.max_bytes} bytes."
        if environ.get("PATH_INFO", "").startswith("/api/"):  # the API's error shape
            body, content_type = (json.dumps({"error": "too_large", "message": message}).encode(),
                                  "application/json")
        else:
            body, content_type = message.encode(), "text/plain; charset=utf-8"
        start_response("413 Content Too Large", [
            ("Content-Type", content_type), ("Content-Length", str(len(body))),
            ("X-Content-Type-Options", "nosniff"), ("Connection", "close"),
        ])
        return [body]


def _application() -> Callable:
    from django.conf import settings

    django_application = get_wsgi_application()
    return ChunkedRequestBody(django_application,
                              settings.DATA_UPLOAD_MAX_MEMORY_SIZE or CHUNKED_BODY_FALLBACK_LIMIT)


application = _application()
