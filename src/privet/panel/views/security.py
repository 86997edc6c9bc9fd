"""The technical log's security events in the panel (failed and locked sign-ins, refused links,
rate-limit hits): filtered by kind, day and pseudonym. For the privacy officer (and
administrators): the ``view_audit`` role, as for the audit log."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from privet.policy.selectors import declaration_in_force_or_file
from privet.telemetry.selectors import security_events

from ..access import panel_view
from ..forms import SecurityEventFilterForm
from ..roles import VIEW_AUDIT

PAGE_SIZE = 50


def _window_days() -> int | None:
    """The declared period of security data, in days when it is given in days (for the page's
    note on how long pseudonyms can be compared)."""
    declaration, _hash = declaration_in_force_or_file()
    for rule in declaration.rules_for(category="technical_data", purpose="security"):
        if rule.after == "collected" and rule.period.endswith("d"):
            return int(rule.period[:-1])
    return None


@panel_view(VIEW_AUDIT)
def security_event_list(request: HttpRequest) -> HttpResponse:
    form = SecurityEventFilterForm(request.GET)
    context = {"section": "security", "form": form, "window_days": _window_days()}
    if not form.is_valid():
        form.aria_setup()
        return render(request, "panel/security_events.html", context, status=400)
    data = form.cleaned_data
    query = urlencode(form.filters())
    events = security_events(kind=data.get("kind", ""), day=data.get("day"),
                             pseudonym=data.get("pseudonym", ""))
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "panel/security_events.html", {
        **context, "page": page, "query": query, "filtered": bool(query),
    })
