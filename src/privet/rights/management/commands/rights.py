"""``privet rights replay-erasures [--dry-run]`` and ``privet rights ledger --export|--import FILE``:
the erasure ledger's tools for a restore from backup (README, "After a restore from backup")."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from privet.rights.errors import InvalidRequest
from privet.rights.ledger import REPLAY_ACTOR, export_ledger, import_ledger, replay_erasures


class Command(BaseCommand):
    help = ("Rights requests' tools. 'replay-erasures' erases again what a restored backup brought "
            "back, per the erasure ledger (exits 1 if an entry's source is gone); 'ledger' "
            "exports the ledger to a file kept outside the database's backups, or imports it "
            "after a restore.")

    def add_arguments(self, parser):
        # A positional choice, not subparsers: Django's own options (-v 0...) may come after it.
        parser.add_argument("action", choices=["replay-erasures", "ledger"])
        parser.add_argument("--dry-run", action="store_true",
                            help="replay-erasures: say what would be erased again; change nothing.")
        parser.add_argument("--export", metavar="FILE",
                            help="ledger: write every entry to FILE as JSON lines ('-': stdout).")
        parser.add_argument("--import", metavar="FILE", dest="import_file",
                            help="ledger: add the entries of FILE this database lacks.")

    def handle(self, *args, action: str, **options):
        if action == "ledger":
            return self.ledger(options)
        if options["export"] or options["import_file"]:
            raise CommandError("--export and --import belong to 'privet rights ledger'.")
        self.replay(dry_run=options["dry_run"], quiet=options["verbosity"] == 0)

    def replay(self, *, dry_run: bool, quiet: bool) -> None:
        done = replay_erasures(actor=REPLAY_ACTOR, dry_run=dry_run)
        verb = "would erase again" if dry_run else "erased again"
        problems = [d for d in done if d.problem]
        for d in done:
            if d.problem:
                self.stderr.write(f"{d.request_ref} {d.source}: NOT REPLAYED: {d.problem}.")
            elif not quiet:
                keys = f" (keys {', '.join(d.erased)})" if d.erased else ""
                self.stdout.write(f"{d.request_ref} {d.source}: {verb} {len(d.erased)} of "
                                  f"{d.listed} records{keys}")
        if not quiet:
            total = sum(len(d.erased) for d in done)
            self.stdout.write(f"{len(done)} ledger entries; {verb} {total} records"
                              + (" (dry run: nothing changed)." if dry_run else "."))
        if problems:
            raise CommandError(
                f"{len(problems)} ledger entries could not be replayed: install the app that "
                "registers their source (or an erase_keys for it) and run this again.")

    def ledger(self, options) -> None:
        export, import_file = options["export"], options["import_file"]
        if bool(export) == bool(import_file):
            raise CommandError("privet rights ledger needs one of --export FILE or --import FILE.")
        if options["dry_run"]:
            raise CommandError("--dry-run belongs to 'privet rights replay-erasures'.")
        if export:
            if export == "-":
                count = export_ledger(sys.stdout)
            else:
                path = Path(export)
                temporary = path.with_name(path.name + ".tmp")
                with temporary.open("w", encoding="utf-8") as out:
                    count = export_ledger(out)
                temporary.replace(path)  # a crash mid-export never leaves a half file behind
            self.stderr.write(f"Exported {count} ledger entries.")
            return
        try:
            with Path(import_file).open(encoding="utf-8") as lines:
                added, present = import_ledger(lines, actor=REPLAY_ACTOR)
        except OSError as exc:
            raise CommandError(f"{import_file}: {exc.strerror}.") from None
        except InvalidRequest as exc:
            raise CommandError(f"{import_file}: {exc}; nothing was imported.") from None
        self.stdout.write(f"Imported {added} ledger entries; {present} were already here.")
