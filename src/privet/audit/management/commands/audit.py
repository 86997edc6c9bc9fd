from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from privet.audit.models import AuditEvent
from privet.audit.selectors import Head, verify_chain


class Command(BaseCommand):
    help = ("Audit log tools. 'verify' checks every hash, link and seal, reports the first broken "
            "event and exits 1 if there is one.")

    def add_arguments(self, parser):
        # A positional choice, not a subparser: a subparser would not know Django's own options
        # (-v 0, --settings, --no-color...) that come after it, as in `privet audit verify -v 0`.
        parser.add_argument("action", choices=["verify"], help="what to do: verify")
        verify = parser.add_argument_group("verify")
        verify.add_argument(
            "--background", action="store_true",
            help="Queue the check for the task worker; its outcome is written to the log.",
        )
        verify.add_argument(
            "--anchor", metavar="FILE",
            help="A file outside the database holding the head of the last good verification: "
                 "the chain must still contain it (so removed newest events or a rewritten chain "
                 "are caught); after a good run the new head is written to it.",
        )

    def handle(self, *args, action: str, **options):
        quiet = options["verbosity"] == 0
        if options.get("background"):
            if options.get("anchor"):
                raise CommandError("--anchor needs the file on this machine; run it without "
                                   "--background (the worker's outcome goes to its log only).")
            from privet.audit.tasks import verify_audit_chain

            result = verify_audit_chain.enqueue()
            if not quiet:
                self.stdout.write(f"Queued audit verification as task {result.id}.")
            return
        anchor_file = Path(options["anchor"]) if options.get("anchor") else None
        anchor = self.read_anchor(anchor_file) if anchor_file else None
        total = AuditEvent.objects.count()
        with Progress(
            TextColumn("Verifying audit chain"), BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(), disable=quiet, transient=False,
        ) as progress:
            bar = progress.add_task("verify", total=total)
            result = verify_chain(progress=lambda n: progress.advance(bar, n), anchor=anchor)
        if not result.ok:
            raise CommandError(
                f"Audit chain BROKEN at event #{result.broken_at}: {result.reason}. "
                f"{result.checked} events before it verified."
            )
        if result.head and anchor_file:
            anchor_file.write_text(f"{result.head}\n", encoding="utf-8")
        if quiet:  # the exit status says it all
            return
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {result.checked} events verified."))
        if result.head:
            self.stdout.write(f"Head: {result.head}")

    @staticmethod
    def read_anchor(path: Path) -> Head | None:
        """The head a previous run recorded; none yet on the first run."""
        if not path.exists():
            return None
        try:
            return Head.parse(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise CommandError(f"{path}: {exc}; expected '<seq> <sha256>' as written by --anchor.") from None
