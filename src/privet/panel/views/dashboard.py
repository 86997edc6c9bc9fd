from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language

from privet.consent.selectors import purpose_rates
from privet.enquiries.models import Status
from privet.enquiries.selectors import mail_needing_attention, open_enquiries, status_counts
from privet.integrations.selectors import integrations_summary
from privet.retention.selectors import summary as retention_summary
from privet.rights.selectors import deadline_counts

from ..access import panel_view
from ..roles import WORK_INTEGRATIONS, WORK_RIGHTS, can

DASHBOARD_OPEN_LIMIT = 8
CONSENT_WINDOW_DAYS = 7
INTEGRATION_DAYS = 7


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
        "retention": retention_summary(days=30),
        "rights": deadline_counts() if can(request.user, WORK_RIGHTS) else None,
        "integrations": (integrations_summary(request.user, days=INTEGRATION_DAYS)
                         if can(request.user, WORK_INTEGRATIONS) else None),
    })
