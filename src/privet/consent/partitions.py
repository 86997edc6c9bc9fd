"""Monthly range partitions of the receipts table on PostgreSQL.

Receipts are the highest-volume append-only table Privet has, and they expire by age, so on
PostgreSQL the table is partitioned by month on ``created_at`` (migration 0001 creates it with a
DEFAULT partition and the current and next months). :func:`ensure_partitions` creates the months
ahead; run it monthly (``privet manage consent_partitions``, e.g. from cron or the worker host)
so rows never pile up in the default partition. Expiry of a month is
:func:`drop_partitions_before`: one ``DROP TABLE`` instead of millions of ``DELETE``\\ s; the
retention engine decides the cutoff (proof of consent is kept 3 years after it is replaced).

On SQLite the table is a plain table and these functions do nothing.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from django.db import connections, transaction

from privet.errors import PrivetError
from privet.policy.schema import Declaration, period_months

TABLE = "consent_consentreceipt"
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


def ensure_partitions(*, months_ahead: int = 2, today: date | None = None,
                      using: str = "default") -> list[str]:
    """Create the partitions of this month and the next ``months_ahead``; return the new names.

    Idempotent. Fails (with PostgreSQL's message) if the default partition already holds rows
    of a month being created: then move them first, see the README.
    """
    if not is_partitioned(using):
        return []
    first = month_start(today or datetime.now(UTC).date())
    existing = set(month_partitions(using))
    created = []
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        for n in range(months_ahead + 1):
            month = add_months(first, n)
            if month in existing:
                continue
            cursor.execute(
                f'CREATE TABLE "{partition_name(month)}" PARTITION OF "{TABLE}" '
                f"FOR VALUES FROM ('{_bound(month)}') TO ('{_bound(add_months(month, 1))}')"
            )
            created.append(partition_name(month))
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
