"""GDPR Art. 12(3): one calendar month from receipt, extendable by two further months."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from privet.rights.deadlines import add_months, due_date, first_month_end

WARSAW = ZoneInfo("Europe/Warsaw")


@pytest.mark.parametrize(("received", "extension", "due"), [
    # the same day of the next month
    (datetime(2027, 3, 5, 10, tzinfo=WARSAW), 0, date(2027, 4, 5)),
    # a day the next month lacks is its last day
    (datetime(2027, 1, 31, 10, tzinfo=WARSAW), 0, date(2027, 2, 28)),
    (datetime(2028, 1, 31, 10, tzinfo=WARSAW), 0, date(2028, 2, 29)),  # leap year
    (datetime(2028, 1, 30, 10, tzinfo=WARSAW), 0, date(2028, 2, 29)),
    (datetime(2028, 1, 29, 10, tzinfo=WARSAW), 0, date(2028, 2, 29)),
    (datetime(2027, 3, 31, 10, tzinfo=WARSAW), 0, date(2027, 4, 30)),
    (datetime(2027, 8, 31, 10, tzinfo=WARSAW), 0, date(2027, 9, 30)),
    # across the year's end
    (datetime(2027, 12, 15, 10, tzinfo=WARSAW), 0, date(2028, 1, 15)),
    (datetime(2027, 12, 31, 10, tzinfo=WARSAW), 0, date(2028, 1, 31)),
    # counted on the local calendar: 23:30 UTC on 31 January is 1 February in Warsaw
    (datetime(2027, 1, 31, 23, 30, tzinfo=UTC), 0, date(2027, 3, 1)),
    (datetime(2027, 1, 31, 22, 59, tzinfo=UTC), 0, date(2027, 2, 28)),
    # extensions: three months from receipt, never shortened by a short February
    (datetime(2027, 1, 31, 10, tzinfo=WARSAW), 1, date(2027, 3, 31)),
    (datetime(2027, 1, 31, 10, tzinfo=WARSAW), 2, date(2027, 4, 30)),
    (datetime(2027, 11, 30, 10, tzinfo=WARSAW), 2, date(2028, 2, 29)),
    (datetime(2027, 12, 31, 10, tzinfo=WARSAW), 2, date(2028, 3, 31)),
    (datetime(2027, 3, 5, 10, tzinfo=WARSAW), 2, date(2027, 6, 5)),
])
def test_the_due_date_is_one_calendar_month_from_receipt_plus_any_extension(
        received, extension, due, settings):
    settings.TIME_ZONE = "Europe/Warsaw"
    assert due_date(received, extension_months=extension) == due


def test_days_spent_waiting_for_the_person_move_the_deadline(settings):
    settings.TIME_ZONE = "Europe/Warsaw"
    received = datetime(2027, 1, 31, 10, tzinfo=WARSAW)
    assert due_date(received, paused_days=3) == date(2027, 3, 3)


def test_an_extension_beyond_two_months_is_refused():
    with pytest.raises(ValueError, match="0 to 2"):
        due_date(datetime(2027, 1, 1, tzinfo=UTC), extension_months=3)


def test_the_first_month_ends_when_the_unextended_deadline_does(settings):
    settings.TIME_ZONE = "Europe/Warsaw"
    assert first_month_end(datetime(2027, 1, 31, 10, tzinfo=WARSAW)) == date(2027, 2, 28)
    assert add_months(date(2027, 10, 31), 4) == date(2028, 2, 29)
