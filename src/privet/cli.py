"""The ``privet`` console script.

``privet demo|serve|worker|audit|rights|ropa|policy|integrations ...`` are Django management
commands of Privet's apps; ``privet manage ...`` runs any management command
(``privet manage createsuperuser``).
"""

from __future__ import annotations

import os
import sys

USAGE = """usage: privet COMMAND [options]

  demo                      migrate, load the default policy and demo data, run web + worker
  serve [ADDR:PORT]         run the production web server (gunicorn + whitenoise)
  worker                    run the background task worker
  policy validate FILE      check a policy declaration
  policy publish FILE       publish it as a new immutable version
  policy schema             print the declaration's JSON Schema
  ropa export --format csv|json|html   record of processing (GDPR Art. 30)
  audit verify [--anchor F] verify the audit log's hash chain
  rights replay-erasures [--dry-run]   after a restore: erase again what the ledger lists
  rights ledger --export F|--import F  keep the erasure ledger outside the database's backups
  retention run [--dry-run] [--rule R]  expire what the declared retention rules say has expired
  integrations clients      list the clients and their live grants
  integrations configure CONNECTOR --app-id ID   store the studio's app (secret from
                            $PRIVET_APP_SECRET or a prompt, never an argument)
  integrations rotate-keys  re-encrypt every token and secret with the newest vault key
  manage COMMAND ...        any Django management command (migrate, check, createsuperuser...)
"""


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        sys.stdout.write(USAGE)
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privet.settings")
    if args[0] == "demo":
        os.environ.setdefault("PRIVET_DEMO", "1")
        os.environ.setdefault("PRIVET_DEBUG", "0")
    if args[0] == "manage":
        args = args[1:]
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018  (loads the settings: configuration errors show here)
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"privet: configuration error: {exc}\n")
        sys.exit(2)
    try:
        execute_from_command_line(["privet", *args])
    except ImproperlyConfigured as exc:  # a server's own start-up check (privet.core.startup)
        sys.stderr.write(f"privet: configuration error: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
