"""Reading consent: what the banner shows, which sites may embed it, and the receipts.

Which policy is in force, and the declaration a receipt's hash names, come from
:mod:`privet.policy.selectors` (which caches declarations by hash, once per process).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from privet.policy.schema import CookiePurpose, Declaration
from privet.policy.selectors import declaration_for_hash, declaration_in_force

from .models import ConsentReceipt

# Consent Mode signals that make a purpose "sale or sharing" for Global Privacy Control: a
# browser that sends GPC refuses every purpose that grants one of them (marketing by default).
GPC_REFUSED_SIGNALS = frozenset({"ad_storage", "ad_user_data", "ad_personalization"})

def refused_by_gpc(purpose: CookiePurpose) -> bool:
    return not purpose.required and bool(GPC_REFUSED_SIGNALS & set(purpose.consent_mode))


def purposes_hash(declaration: Declaration) -> str:
    """A short hash of the cookie purposes: when it changes, the banner asks again."""
    dump = [p.model_dump(mode="json") for p in declaration.cookies.purposes]
    return hashlib.sha256(json.dumps(dump, sort_keys=True).encode()).hexdigest()[:12]


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


@dataclass(frozen=True)
class Site:
    """A website that may embed the banner: declared in ``websites``, or this installation."""

    id: str
    origins: frozenset[str]


def site_for(declaration: Declaration, site_id: str) -> Site | None:
    for website in declaration.websites:
        if website.id == site_id:
            return Site(website.id, frozenset(o.lower() for o in website.origins))
    if site_id == settings.PRIVET_CONSENT_SITE:
        return Site(site_id, frozenset({origin_of(settings.SITE_URL)}))
    return None


def allowed_origins(declaration: Declaration | None) -> frozenset[str]:
    """Every origin CORS lets read the consent API: the declared websites' and our own."""
    origins = {origin_of(settings.SITE_URL)}
    if declaration is not None:
        origins.update(o.lower() for w in declaration.websites for o in w.origins)
    return frozenset(origins)


def receipts_for_visitor(visitor_id: str) -> QuerySet[ConsentReceipt]:
    """Every receipt of one visitor id, oldest first: the proof of what they chose and when."""
    return ConsentReceipt.objects.filter(visitor_id=visitor_id.strip().lower()).order_by(
        "created_at", "id"
    )


def latest_receipt(visitor_id: str) -> ConsentReceipt | None:
    """The choice in force for a visitor id (one query)."""
    return receipts_for_visitor(visitor_id).order_by("-created_at", "-id").first()


def granted_purposes(receipt: ConsentReceipt) -> list[str]:
    """The purposes ``receipt`` grants, in the order its policy version declares them. May cost
    one query, the first time a process meets that version
    (:func:`~privet.policy.selectors.declaration_for_hash`)."""
    declaration = declaration_for_hash(receipt.policy_hash)
    return receipt.granted([p.id for p in declaration.cookies.purposes] if declaration else ())


def granted_purpose_labels(receipt: ConsentReceipt, *, lang: str = "en") -> list[str]:
    """The purposes ``receipt`` grants as people read them ("Essential", "Analityczne"), in
    ``lang``, named as the receipt's own policy version names them; a purpose that version does
    not declare, by its id. Costs what :func:`granted_purposes` costs."""
    declaration = declaration_for_hash(receipt.policy_hash)
    labels = {p.id: p.label.get(lang) for p in declaration.cookies.purposes} if declaration else {}
    return [labels.get(purpose, purpose) for purpose in granted_purposes(receipt)]


@dataclass(frozen=True)
class DayRate:
    day: date
    purpose: str
    receipts: int
    granted: int

    @property
    def rate(self) -> float:
        return self.granted / self.receipts if self.receipts else 0.0

    @property
    def percent(self) -> int:
        return round(100 * self.rate)


