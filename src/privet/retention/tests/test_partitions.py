"""On PostgreSQL a wholly expired month of an append-only table goes in one statement."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection

from privet.audit.models import AuditEvent
from privet.consent.models import ConsentReceipt
from privet.consent.partitions import RECEIPTS
from privet.retention import engine, holds
from privet.retention.models import HoldReason, HoldScope

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")]


def receipt(policy, at: datetime, visitor: str = "c" * 32) -> ConsentReceipt:
    return ConsentReceipt.objects.create(
        created_at=at, site="softcode", visitor_id=visitor, choices={"essential": True},
        method="reject_all", gpc=False, policy_hash=policy.content_hash, banner_version="1",
        language="en", user_agent_family="other")


def test_a_wholly_expired_month_is_dropped_and_a_month_still_needed_is_not(published):
    for month in (date(2020, 1, 1), date(2020, 2, 1), date(2024, 6, 1)):
        RECEIPTS.ensure(today=month, months_ahead=0)
    old = [receipt(published, datetime(2020, 1, d, 12, tzinfo=UTC)) for d in (1, 15, 31)]
    held = receipt(published, datetime(2020, 2, 10, tzinfo=UTC), visitor="d" * 32)
    recent = receipt(published, datetime(2024, 6, 10, tzinfo=UTC))
    holds.place_hold(scope=HoldScope.PERSON, reason=HoldReason.AUTHORITY, visitor_id="d" * 32,
                     actor="test")

    # Proof of consent: the cookie's 12 months, then 3 years. January 2020 ran out in 2024.
    run = engine.sweep(now=datetime(2026, 12, 1, tzinfo=UTC))
    counts = run.counts["consent.receipts"]
    assert counts["partitions"] == ["consent_consentreceipt_p2020_01"]
    assert date(2020, 1, 1) not in RECEIPTS.months()
    assert not ConsentReceipt.objects.filter(pk__in=[r.pk for r in old]).exists()
    assert set(ConsentReceipt.objects.values_list("pk", flat=True)) >= {held.pk, recent.pk}
    event = AuditEvent.objects.get(action="retention.partition_dropped")
    assert "p2020_01" in event.details and run.reference in event.details
    assert counts["held"] == 1  # February 2020 has a held receipt: its month stays
    assert date(2020, 2, 1) in RECEIPTS.months()
