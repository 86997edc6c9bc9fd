from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from privet.audit.actions import action_label
from privet.audit.selectors import actions, recent_events
from privet.consent.selectors import purpose_rates
from privet.enquiries.models import Status
from privet.enquiries.selectors import mail_needing_attention, open_enquiries, status_counts

from ..access import panel_view
from ..roles import VIEW_AUDIT
from ..selectors import audit_rows

DASHBOARD_OPEN_LIMIT = 8
CONSENT_WINDOW_DAYS = 7
UPCOMING = (
    (_("Rights requests due"), _("Arrives with the rights portal: requests and their legal deadlines.")),
    (_("Retention runs"), _("Arrives with the retention engine: the last run and what it removed.")),
    (_("Integrations"), _("Arrives with client integrations: authorisations, scopes and sync health.")),
)


@panel_view()
def dashboard(request: HttpRequest) -> HttpResponse:
    waiting = open_enquiries().select_related(None)
    unsent = mail_needing_attention()
    counts = status_counts()
    today = timezone.localdate()
    rates = purpose_rates(since=today - timedelta(days=CONSENT_WINDOW_DAYS - 1), until=today,
                          lang=get_language())
    return render(request, "panel/dashboard.html", {
        "consent_rates": rates,
        "consent_receipts": max((r.receipts for r in rates), default=0),
        "consent_days": CONSENT_WINDOW_DAYS,
        "section": "dashboard",
        "open_enquiries": list(waiting[:DASHBOARD_OPEN_LIMIT]),
        "open_total": counts[Status.NEW] + counts[Status.OFFER],
        "status_counts": [(Status(s), counts[s]) for s in Status.values],
        "unsent_mail": list(unsent[:DASHBOARD_OPEN_LIMIT]),
        "unsent_total": unsent.count(),
        "upcoming": UPCOMING,
    })


@panel_view(VIEW_AUDIT)
def audit_log(request: HttpRequest) -> HttpResponse:
    action = request.GET.get("action", "")
    page = Paginator(recent_events(action=action), 50).get_page(request.GET.get("page"))
    return render(request, "panel/audit.html", {
        "section": "audit", "page": page, "rows": audit_rows(page.object_list),
        "action": action, "actions": [(a, action_label(a)) for a in actions()],
        "query": urlencode({"action": action}) if action else "",
    })
