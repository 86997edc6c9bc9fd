"""Monthly range partitions of the receipts table on PostgreSQL.

Receipts are the highest-volume append-only table Privet has, and they expire by age, so on
PostgreSQL the table is partitioned by month on ``created_at`` (migration 0001 creates it with a
DEFAULT partition and the current and next months). The months ahead maintain themselves:
:func:`keep_ahead`, called by ``record_consent``, runs :func:`ensure_partitions` the first time
each process stores a receipt in a calendar month (one catalogue query; DDL only when a month is
missing), so no cron job has to remember it and rows do not pile up in the default partition.
``privet manage consent_partitions`` does the same by hand, and moves rows that did land in the
default partition into their months (``--move-default``). Expiry of a month is
:func:`drop_partitions_before`: one ``DROP TABLE`` instead of millions of ``DELETE``\\ s (which
the append-only trigger of migration 0002 refuses anyway); the retention engine decides the
cutoff (proof of consent is kept 3 years after it is replaced).

On SQLite the table is a plain table and these functions do nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.db import DatabaseError, connections, transaction
from django.utils import timezone

from privet.errors import PrivetError
from privet.policy.schema import Declaration, period_months

TABLE = "consent_consentreceipt"
DEFAULT = f"{TABLE}_default"
# keep_ahead() creates this month and the next two: a month that cannot be created at once (a
# lock held elsewhere) has two months of first receipts to be tried again before it is needed.
MONTHS_AHEAD = 2
# keep_ahead() runs in a receipt's request: it must never queue inserts behind a long lock wait.
REQUEST_LOCK_TIMEOUT = "1s"

logger = logging.getLogger(__name__)
_NAME_RE = re.compile(rf"^{TABLE}_p(\d{{4}})_(\d{{2}})$")


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    year, month0 = divmod(month.month - 1 + n, 12)
    return date(month.year + year, month0 + 1, 1)


def partition_name(month: date) -> str:
    return f"{TABLE}_p{month:%Y_%m}"


def _bound(month: date) -> str:
    return f"{month:%Y-%m-%d} 00:00:00+00"


def is_partitioned(using: str = "default") -> bool:
    conn = connections[using]
    if conn.vendor != "postgresql":
        return False
    with conn.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE relname = %s", [TABLE])
        row = cursor.fetchone()
    return bool(row and row[0] == "p")


def month_partitions(using: str = "default") -> list[date]:
    """The months that have their own partition, oldest first (the default one not included)."""
    if not is_partitioned(using):
        return []
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [TABLE],
        )
        names = [row[0] for row in cursor.fetchall()]
    months = [date(int(m[1]), int(m[2]), 1) for n in names if (m := _NAME_RE.match(n))]
    return sorted(months)


@dataclass(frozen=True)
class Skipped:
    """A month that could not be created, and what the operator should do about it."""

    month: date
    reason: str


@dataclass
class Ensured:
    created: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def _create_month(cursor, month: date) -> None:
    cursor.execute(
        f'CREATE TABLE "{partition_name(month)}" PARTITION OF "{TABLE}" '
        f"FOR VALUES FROM ('{_bound(month)}') TO ('{_bound(add_months(month, 1))}')"
    )


def rows_in_default(month: date, using: str = "default") -> int:
    """Receipts of ``month`` in the default partition: PostgreSQL will not create the month then."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            f'SELECT count(*) FROM "{DEFAULT}" WHERE created_at >= %s AND created_at < %s',  # noqa: S608 (constant name)
            [_bound(month), _bound(add_months(month, 1))],
        )
        return cursor.fetchone()[0]


def ensure_partitions(*, months_ahead: int = MONTHS_AHEAD, today: date | None = None,
                      using: str = "default", lock_timeout: str | None = None) -> Ensured:
    """Create the partitions of this month and the next ``months_ahead`` that are missing.

    Idempotent, and safe to run from several processes at once. Each month is created in its
    own transaction, so a month that cannot be created (receipts of it already in the default
    partition, a lock not granted within ``lock_timeout``) is skipped with a reason saying what
    to do, and the later months are still created.
    """
    result = Ensured()
    if not is_partitioned(using):
        return result
    first = month_start(today or datetime.now(UTC).date())
    existing = set(month_partitions(using))
    for month in (add_months(first, n) for n in range(months_ahead + 1)):
        if month in existing:
            continue
        try:
            with transaction.atomic(using=using), connections[using].cursor() as cursor:
                if lock_timeout:
                    cursor.execute("SELECT set_config('lock_timeout', %s, true)", [lock_timeout])
                _create_month(cursor, month)
        except DatabaseError as exc:
            if month in month_partitions(using):
                continue  # another process created it meanwhile
            # In a request (lock_timeout set) no further query: say what to run instead.
            reason = (_why_not(month, exc, using) if lock_timeout is None else
                      f"{partition_name(month)} not created ({type(exc).__name__}); run "
                      "`privet manage consent_partitions` to see why and fix it.")
            result.skipped.append(Skipped(month, reason))
            continue
        result.created.append(partition_name(month))
    return result


