import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from privet.errors import PrivetError
from privet.policy.loader import DeclarationError, content_hash, load_declaration
from privet.policy.schema import Declaration
from privet.policy.services import (
    publish_version,
    refuse_dropped_categories,
    refuse_unenforceable_rules,
)


class Command(BaseCommand):
    help = "Policy declaration tools: validate, publish, schema."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        validate = sub.add_parser("validate", help="Check a declaration file; publish nothing.")
        validate.add_argument("file")
        publish = sub.add_parser("publish", help="Validate and store a new immutable version.")
        publish.add_argument("file")
        schema = sub.add_parser("schema", help="Print the JSON Schema of the declaration.")
        schema.add_argument("--output", "-o", help="Write to this file instead of stdout.")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"do_{action}")(**options)
        except DeclarationError as exc:
            count = len(exc.problems)
            raise CommandError(
                f"{count} problem{'s' if count != 1 else ''} in the declaration; "
                f"nothing was published.\n{exc}"
            ) from None
        except PrivetError as exc:
            raise CommandError(str(exc)) from None

    def do_validate(self, file: str, **_):
        decl = load_declaration(file)
        # What publish would refuse, without a database.
        refuse_dropped_categories(decl, file)
        refuse_unenforceable_rules(decl, file)
        self.stdout.write(self.style.SUCCESS(
            f"{file}: valid. Version {decl.version.id}, effective {decl.version.effective}, "
            f"{len(decl.categories)} categories, {len(decl.purposes)} purposes, "
            f"{len(decl.retention)} retention rules; hash {content_hash(decl)}"
        ))

    def do_publish(self, file: str, **_):
        load_declaration(file)  # reports problems naming the file before touching the database
        version = publish_version(
            source=Path(file).read_text(encoding="utf-8"), actor="cli", origin=file
        )
        self.stdout.write(self.style.SUCCESS(
            f"Published version {version.version} (effective {version.effective}), "
            f"hash {version.content_hash}."
        ))

    def do_schema(self, output: str | None = None, **_):
        text = json.dumps(Declaration.model_json_schema(), indent=2, ensure_ascii=False) + "\n"
        if output:
            Path(output).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
