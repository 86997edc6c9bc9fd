from datetime import date, datetime

import pytest
from django.utils import timezone
from freezegun import freeze_time

from privet.consent.selectors import consent_rates, granted_purposes, latest_receipt
from privet.consent.services import record_consent, user_agent_family
from privet.registry import SubjectQuery, registry

pytestmark = pytest.mark.django_db


def give(policy, *, visitor: str, analytics: bool, marketing: bool, at: datetime, site="softcode"):
    with freeze_time(at):  # given that day (receipts cannot be updated afterwards)
        return record_consent(site=site, visitor_id=visitor, policy_hash=policy.content_hash,
                              choices={"analytics": analytics, "marketing": marketing},
                              method="custom", gpc=False, banner_version="1", language="en")


def local(y, m, d, h=12):
    return timezone.make_aware(datetime(y, m, d, h))


def test_consent_rates_per_purpose_per_local_day(policy):
    give(policy, visitor="a" * 32, analytics=True, marketing=False, at=local(2026, 11, 20, 0))
    give(policy, visitor="b" * 32, analytics=False, marketing=False, at=local(2026, 11, 20, 23))
    give(policy, visitor="c" * 32, analytics=True, marketing=True, at=local(2026, 11, 21))
    give(policy, visitor="d" * 32, analytics=True, marketing=True, at=local(2026, 11, 21), site="privet")
    give(policy, visitor="e" * 32, analytics=True, marketing=True, at=local(2026, 11, 25))
    rates = consent_rates(since=date(2026, 11, 20), until=date(2026, 11, 21), site="softcode")
    table = {(r.day, r.purpose): (r.granted, r.receipts) for r in rates}
    assert table == {
        (date(2026, 11, 20), "analytics"): (1, 2),
        (date(2026, 11, 20), "marketing"): (0, 2),
        (date(2026, 11, 21), "analytics"): (1, 1),
        (date(2026, 11, 21), "marketing"): (1, 1),
    }
    assert rates[0].rate == 0.5
    everywhere = consent_rates(since=date(2026, 11, 21), until=date(2026, 11, 21))
    assert {(r.purpose, r.receipts) for r in everywhere} == {("analytics", 2), ("marketing", 2)}


def test_the_latest_receipt_is_the_choice_in_force(policy):
    give(policy, visitor="a" * 32, analytics=True, marketing=True, at=local(2026, 11, 1))
    give(policy, visitor="a" * 32, analytics=False, marketing=False, at=local(2026, 11, 2))
    assert granted_purposes(latest_receipt("a" * 32)) == ["essential"]
    assert latest_receipt("f" * 32) is None


def test_the_rights_engine_can_export_a_visitors_receipts_but_not_erase_the_proof(policy):
    give(policy, visitor="a" * 32, analytics=True, marketing=False, at=local(2026, 11, 1))
    source = registry.sources["consent_receipts"]
    visitor = SubjectQuery(visitor_id="a" * 32)
    exported = source.export(visitor, actor="test", request_ref="R-1")["consent_receipts"]
    assert [r["choices"]["analytics"] for r in exported] == [True]
    assert source.plan(SubjectQuery(email="ana@example.com")).records == 0
    report = source.erase(visitor, actor="test", request_ref="R-1")
    assert report.erased == 0 and report.kept_records == 1
    [kept] = report.kept
    assert "Art. 7(1)" in kept.reason
    assert [str(r) for r in kept.rules] == ["technical_data/legal_obligations after consent_withdrawn"]


@pytest.mark.parametrize(("ua", "family"), [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/140.0.0.0 Safari/537.36 Edg/140.0.0.0", "Edge"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:141.0) Gecko/20100101 Firefox/141.0", "Firefox"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/18.5 Mobile/15E148 Safari/604.1", "Safari"),
    ("Googlebot/2.1 (+http://www.google.com/bot.html)", "bot"),
    ("", "other"),
])
def test_only_the_browser_family_is_kept(ua, family):
    assert user_agent_family(ua) == family
