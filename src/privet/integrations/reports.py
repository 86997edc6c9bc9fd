"""Campaign reports for one client (the "reporting" workflow): reads of the synced
:class:`.models.CampaignDay` rows of one advertiser grant, per campaign per day over a range,
with totals; and the CSV export of the same for the client's own use (audited).

The ratios of a total (CTR, CPC, CPM) are computed from the summed figures, never averaged
from the days'; a figure the platform did not give (``None``) is left out of a sum, and a sum of
nothing is ``None`` (shown as a dash).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

from privet.audit.services import Actor, append_event
from privet.core.csv_export import safe_cell

from .models import AccountDay, Campaign, CampaignDay, Grant

DEFAULT_DAYS = 30
MAX_DAYS = 366
FIGURES = ("spend", "impressions", "clicks", "ctr", "cpc", "cpm", "conversions")


def default_range(today: date) -> tuple[date, date]:
    """The last :data:`DEFAULT_DAYS` days, today included."""
    return today - timedelta(days=DEFAULT_DAYS - 1), today


@dataclass
class Totals:
    spend: Decimal | None = None
    impressions: int | None = None
    clicks: int | None = None
    conversions: int | None = None

    def add(self, day: CampaignDay) -> None:
        for name in ("spend", "impressions", "clicks", "conversions"):
            value = getattr(day, name)
            if value is not None:
                setattr(self, name, (getattr(self, name) or 0) + value)

    @property
    def ctr(self) -> Decimal | None:
        if not self.impressions or self.clicks is None:
            return None
        return round(Decimal(self.clicks) / Decimal(self.impressions) * 100, 4)

    @property
    def cpc(self) -> Decimal | None:
        if not self.clicks or self.spend is None:
            return None
        return round(Decimal(self.spend) / Decimal(self.clicks), 4)

    @property
    def cpm(self) -> Decimal | None:
        if not self.impressions or self.spend is None:
            return None
        return round(Decimal(self.spend) / Decimal(self.impressions) * 1000, 4)


@dataclass
class CampaignReport:
    campaign_id: str
    name: str
    days: list[CampaignDay] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)


def campaigns_of(grant: Grant) -> list[Campaign]:
    return list(Campaign.objects.for_client(grant.client).filter(grant=grant).order_by("name", "pk"))


def campaign_days(grant: Grant, start: date, end: date, campaign: str = ""):
    qs = CampaignDay.objects.for_client(grant.client).filter(grant=grant, day__gte=start, day__lte=end)
    if campaign:
        qs = qs.filter(campaign_id=campaign)
    return qs.order_by("campaign_id", "day")


def campaign_report(grant: Grant, start: date, end: date, campaign: str = "") -> list[CampaignReport]:
    """Per campaign (by name), its days in ``[start, end]`` and their totals."""
    names = {c.external_id: c.name for c in campaigns_of(grant)}
    reports: dict[str, CampaignReport] = {}
    for day in campaign_days(grant, start, end, campaign):
        report = reports.setdefault(day.campaign_id, CampaignReport(
            day.campaign_id, names.get(day.campaign_id, "")))
        report.days.append(day)
        report.totals.add(day)
    return sorted(reports.values(), key=lambda r: (r.name, r.campaign_id))


def daily_series(reports: list[CampaignReport], start: date, end: date) -> list[dict[str, Any]]:
    """Spend and clicks per day over every campaign shown, a row for each day of the range
    (``None`` where nothing was reported that day): what the chart draws."""
    by_day: dict[date, Totals] = {}
    for report in reports:
        for day in report.days:
            by_day.setdefault(day.day, Totals()).add(day)
    rows = []
    for n in range((end - start).days + 1):
        day = start + timedelta(days=n)
        totals = by_day.get(day)
        rows.append({"day": day, "spend": totals.spend if totals else None,
                     "clicks": totals.clicks if totals else None})
    return rows


def account_days(grant: Grant, start: date, end: date):
    """The account's own daily figures (the "insights" workflow) in ``[start, end]``."""
    return AccountDay.objects.for_client(grant.client).filter(
        grant=grant, day__gte=start, day__lte=end).order_by("day")


CSV_COLUMNS = ("campaign_id", "campaign", "day", *FIGURES)


def export_report(*, grant: Grant, start: date, end: date, campaign: str = "",
                  actor: Actor) -> str:
    """The campaign report of ``grant`` over ``[start, end]`` as CSV, one row per campaign
    and day, for the client's own use. Only the caller's client's data (the grant was read
    through :func:`.selectors.grant_of` of a client the user may see); audited with the
    campaign, the range and the row count. Cells are safe in a spreadsheet (a campaign's name
    is the advertiser's text)."""
    reports = campaign_report(grant, start, end, campaign)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    records = 0
    for report in reports:
        for day in report.days:
            writer.writerow([safe_cell(v) for v in (
                report.campaign_id, report.name, day.day.isoformat(), day.spend, day.impressions,
                day.clicks, day.ctr, day.cpc, day.cpm, day.conversions)])
            records += 1
    with transaction.atomic():
        append_event(actor=actor, action="integrations.report_exported", obj=grant,
                     details={"client": grant.client.slug, "campaign": campaign or "*",
                              "range": f"{start.isoformat()}/{end.isoformat()}",
                              "records": records, "format": "csv"})
    return out.getvalue()
