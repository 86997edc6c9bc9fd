import json

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from .rendering import policy_context
from .selectors import current_version, version_by_id, version_history


@require_GET
def policy_page(request: HttpRequest, version: str | None = None) -> HttpResponse:
    current = current_version()
    shown = version_by_id(version) if version else current
    if shown is None:
        if version:
            raise Http404("No policy version with that id.")
        return render(request, "policy/unpublished.html", status=503)
    context = policy_context(shown.declaration(), get_language())
    context.update(version=shown, current=current, is_current=shown == current,
                   is_scheduled=shown.effective > timezone.localdate())
    return render(request, "policy/page.html", context)


@require_GET
def version_list(request: HttpRequest) -> HttpResponse:
    versions = list(version_history())
    current = current_version()
    return render(request, "policy/versions.html", {
        "versions": [(v, v.declaration()) for v in versions], "current": current,
        "today": timezone.localdate(),
    })


@require_GET
def privacy_json(request: HttpRequest) -> HttpResponse:
    """The declaration in force (or ``?version=ID``) as JSON, with its content hash."""
    wanted = request.GET.get("version")
    shown = version_by_id(wanted) if wanted else current_version()
    if shown is None:
        return JsonResponse(
            {"error": "not_found", "message": f"No policy version {wanted!r}." if wanted
             else "No policy is published yet."},
            status=404,
        )
    if request.headers.get("If-None-Match") == f'"{shown.content_hash}"':
        return HttpResponse(status=304)
    body = {
        "version": shown.version,
        "effective": shown.effective.isoformat(),
        "hash": shown.content_hash,
        "hash_algorithm": "sha256 over canonical JSON (sorted keys, no whitespace, UTF-8)",
        "declaration": json.loads(shown.canonical),
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["ETag"] = f'"{shown.content_hash}"'
    response["Access-Control-Allow-Origin"] = "*"
    return response
