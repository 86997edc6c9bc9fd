import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .diff import compare
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
    # Newest first: each version's predecessor is the next one in the list.
    return render(request, "policy/versions.html", {
        "versions": [(v, v.declaration(), versions[i + 1] if i + 1 < len(versions) else None)
                     for i, v in enumerate(versions)],
        "choices": versions, "current": current, "today": timezone.localdate(),
    })


def comparison(request: HttpRequest) -> tuple[dict[str, Any], int]:
    """The context and status of a comparison of two versions (``?from=1.0&to=1.1``), shared by
    the public page and the panel's.

    Without both, the version in force (or the newest) is compared with the one before it. An
    unknown id (404) or the same version twice (400) is said on the page, with the choice of
    versions, and nothing is compared.
    """
    versions = list(version_history())
    wanted_from, wanted_to = request.GET.get("from", "").strip(), request.GET.get("to", "").strip()
    context: dict[str, Any] = {"choices": versions, "from_id": wanted_from, "to_id": wanted_to,
                               "diff": None, "error": "", "notice": ""}
    if len(versions) < 2:  # a fact, not a mistake of the reader's
        context["notice"] = _("Only one version has been published, so there is nothing to compare yet.")
        return context, 200
    if not wanted_from or not wanted_to:
        # The version in force and its predecessor; if it is the first, it and its successor.
        at = versions.index(current_version() or versions[0])
        old, new = (versions[at + 1], versions[at]) if at + 1 < len(versions) else (
            versions[at], versions[at - 1])
    else:
        by_id = {v.version: v for v in versions}
        old, new = by_id.get(wanted_from), by_id.get(wanted_to)
        unknown = [v for v, found in ((wanted_from, old), (wanted_to, new)) if found is None]
        if unknown:
            context["error"] = _("There is no published version “%(id)s”. Choose one from the "
                                 "list.") % {"id": unknown[0][:40]}
            return context, 404
        if old == new:
            context["error"] = _("Choose two different versions to compare.")
            return context, 400
    context.update(old=old, new=new, from_id=old.version, to_id=new.version,
                   diff=compare(old.declaration(), new.declaration(), get_language(), request))
    return context, 200


@require_GET
def version_changes(request: HttpRequest) -> HttpResponse:
    """What changed between two versions: a summary by part of the policy, then the text."""
    context, status = comparison(request)
    return render(request, "policy/changes.html", context, status=status)


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
