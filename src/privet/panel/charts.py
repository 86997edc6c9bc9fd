"""Server-drawn SVG charts for the panel: inline ``<svg>`` markup, every text escaped
(:func:`~django.utils.html.format_html`), no script and no ``style`` attribute (the panel's
strict CSP): colours and strokes come from classes in ``panel/panel.css``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 56, 16, 28


def _points(values: Sequence[Decimal | int | None], top: float) -> list[tuple[float, float]]:
    """Each day's (x, y), a day without a figure left out."""
    count = len(values)
    span = WIDTH - LEFT - RIGHT
    points = []
    for n, value in enumerate(values):
        if value is None:
            continue
        x = LEFT + (span * n / (count - 1) if count > 1 else span / 2)
        y = TOP + (HEIGHT - TOP - BOTTOM) * (1 - (float(value) / top if top else 0))
        points.append((round(x, 1), round(y, 1)))
    return points


def spend_and_clicks(days: Sequence[date], spend: Sequence[Decimal | None],
                     clicks: Sequence[int | None], *, title: str, spend_label: str,
                     clicks_label: str) -> SafeString:
    """A line chart of spend (left axis) and clicks (right axis) per day, each line scaled to
    its own highest figure (shown at the top of its axis)."""
    top_spend = max([float(v) for v in spend if v is not None], default=0.0)
    top_clicks = max([float(v) for v in clicks if v is not None], default=0.0)
    base = HEIGHT - BOTTOM
    lines = []
    for name, values, top in (("spend", spend, top_spend), ("clicks", clicks, top_clicks)):
        points = _points(values, top)
        if points:
            lines.append(format_html(
                '<polyline class="chart-line chart-{}" points="{}"/>', name,
                " ".join(f"{x},{y}" for x, y in points)))
    first = days[0].isoformat() if days else ""
    last = days[-1].isoformat() if days else ""
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="chart-title" '
        'xmlns="http://www.w3.org/2000/svg"><title id="chart-title">{title}</title>'
        '<line class="chart-axis" x1="{l}" y1="{b}" x2="{r}" y2="{b}"/>'
        '<line class="chart-axis" x1="{l}" y1="{t}" x2="{l}" y2="{b}"/>'
        '<line class="chart-axis" x1="{r}" y1="{t}" x2="{r}" y2="{b}"/>'
        '{lines}'
        '<text class="chart-label chart-spend-text" x="{lt}" y="{ty}" text-anchor="end">{ts}</text>'
        '<text class="chart-label chart-clicks-text" x="{rt}" y="{ty}">{tc}</text>'
        '<text class="chart-label" x="{l}" y="{dy}">{first}</text>'
        '<text class="chart-label" x="{r}" y="{dy}" text-anchor="end">{last}</text>'
        '<text class="chart-label chart-spend-text" x="{l}" y="{ly}">{sl}</text>'
        '<text class="chart-label chart-clicks-text" x="{r}" y="{ly}" text-anchor="end">{cl}</text>'
        '</svg>',
        w=WIDTH, h=HEIGHT, title=title, l=LEFT, r=WIDTH - RIGHT, t=TOP, b=base,
        lines=format_html_join("", "{}", ((line,) for line in lines)),
        lt=LEFT - 4, rt=WIDTH - RIGHT + 4, ty=TOP + 10,
        ts=f"{top_spend:.2f}", tc=f"{top_clicks:.0f}", dy=HEIGHT - 8, ly=TOP - 4,
        first=first, last=last, sl=spend_label, cl=clicks_label)
