"""Cookie consent in the panel: how often each purpose is allowed, day by day, and the receipts
that prove one visitor's choices (the visitor id is in their ``privet_consent`` cookie)."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from privet.consent.selectors import (
    daily_rates,
    granted_purpose_labels,
    purpose_labels,
    receipts_for_visitor,
)
from privet.consent.services import VISITOR_ID_RE

from ..access import panel_view
from ..roles import VIEW_AUDIT

WINDOWS = (7, 30, 90)  # days the rates table can cover
DEFAULT_WINDOW = 30
RECEIPTS_SHOWN = 200  # one browser's choices; more would mean a script, not a person


@panel_view(VIEW_AUDIT)
def consent_overview(request: HttpRequest) -> HttpResponse:
    asked = request.GET.get("days", "")
    days = int(asked) if asked in {str(w) for w in WINDOWS} else DEFAULT_WINDOW
    today = timezone.localdate()
    labels = purpose_labels(lang=get_language())
    rows = daily_rates(since=today - timedelta(days=days - 1), until=today, purposes=list(labels))
    visitor = request.GET.get("visitor", "").strip().lower()
    error = ""
    receipts = None
    if visitor and not VISITOR_ID_RE.match(visitor):
        error = _("A visitor id is 32 hexadecimal characters, the part of the privet_consent cookie "
                  "before the first dot.")
    elif visitor:
        # Newest first: the choice in force is the one to prove, whatever came before it. Each
        # with the purposes it allows, in its policy version's order.
        lang = get_language()
        receipts = [(r, granted_purpose_labels(r, lang=lang))
                    for r in receipts_for_visitor(visitor).reverse()[:RECEIPTS_SHOWN]]
    return render(request, "panel/consent.html", {
        "section": "consent", "days": days, "windows": WINDOWS, "labels": labels,
        "rows": rows,
        "visitor": visitor, "visitor_error": error, "receipts": receipts,
    })
