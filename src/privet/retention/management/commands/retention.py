"""``privet retention run [--dry-run] [--rule RULE ...]``: expire now what the declaration's rules
say has expired (the worker does it daily), or show what would expire."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from privet.audit import actors
from privet.errors import PrivetError
from privet.retention import engine
from privet.retention.models import RunStatus


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "-"


class Command(BaseCommand):
    help = ("Retention. 'run' deletes or anonymises every record whose declared retention has "
            "run out, in batches that each commit on their own (an interrupted run is taken "
            "over by the next one); exits 1 if a store failed. With --dry-run, shows per store "
            "and rule what would expire, what legal holds keep, and the next expiry.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["run"])
        parser.add_argument("--dry-run", action="store_true",
                            help="Show what would expire; change nothing.")
        parser.add_argument("--rule", action="append", default=[], metavar="RULE",
                            help="Only the stores this rule covers: category/purpose[/trigger], "
                                 "e.g. contact_details/enquiries (repeatable). Records are still "
                                 "judged by every rule that covers them.")
        parser.add_argument("--batch-size", type=int, default=engine.BATCH_SIZE,
                            help=f"Records per transaction (default {engine.BATCH_SIZE}).")

    def handle(self, *args, action: str, dry_run: bool, rule: list[str], batch_size: int,
               **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        quiet = options["verbosity"] == 0
        try:
            for name, reason in engine.unenforced(rule).items():
                self.stdout.write(f"{name}: no store in Privet enforces it"
                                  + (f" ({reason})" if reason else "") + ".")
            if dry_run:
                return self.dry_run(rule)
            run = self.run(rule, batch_size, quiet)
        except PrivetError as exc:
            raise CommandError(str(exc)) from None
        if not quiet:
            self.report(run)
        if run.status == RunStatus.FAILED:
            failed = ", ".join(f"{e['target']} ({e['error']})" for e in run.errors)
            raise CommandError(f"{run.reference}: {failed}. What the other stores expired "
                               "stands; the failed ones are tried again on the next run.")

    def run(self, rules: list[str], batch_size: int, quiet: bool):
        with Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), disable=quiet, transient=False) as progress:
            bars: dict[str, int] = {}

            def advance(target: str, n: int) -> None:
                if target not in bars:
                    bars[target] = progress.add_task(target, total=None)
                progress.advance(bars[target], n)

            return engine.sweep(actor=f"{actors.CLI}:retention", rules=rules,
                                batch_size=batch_size, progress=advance)

    def report(self, run) -> None:
        for name, counts in sorted(run.counts.items()):
            parts = [f"{counts['expired']} expired"]
            if counts.get("held"):
                parts.append(f"{counts['held']} held")
            if counts.get("deferred"):
                parts.append(f"{counts['deferred']} waiting for their month")
            if counts.get("partitions"):
                parts.append(f"partitions dropped: {', '.join(counts['partitions'])}")
            self.stdout.write(f"  {name}: {'; '.join(parts)}")
            for rule, n in sorted(counts.get("rules", {}).items()):
                self.stdout.write(f"      {rule}: {n}")
        seconds = run.duration.total_seconds()
        self.stdout.write(self.style.SUCCESS(
            f"{run.reference}: {run.total('expired')} expired, {run.total('held')} kept by "
            f"holds, in {seconds:.1f} s.") if run.status == RunStatus.COMPLETED else
            f"{run.reference}: {run.status}.")

    def dry_run(self, rules: list[str]) -> None:
        plans = engine.plan(rules=rules)
        total = 0
        for plan in plans:
            total += plan.expired
            method = "anonymise" if plan.method == "anonymise" else "delete"
            line = f"{plan.target}: would {method} {plan.expired}"
            if plan.held:
                line += f", {plan.held} kept by holds"
            line += f"; next expiry {_when(plan.next_expiry)}"
            self.stdout.write(line)
            for name, n in sorted(plan.by_rule.items()):
                self.stdout.write(f"    {name}: {n}")
            if not plan.rules:
                self.stdout.write("    (no declared rule covers it)")
        self.stdout.write(f"Dry run: {total} records would expire; nothing changed.")
