"""Monthly range partitions of the receipts table on PostgreSQL.

Receipts are the highest-volume append-only table Privet has, and they expire by age, so on
PostgreSQL the table is partitioned by month on ``created_at`` (migration 0001 creates it with a
DEFAULT partition and the current and next months). The months ahead maintain themselves:
:func:`keep_ahead`, called by ``record_consent``, runs :func:`ensure_partitions` the first time
each process stores a receipt in a calendar month (one catalogue query; DDL only when a month is
missing), so no cron job has to remember it and rows do not pile up in the default partition.
``privet manage consent_partitions`` does the same by hand, and moves rows that did land in the
default partition into their months (``--move-default``). Expiry of a month is
one ``DROP TABLE`` instead of millions of ``DELETE``\\ s: the retention engine drops a month
through :data:`RECEIPTS` (``RetentionTarget.partitions``) once every receipt in it has expired,
and deletes the expired receipts of the other months (and of the default partition) in batches
(``services.expire_receipts``, the one DELETE the append-only triggers allow, migration 0006).
:func:`drop_partitions_before` drops months by hand (``consent_partitions --drop-before``),
refusing any that may still prove a consent.

The machinery is :class:`privet.core.partitions.MonthlyPartitions`, shared with the technical
log; this module names the receipts' partitions and keeps what is proper to proof of consent.
On SQLite the table is a plain table and these functions do nothing.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from privet.core.partitions import (  # noqa: F401 (the consent app's names for them)
    MONTHS_AHEAD,
    Ensured,
    MonthlyPartitions,
    Skipped,
    add_months,
    month_start,
)
from privet.errors import PrivetError
from privet.policy.schema import Declaration, period_months

TABLE = "consent_consentreceipt"
RECEIPTS = MonthlyPartitions(TABLE, "created_at", noun="receipt(s)", label="consent receipts",
                             command="privet manage consent_partitions", logger=__name__)
DEFAULT = RECEIPTS.default
_kept_ahead = RECEIPTS._kept_ahead  # per database: the month this process last checked
partition_name = RECEIPTS.name
is_partitioned = RECEIPTS.is_partitioned
month_partitions = RECEIPTS.months
rows_in_default = RECEIPTS.rows_in_default
ensure_partitions = RECEIPTS.ensure
keep_ahead = RECEIPTS.keep_ahead
move_default_rows = RECEIPTS.move_default_rows
drop_month = RECEIPTS.drop_month


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
    with transaction.atomic(using=using):
        for old in month_partitions(using):
            if add_months(old, 1) <= month_start(month):
                dropped.append(drop_month(old, using))
    return dropped
