"""On PostgreSQL the receipts table is range-partitioned by month; on SQLite it is plain."""

from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command
from django.db import connection

from privet.audit.models import AuditEvent
from privet.consent import partitions
from privet.consent.models import ConsentReceipt
from privet.consent.services import record_consent

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


def where(receipt: ConsentReceipt) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {partitions.TABLE} WHERE id = %s",
                       [receipt.pk])
        return cursor.fetchone()[0]


def test_sqlite_keeps_a_plain_table_and_the_command_says_so(capsys):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only")
    assert partitions.is_partitioned() is False
    call_command("consent_partitions")
    assert "not partitioned" in capsys.readouterr().out


@postgres_only
def test_the_table_is_partitioned_with_this_and_next_month(policy):
    assert partitions.is_partitioned()
    # The migration made the month the test database was created in and the next one; a session
    # that started before midnight UTC at a month's end runs this test in that next month.
    first, second = partitions.month_partitions()[:2]
    assert second == partitions.add_months(first, 1)
    assert datetime.now(UTC).date().replace(day=1) in (first, second)
    receipt = record_consent(site="softcode", visitor_id="a" * 32, choices={}, method="reject_all",
                             policy_hash=policy.content_hash, gpc=False, banner_version="1",
                             language="en")
    month = partitions.month_start(receipt.created_at.astimezone(UTC).date())
    assert where(receipt) == partitions.partition_name(month)
    assert ConsentReceipt.objects.get(pk=receipt.pk) == receipt  # id alone still finds it


@postgres_only
def test_months_ahead_are_created_and_expired_months_dropped(policy, capsys):
    call_command("consent_partitions", "--months-ahead", "4")
    this_month = datetime.now(UTC).date().replace(day=1)
    assert partitions.add_months(this_month, 4) in partitions.month_partitions()
    assert partitions.ensure_partitions(months_ahead=4) == []  # idempotent

    assert partitions.ensure_partitions(today=date(2020, 1, 1), months_ahead=0) == [
        f"{partitions.TABLE}_p2020_01"]
    old = record_consent(site="softcode", visitor_id="b" * 32, choices={}, method="reject_all",
                         policy_hash=policy.content_hash, gpc=False, banner_version="1",
                         language="en")
    ConsentReceipt.objects.filter(pk=old.pk).update(created_at=datetime(2020, 1, 15, tzinfo=UTC))
    assert where(old) == f"{partitions.TABLE}_p2020_01"
    call_command("consent_partitions", "--drop-before", "2020-02")
    assert f"dropped {partitions.TABLE}_p2020_01" in capsys.readouterr().out
    assert not ConsentReceipt.objects.filter(pk=old.pk).exists()
    event = AuditEvent.objects.get(action="consent.partitions_dropped")
    assert "p2020_01" in event.details


def test_receipts_that_may_still_prove_consent_cannot_be_dropped(policy):
    from django.core.management.base import CommandError

    from privet.errors import PrivetError

    decl = policy.declaration()
    # Cookie lifetime (12 months) + proof of consent kept 3 years after withdrawal.
    assert partitions.latest_droppable_month(decl, date(2026, 11, 25)) == date(2022, 11, 1)
    with pytest.raises(PrivetError, match="latest month you can drop before is 2022-11"):
        partitions.drop_partitions_before(date(2023, 1, 1), declaration=decl, today=date(2026, 11, 25))
    if partitions.is_partitioned():
        with pytest.raises(CommandError, match="may still prove a consent"):
            call_command("consent_partitions", "--drop-before", date.today().strftime("%Y-%m"))
        assert not AuditEvent.objects.filter(action="consent.partitions_dropped").exists()
