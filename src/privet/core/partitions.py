"""Monthly range partitions of an append-only table on PostgreSQL.

The highest-volume tables Privet has (consent receipts, the technical log) are append-only and
expire by age, so on PostgreSQL each is range-partitioned by month on its time column (its
migration creates the parent with a DEFAULT partition and the current and next months). One
:class:`MonthlyPartitions` per table answers for its partitions:

- the months ahead maintain themselves: :meth:`~MonthlyPartitions.keep_ahead`, called by the
  code that inserts, runs :meth:`~MonthlyPartitions.ensure` the first time each process inserts
  in a calendar month (one catalogue query; DDL only when a month is missing), so no cron job
  has to remember it and rows do not pile up in the default partition;
- :meth:`~MonthlyPartitions.move_default_rows` moves rows that did land in the default
  partition into their months;
- expiry of a month is :meth:`~MonthlyPartitions.drop_month`: one ``DROP TABLE`` instead of
  millions of ``DELETE``\\ s. The retention engine (:mod:`privet.retention.engine`) decides when
  a month has wholly expired; a target names its table's partitions
  (``RetentionTarget.partitions``).

On SQLite the tables are plain and these methods do nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from django.db import DatabaseError, connections, transaction
from django.utils import timezone

# keep_ahead() creates this month and the next two: a month that cannot be created at once (a
# lock held elsewhere) has two months of first rows to be tried again before it is needed.
MONTHS_AHEAD = 2
# keep_ahead() runs in a request: it must never queue inserts behind a long lock wait.
REQUEST_LOCK_TIMEOUT = "1s"


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    year, month0 = divmod(month.month - 1 + n, 12)
    return date(month.year + year, month0 + 1, 1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """``[start, end)`` of ``month`` in UTC: the partition's range."""
    return (datetime.combine(month_start(month), time.min, UTC),
            datetime.combine(add_months(month_start(month), 1), time.min, UTC))


def _bound(month: date) -> str:
    return f"{month:%Y-%m-%d} 00:00:00+00"


@dataclass(frozen=True)
class Skipped:
    """A month that could not be created, and what the operator should do about it."""

    month: date
    reason: str


@dataclass
class Ensured:
    created: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


