"""The public side of rights requests: the portal, the verification link, the person's status."""

from __future__ import annotations

import io

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import archive, services
from .errors import InvalidLink


def verify(request: HttpRequest) -> HttpResponse:
    """The link in the verification mail (first cut: the portal work gives it its page)."""
    try:
        rights_request = services.verify(token=request.GET.get("t", ""))
    except InvalidLink as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    return HttpResponse(f"{rights_request.reference} verified",
                        content_type="text/plain; charset=utf-8")


@require_GET
def download(request: HttpRequest) -> HttpResponse:
    """The link in the answer mail: the person's archive, decrypted and streamed, each use
    audited. A forged or expired link gets 400 with a page saying so, a deleted archive 410,
    one that does not exist 404."""
    try:
        rights_request, export = archive.open_archive(request.GET.get("t", ""))
    except InvalidLink as exc:
        return render(request, "rights/download_error.html", {"problem": "invalid",
                      "message": str(exc)}, status=400)
    except archive.ArchiveGone as gone:
        deleted = bool(gone.args and gone.args[0])
        return render(request, "rights/download_error.html",
                      {"problem": "deleted" if deleted else "missing"},
                      status=410 if deleted else 404)
    data = archive.record_download(request=rights_request, archive=export,
                                   actor=services.PERSON_ACTOR)
    response = FileResponse(io.BytesIO(data), as_attachment=True,
                            filename=f"{rights_request.reference}-your-data.zip",
                            content_type="application/zip")
    response["Cache-Control"] = "no-store"
    return response
