"""GDPR Art. 12(3): the answer is due "within one month of receipt of the request", extendable
"by two further months where necessary", the extension told to the person, with its reasons,
within the first month.

The rule Privet applies (the README's "Rights" section says why):

- **From receipt, not from verification.** Art. 12(3) says "of receipt"; the EDPB's guidelines on
  the right of access (01/2022, section 5.3) read it the same way. A request is received when it
  reaches us: the portal's submit, the API call, or the day an operator says a letter arrived.
  Time spent waiting for the *person* (more proof of identity asked for under Art. 12(6)) is
  added to the deadline, day for day: the person holds the request up, not us.
- **Calendar months.** Received on the 5th, due on the 5th of the next month; a day the next
  month lacks is its last day (31 January -> 28 or 29 February; 31 March -> 30 April). Counted
  on the local calendar (``PRIVET_TIME_ZONE``), so 23:30 on 31 January in Warsaw is January.
- **No weekend or holiday roll-over.** EU Regulation 1182/71 would move a period ending on a
  Sunday or public holiday to the next working day; Privet keeps the earlier day, which is
  always lawful and needs no holiday calendar.
- **Extension** by one or two months, counted from the original due date the same way, and
  only while the first month runs (after it, Art. 12(3) no longer allows telling the person).
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

from django.utils import timezone

MONTH = 1
MAX_EXTENSION_MONTHS = 2
VERIFICATION_HOURS = 24  # a verification link works this long
UNVERIFIED_CLOSE_DAYS = 7  # an unverified request closes itself after this
DOWNLOAD_DAYS = 7  # an export archive's link works this long, then the archive is deleted
REMIND_DAYS_BEFORE = (7, 2, 0)  # the assigned operator is reminded this many days before


def local_date(moment: datetime) -> date:
    """The local calendar day of ``moment`` (the site's zone, not a request's activated one)."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def local_today() -> date:
    return local_date(timezone.now())


def add_months(day: date, months: int) -> date:
    """``day`` plus whole calendar months; a day the target month lacks is its last day."""
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    return day.replace(year=year, month=month0 + 1,
                       day=min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def first_month_end(received_at: datetime) -> date:
    """The last day of the first month: the day by which an extension must be told."""
    return add_months(local_date(received_at), MONTH)


def due_date(received_at: datetime, *, extension_months: int = 0, paused_days: int = 0) -> date:
    """The last day to answer a request received at ``received_at``.

    >>> from datetime import datetime, UTC
    >>> due_date(datetime(2027, 1, 31, 12, tzinfo=UTC))
    datetime.date(2027, 2, 28)
    """
    if not 0 <= extension_months <= MAX_EXTENSION_MONTHS:
        raise ValueError(f"an extension is 0 to {MAX_EXTENSION_MONTHS} months")
    due = add_months(local_date(received_at), MONTH + extension_months)
    if extension_months:
        # Two further months counted from the first due date: 31 Jan -> 28 Feb -> 28 Apr
        # would shorten it; from receipt (31 Jan -> 30 Apr) is what "three months" means.
        due = max(due, add_months(add_months(local_date(received_at), MONTH), extension_months))
    return due + timedelta(days=paused_days)


def days_left(due_on: date, today: date | None = None) -> int:
    """Whole days until the due date (0 on the day itself, negative once overdue)."""
    return (due_on - (today or local_today())).days
