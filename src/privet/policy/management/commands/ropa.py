import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from privet.policy.loader import DeclarationError, load_declaration
from privet.policy.ropa import FORMATS, render_ropa
from privet.policy.selectors import current_version


class Command(BaseCommand):
    help = "Record of processing activities (GDPR Art. 30(1)) from the policy declaration."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Write the record, one row per purpose.")
        export.add_argument("--format", choices=sorted(FORMATS), default="csv")
        export.add_argument("--lang", choices=["en", "pl"], default="en")
        export.add_argument("--output", "-o", help="File to write (default: stdout).")
        export.add_argument("--file", help="Use this declaration file instead of the published one.")

    def handle(self, *args, action: str, format: str, lang: str, output=None, file=None, **_):
        if file:
            try:
                decl = load_declaration(file)
            except DeclarationError as exc:
                raise CommandError(str(exc)) from None
            version_label = decl.version.id
        else:
            version = current_version()
            if version is None:
                raise CommandError("No policy is published; publish one or pass --file.")
            decl, version_label = version.declaration(), version.version
        text = render_ropa(decl, fmt=format, lang=lang, version_label=version_label)
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {output} ({len(decl.purposes)} processing activities).")
        else:
            sys.stdout.write(text)
