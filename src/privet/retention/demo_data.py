"""Demo retention for `privet demo`: old enquiries for a first run to expire, one kept by a legal
hold, one due within the month; then one run, so the panel's Retention page has something to
show (idempotent: skipped once a run exists)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from privet.enquiries import services as enquiries
from privet.enquiries.demo_data import DEMO_DOMAIN

from . import engine, holds
from .models import HoldReason, HoldScope, RetentionRun

ACTOR = "system:demo"

# (name, email, days ago closed): closed enquiries past, at and near their 12 months.
OLD_ENQUIRIES = [
    ("Karol Dąbrowski", "karol", 420),   # expired: the demo's first run deletes it
    ("Olga Kamińska", "olga", 400),      # expired, but under a legal hold: kept
    ("Ivan Horak", "ivan", 350),         # expires within the next 30 days
]


def load(stdout) -> None:
    if RetentionRun.objects.exists():
        stdout.write("Demo retention already run.")
        return
    now = timezone.now()
    for name, email, closed in OLD_ENQUIRIES:
        enquiry = enquiries.log_enquiry(
            data={"name": name, "company": "", "email": email + DEMO_DOMAIN, "phone": "",
                  "project_type": "website", "message": "A quote for a small website."},
            actor=ACTOR, channel="email", received_at=now - timedelta(days=closed + 10))
        enquiries.change_status(enquiry=enquiry, to_status="closed", actor=ACTOR,
                                at=now - timedelta(days=closed))
    holds.place_hold(scope=HoldScope.PERSON, reason=HoldReason.CLAIM, email="olga" + DEMO_DOMAIN,
                     note="She disputes the invoice of the 2025 quote; keep until settled.",
                     actor=ACTOR)
    run = engine.sweep(actor=ACTOR)
    stdout.write(f"Demo retention run {run.reference}: {run.total('expired')} expired, "
                 f"{run.total('held')} kept by a legal hold.")
