from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction
from django.utils import timezone

from privet.audit.services import append_event
from privet.consent import partitions
from privet.errors import PrivetError
from privet.policy.selectors import declaration_in_force


class Command(BaseCommand):
    help = ("Create the monthly partitions of the consent receipts table ahead of time "
            "(PostgreSQL; receipts also do it themselves, once a month per process), move rows "
            "out of the default partition with --move-default, and drop expired months with "
            "--drop-before.")

    def add_arguments(self, parser):
        parser.add_argument("--months-ahead", type=int, default=3,
                            help="Besides this month, how many months to create (default 3).")
        parser.add_argument("--move-default", action="store_true",
                            help="Move receipts that landed in the default partition into "
                                 "partitions of their months (locks the table while it copies).")
        parser.add_argument("--drop-before", metavar="YYYY-MM",
                            help="Drop every month partition that ends before this month starts.")

    def handle(self, *args, months_ahead: int, move_default: bool, drop_before: str | None,
               **options):
        if not partitions.is_partitioned():
            self.stdout.write("The receipts table is not partitioned (SQLite): nothing to do.")
            return
        if move_default:
            self._move_default()
        ensured = partitions.ensure_partitions(months_ahead=months_ahead)
        for name in ensured.created:
            self.stdout.write(f"created {name}")
        for skipped in ensured.skipped:
            self.stderr.write(self.style.WARNING(skipped.reason))
        if drop_before:
            self._drop_before(drop_before)
        months = ", ".join(f"{m:%Y-%m}" for m in partitions.month_partitions())
        self.stdout.write(f"Monthly partitions: {months or 'none'} (plus the default partition).")
        if ensured.skipped:
            raise CommandError(f"{len(ensured.skipped)} month(s) could not be created; see above.")

    def _move_default(self) -> None:
        try:
            with transaction.atomic():
                created = partitions.move_default_rows()
                if created:
                    append_event(actor="cli", action="consent.default_partition_moved",
                                 object_type="consent.consentreceipt",
                                 details={"partitions": created})
        except DatabaseError as exc:
            raise CommandError(f"Could not move the default partition's rows: {exc}") from exc
        for name in created:
            self.stdout.write(f"moved rows of the default partition into {name}")
        if not created:
            self.stdout.write("The default partition holds no receipts: nothing to move.")

    def _drop_before(self, drop_before: str) -> None:
        try:
            month = date.fromisoformat(drop_before + "-01")
        except ValueError:
            raise CommandError(f"--drop-before {drop_before!r}: write a month as YYYY-MM") from None
        declaration = declaration_in_force()
        if declaration is None:
            raise CommandError("No policy is published: the retention of receipts is unknown.")
        with transaction.atomic():
            try:
                dropped = partitions.drop_partitions_before(
                    month, declaration=declaration, today=timezone.localdate()
                )
            except PrivetError as exc:
                raise CommandError(str(exc)) from None
            if dropped:
                append_event(actor="cli", action="consent.partitions_dropped",
                             object_type="consent.consentreceipt",
                             details={"before": drop_before, "partitions": dropped})
        for name in dropped:
            self.stdout.write(f"dropped {name}")
