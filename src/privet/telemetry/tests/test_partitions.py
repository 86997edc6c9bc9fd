"""On PostgreSQL the technical log is range-partitioned by month on ``at``; on SQLite it is a
plain table. Either way it is append-only: a record is never changed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction

from privet.telemetry.models import REQUEST, TechnicalRecord
from privet.telemetry.recorder import Entry, flush, recorder

pytestmark = pytest.mark.django_db

TABLE = "telemetry_technicalrecord"
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


def partitions() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                       "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s", [TABLE])
        return sorted(row[0] for row in cursor.fetchall())


@postgres_only
def test_the_log_has_a_partition_for_the_current_month_and_rows_land_in_it():
    now = datetime.now(UTC)
    month = f"{TABLE}_p{now:%Y_%m}"
    assert month in partitions() and f"{TABLE}_default" in partitions()
    recorder.add(Entry(at=now, kind=REQUEST, ip="203.0.113.7", route="x"))
    flush()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {TABLE}")
        assert cursor.fetchone()[0] == month


def test_a_record_is_never_changed():
    recorder.add(Entry(at=datetime.now(UTC), kind=REQUEST, ip="203.0.113.7", route="x"))
    flush()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        TechnicalRecord.objects.update(status=500)
    TechnicalRecord.objects.all().delete()  # retention may delete
    assert not TechnicalRecord.objects.exists()