def consent_rates(
    *, since: date, until: date, site: str | None = None, purposes: list[str] | None = None
) -> list[DayRate]:
    """Per day (local time) and per optional purpose: receipts and how many granted it.

    One aggregate query. ``purposes`` defaults to the optional purposes of the policy in force.
    A day counts every receipt given that day, withdrawals and repeated choices included.
    """
    if purposes is None:
        purposes = list(purpose_labels())
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(since, time.min), tz)
    end = timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min), tz)
    receipts = ConsentReceipt.objects.filter(created_at__gte=start, created_at__lt=end)
    if site:
        receipts = receipts.filter(site=site)
    rows = (
        receipts.annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(
            total=Count("id"),
            **{f"g_{p}": Count("id", filter=Q(**{f"choices__{p}": True})) for p in purposes},
        )
        .order_by("day")
    )
    return [
        DayRate(day=row["day"], purpose=p, receipts=row["total"], granted=row[f"g_{p}"])
        for row in rows
        for p in purposes
    ]


@dataclass(frozen=True)
class PurposeRate:
    purpose: str
    label: str
    receipts: int
    granted: int

    @property
    def percent(self) -> int:
        return round(100 * self.granted / self.receipts) if self.receipts else 0


@dataclass(frozen=True)
class Day:
    """One day of :func:`daily_rates`: its receipts, and a :class:`DayRate` per purpose."""

    day: date
    receipts: int
    rates: list[DayRate]


def daily_rates(*, since: date, until: date, purposes: list[str]) -> list[Day]:
    """:func:`consent_rates` as one row per day, newest first (the panel's table); same query."""
    days: dict[date, Day] = {}
    for rate in consent_rates(since=since, until=until, purposes=purposes):
        days.setdefault(rate.day, Day(rate.day, rate.receipts, [])).rates.append(rate)
    return sorted(days.values(), key=lambda d: d.day, reverse=True)


def purpose_labels(*, lang: str = "en") -> dict[str, str]:
    """The optional cookie purposes of the policy in force, ``{id: label}``, in declared order."""
    declaration = declaration_in_force()
    if declaration is None:
        return {}
    return {p.id: p.label.get(lang) for p in declaration.cookies.purposes if not p.required}


def purpose_rates(*, since: date, until: date, lang: str = "en") -> list[PurposeRate]:
    """Share of receipts granting each optional purpose over a window (the panel's dashboard).

    Sums :func:`consent_rates` over the days, so it costs the same one aggregate query.
    """
    labels = purpose_labels(lang=lang)
    totals = {purpose: [0, 0] for purpose in labels}
    for row in consent_rates(since=since, until=until, purposes=list(labels)):
        totals[row.purpose][0] += row.receipts
        totals[row.purpose][1] += row.granted
    return [PurposeRate(purpose, label, *totals[purpose]) for purpose, label in labels.items()]


def receipts_between(*, since: date, until: date) -> QuerySet[ConsentReceipt]:
    """Every receipt given from ``since`` to ``until`` (local days, both included), oldest first:
    the panel's CSV export of a period. On PostgreSQL only that period's monthly partitions are
    read."""
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(since, time.min), tz)
    end = timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min), tz)
    return ConsentReceipt.objects.filter(created_at__gte=start, created_at__lt=end).order_by(
        "created_at", "id")


# The essential cookie the banner writes: "<visitor id, 32 hex>.<purposes hash>.<grants>".
CONSENT_COOKIE = "privet_consent"
_COOKIE_VISITOR = re.compile(r"^([0-9a-f]{32})\.")


def visitor_id_from_cookie(cookies: Mapping[str, str]) -> str:
    """The visitor id in the browser's own ``privet_consent`` cookie, or "" (no query): how the
    rights portal finds this browser's consent receipts without the person typing an id."""
    match = _COOKIE_VISITOR.match(cookies.get(CONSENT_COOKIE, ""))
    return match.group(1) if match else ""
