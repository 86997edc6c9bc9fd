"""On PostgreSQL the receipts table is range-partitioned by month; on SQLite it is plain."""

import logging
from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

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


def give(policy, visitor: str = "b" * 32) -> ConsentReceipt:
    return record_consent(site="softcode", visitor_id=visitor, choices={}, method="reject_all",
                          policy_hash=policy.content_hash, gpc=False, banner_version="1",
                          language="en")


def stray(policy, at: datetime) -> ConsentReceipt:
    """A receipt of a month that has no partition, straight into the table: how rows reach the
    default partition when nothing made the month in time (keep_ahead would, so bypass it)."""
    return ConsentReceipt.objects.create(
        created_at=at, site="softcode", visitor_id="c" * 32, choices={"essential": True},
        method="reject_all", gpc=False, policy_hash=policy.content_hash, banner_version="1",
        language="en", user_agent_family="other",
    )


@postgres_only
def test_months_ahead_are_created_and_expired_months_dropped(policy, capsys):
    call_command("consent_partitions", "--months-ahead", "4")
    this_month = datetime.now(UTC).date().replace(day=1)
    assert partitions.add_months(this_month, 4) in partitions.month_partitions()
    assert partitions.ensure_partitions(months_ahead=4).created == []  # idempotent

    assert partitions.ensure_partitions(today=date(2020, 1, 1), months_ahead=0).created == [
        f"{partitions.TABLE}_p2020_01"]
    with freeze_time("2020-01-15 12:00:00"):
        old = give(policy)
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


@postgres_only
def test_a_month_with_rows_in_the_default_partition_is_skipped_and_the_rest_created(policy, capsys):
    blocked = stray(policy, datetime(2030, 3, 5, tzinfo=UTC))
    assert where(blocked) == partitions.DEFAULT
    result = partitions.ensure_partitions(today=date(2030, 2, 1), months_ahead=2)
    assert result.created == [f"{partitions.TABLE}_p2030_02", f"{partitions.TABLE}_p2030_04"]
    [skipped] = result.skipped
    assert skipped.month == date(2030, 3, 1)
    assert "1 receipt(s) of 2030-03 are already in the default partition" in skipped.reason
    assert "consent_partitions --move-default" in skipped.reason

    # The command says the same, creates what it can and exits non-zero for cron to notice.
    with freeze_time("2030-02-10"), pytest.raises(CommandError, match="1 month"):
        call_command("consent_partitions")
    assert "--move-default" in capsys.readouterr().err

    # --move-default moves the rows into their month, same id and values, nothing lost.
    call_command("consent_partitions", "--move-default")
    assert f"into {partitions.TABLE}_p2030_03" in capsys.readouterr().out
    assert where(blocked) == f"{partitions.TABLE}_p2030_03"
    assert ConsentReceipt.objects.get(pk=blocked.pk).created_at == blocked.created_at
    assert partitions.rows_in_default(date(2030, 3, 1)) == 0
    assert AuditEvent.objects.filter(action="consent.default_partition_moved").exists()
    # and the default partition is a working, append-only default partition again
    later = stray(policy, datetime(2031, 7, 1, tzinfo=UTC))
    assert where(later) == partitions.DEFAULT
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsentReceipt.objects.filter(pk=later.pk).delete()


@postgres_only
def test_receipts_keep_the_months_ahead_without_any_cron(policy, caplog):
    partitions._kept_ahead.clear()
    with freeze_time("2032-05-20 10:00:00"), caplog.at_level(logging.INFO, "privet.consent"):
        receipt = give(policy)
    months = partitions.month_partitions()
    assert {date(2032, 5, 1), date(2032, 6, 1), date(2032, 7, 1)} <= set(months)
    assert where(receipt) == f"{partitions.TABLE}_p2032_05"
    assert "created partition consent_consentreceipt_p2032_07" in caplog.text

    # Once a month per process: the next receipts of that month cost no catalogue query.
    with freeze_time("2032-05-21 10:00:00"), CaptureQueriesContext(connection) as queries:
        give(policy, "d" * 32)
    assert len(queries) == 1  # the INSERT

    # A month it cannot create is logged with what to do, and the receipt is stored anyway.
    partitions._kept_ahead.clear()
    stray(policy, datetime(2032, 10, 2, tzinfo=UTC))
    with freeze_time("2032-08-03 10:00:00"), caplog.at_level(logging.WARNING, "privet.consent"):
        stored = give(policy, "e" * 32)
    assert "p2032_10 not created (IntegrityError)" in caplog.text
    assert "privet manage consent_partitions" in caplog.text  # which then says --move-default
    assert where(stored) == f"{partitions.TABLE}_p2032_08"
    assert date(2032, 9, 1) in partitions.month_partitions()


@postgres_only
def test_the_engine_deletes_expired_receipts_and_drops_a_month_once_all_of_it_expired(policy):
    from privet.retention import engine

    partitions.ensure_partitions(today=date(2020, 1, 1), months_ahead=1)  # Jan and Feb 2020
    early, late = (stray(policy, datetime(2020, 1, d, tzinfo=UTC)) for d in (3, 20))
    feb = stray(policy, datetime(2020, 2, 27, tzinfo=UTC))

    def alive() -> set[int]:
        return set(ConsentReceipt.objects.filter(pk__in=[early.pk, late.pk, feb.pk])
                   .values_list("pk", flat=True))

    # The cookie's year, then 3 years of proof: on 10 January 2024 only the 3 January receipt
    # has run out. Its month is not wholly expired, so the receipt is deleted on its own.
    run = engine.sweep(now=datetime(2024, 1, 10, tzinfo=UTC))
    assert alive() == {late.pk, feb.pk}
    assert run.counts["consent.receipts"]["partitions"] == []
    assert date(2020, 1, 1) in partitions.month_partitions()
    event = AuditEvent.objects.get(action="consent.receipts_expired")
    assert event.actor == "system:retention" and run.reference in event.details
    # A month later all of January has run out: its partition is dropped whole.
    run = engine.sweep(now=datetime(2024, 2, 10, tzinfo=UTC))
    assert alive() == {feb.pk}
    assert run.counts["consent.receipts"]["partitions"] == [f"{partitions.TABLE}_p2020_01"]
    assert date(2020, 1, 1) not in partitions.month_partitions()
    assert AuditEvent.objects.filter(action="retention.partition_dropped").count() == 1
