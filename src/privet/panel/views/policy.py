"""Policy versions in the panel: every published version, who published it, and what changed
between any two (the same comparison as the public page, :func:`privet.policy.views.comparison`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from privet.policy.selectors import current_version, version_history
from privet.policy.views import comparison

from ..access import panel_view
from ..roles import VIEW_AUDIT


@panel_view(VIEW_AUDIT)
def policy_versions(request: HttpRequest) -> HttpResponse:
    context, status = comparison(request)
    context.update(section="policy", current=current_version(), today=timezone.localdate(),
                   versions=version_history().select_related("published_by"))
    return render(request, "panel/policy_versions.html", context, status=status)
