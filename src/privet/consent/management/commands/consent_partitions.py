from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction
from django.utils import timezone

from privet.audit.services import append_event
from privet.consent import partitions
from privet.errors import PrivetError
from privet.policy.selectors import current_version


class Command(BaseCommand):
    help = ("Create the monthly partitions of the consent receipts table ahead of time "
            "(PostgreSQL; run monthly), and drop expired months with --drop-before.")

    def add_arguments(self, parser):
        parser.add_argument("--months-ahead", type=int, default=3,
                            help="Besides this month, how many months to create (default 3).")
        parser.add_argument("--drop-before", metavar="YYYY-MM",
                            help="Drop every month partition that ends before this month starts.")

    def handle(self, *args, months_ahead: int, drop_before: str | None, **options):
        if not partitions.is_partitioned():
            self.stdout.write("The receipts table is not partitioned (SQLite): nothing to do.")
            return
        try:
            created = partitions.ensure_partitions(months_ahead=months_ahead)
        except DatabaseError as exc:
            raise CommandError(f"Could not create partitions: {exc}") from exc
        for name in created:
            self.stdout.write(f"created {name}")
        if drop_before:
            try:
                month = date.fromisoformat(drop_before + "-01")
            except ValueError:
                raise CommandError(f"--drop-before {drop_before!r}: write a month as YYYY-MM") from None
            version = current_version()
            if version is None:
                raise CommandError("No policy is published: the retention of receipts is unknown.")
            with transaction.atomic():
                try:
                    dropped = partitions.drop_partitions_before(
                        month, declaration=version.declaration(), today=timezone.localdate()
                    )
                except PrivetError as exc:
                    raise CommandError(str(exc)) from None
                if dropped:
                    append_event(actor="cli", action="consent.partitions_dropped",
                                 object_type="consent.consentreceipt",
                                 details={"before": drop_before, "partitions": dropped})
            for name in dropped:
                self.stdout.write(f"dropped {name}")
        months = ", ".join(f"{m:%Y-%m}" for m in partitions.month_partitions())
        self.stdout.write(f"Monthly partitions: {months or 'none'} (plus the default partition).")
