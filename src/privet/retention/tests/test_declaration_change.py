"""A rule changed in a newly published declaration changes what the next run expires, from the
day the new version takes effect, with no code change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from privet.policy.services import publish_version
from privet.retention import engine

from .conftest import enquiry

pytestmark = pytest.mark.django_db
WARSAW = ZoneInfo("Europe/Warsaw")
CLOSED = datetime(2030, 3, 15, 10, 0, tzinfo=UTC)  # 11:00 in Warsaw


def version(source: str, *, number: str, effective: str, period: str) -> str:
    """The default declaration as version ``number``, effective on ``effective``, with both
    rules for an enquiry closed without an offer (contact details, its message) set to
    ``period``."""
    old_head = 'id: "1.0"\n  effective: 2026-11-25'
    assert old_head in source
    text = source.replace(old_head, f'id: "{number}"\n  effective: {effective}', 1)
    for category in ("contact_details", "communication_content"):
        rule = f"  - category: {category}\n    purpose: enquiries\n    period: 12m\n"
        assert rule in text, rule
        text = text.replace(rule, rule.replace("12m", period), 1)
    return text


def closed_enquiry():
    with freeze_time(CLOSED):
        return enquiry(received=CLOSED - timedelta(days=5), steps=(("closed", CLOSED),))


def still_there(record) -> bool:
    return type(record).objects.filter(pk=record.pk).exists()


def test_a_shorter_period_expires_records_once_its_version_takes_effect(published,
                                                                         default_source):
    record = closed_enquiry()
    newer = publish_version(source=version(default_source, number="1.1", effective="2030-10-01",
                                           period="6m"), actor="test")
    # Six months have passed, but version 1.0 (twelve months) is still the one in force.
    with freeze_time(datetime(2030, 9, 30, 23, 59, 59, tzinfo=WARSAW)):
        run = engine.sweep()
    assert still_there(record) and run.policy_version == published.content_hash
    with freeze_time(datetime(2030, 10, 1, 0, 0, tzinfo=WARSAW)):
        run = engine.sweep()
    assert not still_there(record) and run.policy_version == newer.content_hash
    assert run.counts["enquiries.without_offer"]["expired"] == 1


def test_a_longer_period_keeps_records_the_old_one_would_have_expired(published, default_source):
    record = closed_enquiry()
    publish_version(source=version(default_source, number="1.1", effective="2031-01-01",
                                   period="24m"), actor="test")
    with freeze_time(datetime(2032, 3, 15, 10, 59, 59, tzinfo=WARSAW)):
        run = engine.sweep()
    assert still_there(record) and run.total("expired") == 0
    with freeze_time(datetime(2032, 3, 15, 11, 0, tzinfo=WARSAW)):
        engine.sweep()
    assert not still_there(record)
