from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from privet.audit.models import AuditEvent
from privet.audit.selectors import verify_chain


class Command(BaseCommand):
    help = "Audit log tools. 'verify' walks the hash chain and reports the first broken link."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="Check every hash and link; exit 1 if broken.")
        verify.add_argument(
            "--background", action="store_true",
            help="Queue the check for the task worker; its outcome is written to the log.",
        )

    def handle(self, *args, action: str, **options):
        if options.get("background"):
            from privet.audit.tasks import verify_audit_chain

            result = verify_audit_chain.enqueue()
            self.stdout.write(f"Queued audit verification as task {result.id}.")
            return
        total = AuditEvent.objects.count()
        with Progress(
            TextColumn("Verifying audit chain"), BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(), disable=options["verbosity"] == 0, transient=False,
        ) as progress:
            bar = progress.add_task("verify", total=total)
            result = verify_chain(progress=lambda n: progress.advance(bar, n))
        if not result.ok:
            raise CommandError(
                f"Audit chain BROKEN at event #{result.broken_at}: {result.reason}. "
                f"{result.checked} events before it verified."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {result.checked} events verified."))
