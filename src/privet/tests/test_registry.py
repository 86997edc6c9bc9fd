"""Expiry arithmetic of retention targets: local calendar years, delays, the latest rule."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from privet.policy.loader import load_declaration
from privet.registry import rule_expiry

WARSAW = ZoneInfo("Europe/Warsaw")
DECLARATION = load_declaration(settings.PRIVET_DEFAULT_POLICY_FILE)
[PROJECT_RULE] = DECLARATION.rules_for(category="contact_details", purpose="delivery")


def test_a_year_end_rule_ends_with_the_local_calendar_year():
    ended = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    end = rule_expiry(PROJECT_RULE, ended)  # 6 years, to the end of that year
    assert end.astimezone(WARSAW).replace(tzinfo=None) == datetime(2033, 1, 1)
    assert datetime(2032, 12, 31, 23, 59, tzinfo=WARSAW) < end  # still there at 23:59


def test_a_trigger_just_after_midnight_in_warsaw_is_in_the_new_year():
    # 23:30 UTC on 31 December is 00:30 on 1 January in Warsaw: the claims year is 2027.
    end = rule_expiry(PROJECT_RULE, datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    assert end.astimezone(WARSAW).replace(tzinfo=None) == datetime(2034, 1, 1)  # end of 2033
