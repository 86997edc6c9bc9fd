"""The technical log's monthly partitions on PostgreSQL (migration 0001 makes the table, its
default partition and the current and next months). The writer keeps the months ahead
(:meth:`~privet.core.partitions.MonthlyPartitions.keep_ahead`, free except for a process's first
write in a month); the retention engine drops a month whole once every record in it expired."""

from __future__ import annotations

from privet.core.partitions import MonthlyPartitions

LOG = MonthlyPartitions("telemetry_technicalrecord", "at", noun="record(s)", label="technical log",
                        logger=__name__)