@dataclass
class MonthlyPartitions:
    """The monthly partitions of ``table`` on ``column`` (a UTC timestamp), named
    ``<table>_pYYYY_MM``. ``noun`` counts rows in messages ("receipt(s)"), ``label`` names the
    table in log lines ("consent receipts"), written to the ``logger`` of the app that owns it;
    ``command`` is what an operator runs to repair them (``privet manage consent_partitions``)."""

    table: str
    column: str
    noun: str = "row(s)"
    label: str = ""
    command: str = ""
    logger: str = __name__
    _kept_ahead: dict[str, date] = field(default_factory=dict, repr=False, compare=False)

    @property
    def default(self) -> str:
        return f"{self.table}_default"

    def name(self, month: date) -> str:
        return f"{self.table}_p{month:%Y_%m}"

    def is_partitioned(self, using: str = "default") -> bool:
        conn = connections[using]
        if conn.vendor != "postgresql":
            return False
        with conn.cursor() as cursor:
            cursor.execute("SELECT relkind FROM pg_class WHERE relname = %s", [self.table])
            row = cursor.fetchone()
        return bool(row and row[0] == "p")

    def months(self, using: str = "default") -> list[date]:
        """The months that have their own partition, oldest first (not the default one)."""
        if not self.is_partitioned(using):
            return []
        with connections[using].cursor() as cursor:
            cursor.execute(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
                [self.table],
            )
            names = [row[0] for row in cursor.fetchall()]
        pattern = re.compile(rf"^{re.escape(self.table)}_p(\d{{4}})_(\d{{2}})$")
        return sorted(date(int(m[1]), int(m[2]), 1) for n in names if (m := pattern.match(n)))

    def _create_month(self, cursor, month: date) -> None:
        cursor.execute(
            f'CREATE TABLE "{self.name(month)}" PARTITION OF "{self.table}" '
            f"FOR VALUES FROM ('{_bound(month)}') TO ('{_bound(add_months(month, 1))}')"
        )

    def rows_in_default(self, month: date, using: str = "default") -> int:
        """Rows of ``month`` in the default partition: PostgreSQL will not create the month."""
        with connections[using].cursor() as cursor:
            cursor.execute(
                f'SELECT count(*) FROM "{self.default}" WHERE "{self.column}" >= %s '  # noqa: S608 (constant names)
                f'AND "{self.column}" < %s',
                [_bound(month), _bound(add_months(month, 1))],
            )
            return cursor.fetchone()[0]

    def rows_in_month(self, month: date, using: str = "default") -> int:
        """Rows in ``month``'s own partition (one count of one partition)."""
        with connections[using].cursor() as cursor:
            cursor.execute(f'SELECT count(*) FROM "{self.name(month)}"')  # noqa: S608 (constant names)
            return cursor.fetchone()[0]

    def ensure(self, *, months_ahead: int = MONTHS_AHEAD, today: date | None = None,
               using: str = "default", lock_timeout: str | None = None) -> Ensured:
        """Create the partitions of this month and the next ``months_ahead`` that are missing.

        Idempotent, and safe to run from several processes at once. Each month is created in its
        own transaction, so a month that cannot be created (rows of it already in the default
        partition, a lock not granted within ``lock_timeout``) is skipped with a reason saying
        what to do, and the later months are still created.
        """
        result = Ensured()
        if not self.is_partitioned(using):
            return result
        first = month_start(today or datetime.now(UTC).date())
        existing = set(self.months(using))
        for month in (add_months(first, n) for n in range(months_ahead + 1)):
            if month in existing:
                continue
            try:
                with transaction.atomic(using=using), connections[using].cursor() as cursor:
                    if lock_timeout:
                        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [lock_timeout])
                    self._create_month(cursor, month)
            except DatabaseError as exc:
                if month in self.months(using):
                    continue  # another process created it meanwhile
                # In a request (lock_timeout set) no further query: say what to run instead.
                reason = (self._why_not(month, exc, using) if lock_timeout is None else
                          f"{self.name(month)} not created ({type(exc).__name__}); run "
                          f"`{self.command}` to see why and fix it.")
                result.skipped.append(Skipped(month, reason))
                continue
            result.created.append(self.name(month))
        return result

    def _why_not(self, month: date, exc: DatabaseError, using: str) -> str:
        name = self.name(month)
        rows = self.rows_in_default(month, using)
        if rows:
            return (f"{name} not created: {rows} {self.noun} of {month:%Y-%m} are already in the "
                    f"default partition. Run `{self.command} --move-default` to move them into "
                    f"monthly partitions (it locks the table while it copies the default "
                    f"partition), then this month can be created.")
        return f"{name} not created: {str(exc).strip()}. It is tried again on the next run."

    def keep_ahead(self, *, using: str = "default") -> None:
        """Make sure this month and the next :data:`MONTHS_AHEAD` have their partitions.

        Called for every insert, so it costs nothing but a dictionary look-up except the first
        time a process inserts in a calendar month: then one catalogue query, and DDL only for a
        missing month (with a short lock timeout, never holding up inserts for long). A month
        that cannot be created is logged as a warning, the row is stored anyway (the default
        partition takes it), and the month is tried again by other processes and next month.
        """
        month = month_start(timezone.now().astimezone(UTC).date())
        if self._kept_ahead.get(using) == month:
            return
        self._kept_ahead[using] = month
        log = logging.getLogger(self.logger)
        try:
            result = self.ensure(today=month, using=using, lock_timeout=REQUEST_LOCK_TIMEOUT)
        except DatabaseError as exc:  # upkeep must never cost the row being stored
            log.warning("%s: partitions not checked (%s); run `%s`", self.label or self.table,
                        type(exc).__name__, self.command)
            return
        for name in result.created:
            log.info("%s: created partition %s", self.label or self.table, name)
        for skipped in result.skipped:
            log.warning("%s: %s", self.label or self.table, skipped.reason)

    def move_default_rows(self, using: str = "default") -> list[str]:
        """Move rows out of the default partition into partitions of their months.

        Returns the partitions it created. One transaction that holds an exclusive lock on the
        table while it runs (inserts wait, none fail): the default partition is detached, the
        missing months are created, its rows are inserted again through the parent table (ids
        and values unchanged) and the old default partition is dropped. No row is updated or
        deleted, so an append-only trigger has nothing to refuse.
        """
        if not self.is_partitioned(using):
            return []
        moving = f"{self.default}_moving"
        with transaction.atomic(using=using), connections[using].cursor() as cursor:
            month_of_row = f"date_trunc('month', \"{self.column}\" AT TIME ZONE 'UTC')::date"
            cursor.execute(f'SELECT DISTINCT {month_of_row} FROM "{self.default}"')  # noqa: S608 (constants)
            months = sorted(row[0] for row in cursor.fetchall())
            if not months:
                return []
            existing = set(self.months(using))
            cursor.execute(f'ALTER TABLE "{self.table}" DETACH PARTITION "{self.default}"')
            cursor.execute(f'ALTER TABLE "{self.default}" RENAME TO "{moving}"')
            created = []
            for month in months:
                if month not in existing:
                    self._create_month(cursor, month)
                    created.append(self.name(month))
            cursor.execute(f'CREATE TABLE "{self.default}" PARTITION OF "{self.table}" DEFAULT')
            cursor.execute(f'INSERT INTO "{self.table}" SELECT * FROM "{moving}"')  # noqa: S608 (constants)
            cursor.execute(f'DROP TABLE "{moving}"')
        return created

    def drop_month(self, month: date, using: str = "default") -> str:
        """Drop one month's partition (the caller checked that all its rows expired). Detached
        first, so that queries on the parent never wait on the drop's lock for long."""
        name = self.name(month)
        with connections[using].cursor() as cursor:
            cursor.execute(f'ALTER TABLE "{self.table}" DETACH PARTITION "{name}"')
            cursor.execute(f'DROP TABLE "{name}"')
        return name
