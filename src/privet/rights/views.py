"""The public side of rights requests: the portal, the verification link, the person's status."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from . import services
from .errors import InvalidLink


def verify(request: HttpRequest) -> HttpResponse:
    """The link in the verification mail (first cut: the portal work gives it its page)."""
    try:
        rights_request = services.verify(token=request.GET.get("t", ""))
    except InvalidLink as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    return HttpResponse(f"{rights_request.reference} verified",
                        content_type="text/plain; charset=utf-8")
