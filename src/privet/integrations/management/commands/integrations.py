"""``privet integrations rotate-keys|configure|clients``: the credential vault's key rotation,
the studio's app on a platform, and the clients.

- ``rotate-keys``: re-encrypt every encrypted column with the newest key of
  ``PRIVET_VAULT_KEYS`` (:func:`privet.integrations.vault.rotate`), with a progress bar; each
  batch commits on its own, so an interrupted run is simply run again. Afterwards the older
  keys can be removed from ``PRIVET_VAULT_KEYS``.
- ``configure CONNECTOR --app-id ID``: store the app's id and secret; the secret comes from the
  environment variable ``PRIVET_APP_SECRET`` or a prompt that does not echo, never from an
  argument (arguments end up in shell histories and process lists).
- ``clients``: the clients, with their live grants.
"""

from __future__ import annotations

import getpass
import os

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from privet.audit import actors
from privet.audit.services import append_event
from privet.errors import PrivetError
from privet.integrations import services, vault
from privet.integrations.models import Client, Grant

ACTOR = f"{actors.CLI}:integrations"
SECRET_ENV = "PRIVET_APP_SECRET"  # noqa: S105 (the variable's name, not a secret)


class Command(BaseCommand):
    help = ("Integrations. 'rotate-keys' re-encrypts every stored token and secret with the "
            "newest key in PRIVET_VAULT_KEYS (run it again if interrupted; then the older keys "
            "can be removed). 'configure CONNECTOR --app-id ID' stores the studio's app on a "
            f"platform, its secret read from ${SECRET_ENV} or a prompt. 'clients' lists the "
            "clients.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rotate-keys", "configure", "clients"])
        parser.add_argument("connector", nargs="?", help="configure: the connector's id.")
        parser.add_argument("--app-id", help="configure: the app's id on the platform.")
        parser.add_argument("--batch-size", type=int, default=500,
                            help="rotate-keys: rows per transaction (default 500).")

    def handle(self, *args, action: str, connector: str | None, app_id: str | None,
               batch_size: int, **options):
        try:
            if action == "rotate-keys":
                return self.rotate(batch_size, quiet=options["verbosity"] == 0)
            if action == "configure":
                return self.configure(connector, app_id)
            return self.clients()
        except PrivetError as exc:
            raise CommandError(str(exc)) from None

    def rotate(self, batch_size: int, *, quiet: bool) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        with Progress(TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), disable=quiet, transient=False) as progress:
            bar = progress.add_task("re-encrypting rows", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(bar, completed=done, total=total)

            rewritten = vault.rotate(batch_size=batch_size, progress=advance)
        with transaction.atomic():
            append_event(actor=ACTOR, action="integrations.keys_rotated",
                         object_type="integrations.vault", details={"records": rewritten})
        if not quiet:
            self.stdout.write(self.style.SUCCESS(
                f"{rewritten} secrets re-encrypted with the newest key; the older keys can now "
                "be removed from PRIVET_VAULT_KEYS."))

    def configure(self, connector: str | None, app_id: str | None) -> None:
        if not connector or not app_id:
            raise CommandError("Usage: privet integrations configure CONNECTOR --app-id ID "
                               f"(the secret from ${SECRET_ENV} or a prompt).")
        secret = os.environ.get(SECRET_ENV) or getpass.getpass("App secret (not shown): ")
        app = services.configure_app(connector_id=connector, app_id=app_id, secret=secret,
                                     actor=ACTOR)
        self.stdout.write(self.style.SUCCESS(
            f"{app.connector}: app {app.app_id} configured; its secret is in the vault."))

    def clients(self) -> None:
        clients = list(Client.objects.order_by("slug"))
        if not clients:
            self.stdout.write("No clients yet (create one in the panel).")
        for client in clients:
            live = Grant.objects.for_client(client).filter(status=Grant.Status.ACTIVE).count()
            ended = " (contract ended)" if client.contract_ended_at else ""
            self.stdout.write(f"{client.slug}\t{client.name}\t{live} live grant(s){ended}")
