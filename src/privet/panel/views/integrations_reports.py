"""A grant's campaign reports in the panel (the "reporting" workflow): per campaign per day
spend, impressions, clicks, CTR, CPC, CPM and conversions over a chosen range (the last 30
days unless chosen), with totals and a server-drawn chart of spend and clicks per day; the CSV
of the same for the client's own use (audited); and, for a TikTok account grant, the account's
own daily statistics (the "insights" workflow).

Reads go through :mod:`privet.integrations.reports` (the grant was found through the client
the user may see: another client's grant is a 404). A bad or reversed range is shown beside
its field, and nothing is read."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from privet.integrations import reports, selectors

from ..access import panel_view
from ..charts import spend_and_clicks
from ..forms import ReportRangeForm
from ..roles import WORK_INTEGRATIONS
from .integrations import labels


def _form(request: HttpRequest, grant) -> ReportRangeForm:
    return ReportRangeForm(request.GET, campaigns=reports.campaigns_of(grant))


@panel_view(WORK_INTEGRATIONS)
def grant_reports(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    client = selectors.client_for(request.user, slug)
    grant = selectors.grant_of(client, pk)
    form = _form(request, grant)
    context = {"section": "clients", "client": client, "grant": grant,
               **labels(grant.connector, grant.flow), "form": form,
               "advertiser": grant.flow == "advertiser"}
    if not form.is_valid():
        form.aria_setup()
        return render(request, "panel/client_reports.html", context, status=400)
    form.aria_setup()
    data = form.cleaned_data
    start, end, campaign = data["start"], data["end"], data.get("campaign") or ""
    shown = reports.campaign_report(grant, start, end, campaign)
    series = reports.daily_series(shown, start, end)
    context |= {"start": start, "end": end, "campaign": campaign, "reports": shown,
                "account_days": list(reports.account_days(grant, start, end))}
    if shown:
        context["chart"] = spend_and_clicks(
            [r["day"] for r in series], [r["spend"] for r in series], [r["clicks"] for r in series],
            title=_("Spend and clicks per day, %(start)s to %(end)s") % {
                "start": start.isoformat(), "end": end.isoformat()},
            spend_label=_("Spend"), clicks_label=_("Clicks"))
    return render(request, "panel/client_reports.html", context)


@panel_view(WORK_INTEGRATIONS)
def grant_reports_csv(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    client = selectors.client_for(request.user, slug)
    grant = selectors.grant_of(client, pk)
    form = _form(request, grant)
    if not form.is_valid():
        form.aria_setup()
        return render(request, "panel/client_reports.html", {
            "section": "clients", "client": client, "grant": grant, "form": form,
            **labels(grant.connector, grant.flow), "advertiser": grant.flow == "advertiser"},
            status=400)
    data = form.cleaned_data
    content = reports.export_report(grant=grant, start=data["start"], end=data["end"],
                                    campaign=data.get("campaign") or "", actor=request.user)
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{client.slug}-{grant.pk}-report-{data["start"].isoformat()}-'
        f'{data["end"].isoformat()}.csv"')
    return response
