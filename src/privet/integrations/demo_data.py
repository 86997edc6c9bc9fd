"""Demo integrations for `privet demo`: one client, and the studio's TikTok app configured for
the contract fake the demo serves beside the site (``privet demo`` points the connector at it).
Idempotent. The walk-through: Panel → Clients → Kawiarnia pod Lipą → create an authorisation
link → open it in a private window (the owner's browser) → Continue → Authorise on the fake →
back in the panel, Sync now → Moderation, Messages, Reports."""

from __future__ import annotations

import secrets

from . import services
from .models import Client, ConnectorApp
from .tiktok.connector import TIKTOK

ACTOR = "system:demo"
DEMO_CLIENT = ("Kawiarnia pod Lipą", "kawiarnia-pod-lipa")
DEMO_APP_ID = "7000000000000000001"


def load(stdout) -> None:
    name, slug = DEMO_CLIENT
    if not Client.objects.filter(slug=slug).exists():
        # The café bought everything the studio offers through TikTok: its links request the
        # scopes of all four workflows, and the fake serves videos, comments, messages and
        # campaigns for them.
        services.create_client(name=name, slug=slug, language="pl", actor=ACTOR,
                               workflows=("moderation", "messages", "insights", "reporting"))
        stdout.write(f"Demo client '{name}' created (Panel → Clients).")
    if not ConnectorApp.objects.filter(connector=TIKTOK.id).exists():
        # A throwaway secret shared with the demo's contract fake, never a real app's.
        services.configure_app(connector_id=TIKTOK.id, app_id=DEMO_APP_ID,
                               secret=secrets.token_hex(20), actor=ACTOR)
        stdout.write("Demo TikTok app configured for the contract fake.")