def _why_not(month: date, exc: DatabaseError, using: str) -> str:
    name = partition_name(month)
    rows = rows_in_default(month, using)
    if rows:
        return (f"{name} not created: {rows} receipt(s) of {month:%Y-%m} are already in the "
                f"default partition. Run `privet manage consent_partitions --move-default` to "
                f"move them into monthly partitions (it locks the receipts table while it copies "
                f"the default partition), then this month can be created.")
    return f"{name} not created: {str(exc).strip()}. It is tried again on the next run."


_kept_ahead: dict[str, date] = {}  # per database: the month this process last checked


def keep_ahead(*, using: str = "default") -> None:
    """Make sure this month and the next :data:`MONTHS_AHEAD` have their partitions.

    Called for every receipt, so it costs nothing but a dictionary look-up except the first
    time a process stores a receipt in a calendar month: then one catalogue query, and DDL only
    for a missing month (with a short lock timeout, never holding up inserts for long). A month
    that cannot be created is logged as a warning, the receipt is stored anyway (the default
    partition takes it), and the month is tried again by other processes and next month.
    """
    month = month_start(timezone.now().astimezone(UTC).date())
    if _kept_ahead.get(using) == month:
        return
    _kept_ahead[using] = month
    try:
        result = ensure_partitions(today=month, using=using, lock_timeout=REQUEST_LOCK_TIMEOUT)
    except DatabaseError as exc:  # upkeep must never cost a visitor's receipt
        logger.warning("consent receipts: partitions not checked (%s); run `privet manage "
                       "consent_partitions`", type(exc).__name__)
        return
    for name in result.created:
        logger.info("consent receipts: created partition %s", name)
    for skipped in result.skipped:
        logger.warning("consent receipts: %s", skipped.reason)


def move_default_rows(using: str = "default") -> list[str]:
    """Move receipts out of the default partition into partitions of their months.

    Returns the partitions it created. One transaction that holds an exclusive lock on the
    receipts table while it runs (inserts wait, none fail): the default partition is detached,
    the missing months are created, its rows are inserted again through the parent table (ids
    and values unchanged) and the old default partition is dropped. No row is updated or
    deleted, so the append-only trigger has nothing to refuse.
    """
    if not is_partitioned(using):
        return []
    moving = f"{DEFAULT}_moving"
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        month_of_row = "date_trunc('month', created_at AT TIME ZONE 'UTC')::date"
        cursor.execute(f'SELECT DISTINCT {month_of_row} FROM "{DEFAULT}"')  # noqa: S608 (constants)
        months = sorted(row[0] for row in cursor.fetchall())
        if not months:
            return []
        existing = set(month_partitions(using))
        cursor.execute(f'ALTER TABLE "{TABLE}" DETACH PARTITION "{DEFAULT}"')
        cursor.execute(f'ALTER TABLE "{DEFAULT}" RENAME TO "{moving}"')
        created = []
        for month in months:
            if month not in existing:
                _create_month(cursor, month)
                created.append(partition_name(month))
        cursor.execute(f'CREATE TABLE "{DEFAULT}" PARTITION OF "{TABLE}" DEFAULT')
        cursor.execute(f'INSERT INTO "{TABLE}" SELECT * FROM "{moving}"')  # noqa: S608 (constants)
        cursor.execute(f'DROP TABLE "{moving}"')
    return created


# A choice lives in the banner's cookie for a year (Max-Age=31536000 in consent.js): a receipt
# can prove the consent in force for that long before the declared retention even starts.
CONSENT_COOKIE_MONTHS = 12


class DropTooRecent(PrivetError):
    code = "partitions_still_needed"


def latest_droppable_month(declaration: Declaration, today: date) -> date:
    """The latest ``--drop-before`` month whose receipts can no longer be needed as proof.

    Cookie lifetime plus the declared period for proof of consent (technical data kept for
    legal obligations after ``consent_withdrawn``; 3 years in the default declaration).
    """
    rules = [r for r in declaration.rules_for(category="technical_data", purpose="legal_obligations")
             if r.after == "consent_withdrawn"]
    keep = max((period_months(r.period) for r in rules), default=0)
    return add_months(month_start(today), -(CONSENT_COOKIE_MONTHS + keep))


def drop_month(month: date, using: str = "default") -> str:
    """Drop one month's partition (the caller checked that all its receipts expired)."""
    name = partition_name(month)
    with connections[using].cursor() as cursor:
        cursor.execute(f'DROP TABLE "{name}"')
    return name


def drop_partitions_before(
    month: date, *, declaration: Declaration, today: date, using: str = "default"
) -> list[str]:
    """Drop every monthly partition that ends on or before ``month`` starts; return their names.

    Refuses (:class:`DropTooRecent`) a month later than :func:`latest_droppable_month`: those
    receipts may still be the only proof of a consent in force.
    """
    floor = latest_droppable_month(declaration, today)
    if month_start(month) > floor:
        raise DropTooRecent(
            f"Receipts from {floor:%Y-%m} on may still prove a consent (the cookie lasts "
            f"{CONSENT_COOKIE_MONTHS} months, then the declared retention runs); the latest month "
            f"you can drop before is {floor:%Y-%m}."
        )
    if not is_partitioned(using):
        return []
    dropped = []
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        for old in month_partitions(using):
            if add_months(old, 1) <= month_start(month):
                cursor.execute(f'DROP TABLE "{partition_name(old)}"')
                dropped.append(partition_name(old))
    return dropped
