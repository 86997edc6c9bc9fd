"""Cookie consent in the panel: how often each purpose is allowed, day by day, and the receipts
that prove one visitor's choices (the visitor id is in their ``privet_consent`` cookie)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext as _

from privet.consent.models import ConsentReceipt
from privet.consent.selectors import (
    daily_rates,
    granted_purpose_labels,
    granted_purposes,
    purpose_labels,
    receipts_between,
    receipts_for_visitor,
)
from privet.consent.services import VISITOR_ID_RE, record_period_export
from privet.core.csv_export import csv_response

from ..access import panel_view
from ..forms import ReceiptExportForm
from ..roles import VIEW_AUDIT

WINDOWS = (7, 30, 90)  # days the rates table can cover
DEFAULT_WINDOW = 30
RECEIPTS_SHOWN = 200  # one browser's choices; more would mean a script, not a person


@panel_view(VIEW_AUDIT)
def consent_overview(request: HttpRequest) -> HttpResponse:
    return render(request, "panel/consent.html", _overview(request, ReceiptExportForm()))


def _overview(request: HttpRequest, export_form: ReceiptExportForm) -> dict:
    """The consent page's context: rates over the chosen window, and a visitor's receipts."""
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
    return {
        "section": "consent", "days": days, "windows": WINDOWS, "labels": labels,
        "rows": rows,
        "visitor": visitor, "visitor_error": error, "receipts": receipts,
        "export_form": export_form,
    }


# The receipt's columns, as the admin's list shows them (no IP address: a receipt has none).
EXPORT_FIELDS = ("id", "created_at", "site", "visitor_id", "method", "choices", "gpc",
                 "policy_hash", "banner_version", "language", "user_agent_family")


# The button the visitor pressed, in words (the receipt stores its code).
# A context of their own: the banner's buttons have the same English words, and their own Polish.
METHOD_NAMES = {
    "accept_all": pgettext_lazy("consent method", "Accept all"),
    "reject_all": pgettext_lazy("consent method", "Reject all"),
    "custom": pgettext_lazy("consent method", "Saved settings"),
}


def _receipt_rows(receipts: QuerySet[ConsentReceipt]) -> Iterator[list[object]]:
    """One row per receipt; times in local time with their offset, as the period's days are."""
    for r in receipts.iterator(chunk_size=2000):
        yield [r.id, timezone.localtime(r.created_at).isoformat(timespec="seconds"), r.site,
               r.visitor_id, r.method, METHOD_NAMES.get(r.method, r.method),
               ", ".join(granted_purposes(r)), "true" if r.gpc else "false", r.policy_hash,
               r.banner_version, r.language, r.user_agent_family]


@panel_view(VIEW_AUDIT)
def receipts_export(request: HttpRequest) -> HttpResponse:
    """The receipts of a period as CSV, oldest first, streamed; the download is audited. Bad
    days: the consent page with the error beside the field (400), and nothing exported."""
    form = ReceiptExportForm(request.GET)
    if not form.is_valid():
        form.aria_setup()
        return render(request, "panel/consent.html", _overview(request, form), status=400)
    since, until = form.cleaned_data["start"], form.cleaned_data["end"]
    record_period_export(since=since, until=until, actor=request.user)
    header = [_("Receipt"), _("When"), _("Site"), _("Visitor id"), _("Choice"),
              _("Choice (in words)"), _("Allowed"), _("GPC"), _("Policy version"),
              _("Banner version"), _("Language"), _("Browser")]
    return csv_response(filename=f"privet-consent-{since.isoformat()}-{until.isoformat()}.csv",
                        header=header, rows=_receipt_rows(receipts_between(since=since, until=until)))
