import importlib
import os
import secrets
import signal
import subprocess
import sys
import time

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from privet.audit.services import append_event
from privet.panel.roles import ADMINISTRATOR
from privet.panel.services import assign_role
from privet.policy.loader import DeclarationError
from privet.policy.services import ensure_default_published

DEMO_OPERATOR = "operator"
# The demo operator's address: operators hear of new enquiries by mail (the demo's Outbox page).
DEMO_OPERATOR_EMAIL = "operator@demo.example.com"
# Addresses that listen everywhere, and the one a browser on this machine reaches them at.
WILDCARD_HOSTS = {"0.0.0.0": "127.0.0.1", "[::]": "[::1]"}  # noqa: S104 (a lookup, no bind)


def served_site(addrport: str) -> tuple[str, str]:
    """The public URL and host name of a demo served at ``addrport`` (``127.0.0.1:8000``,
    ``[::1]:8080``, ``0.0.0.0:8000``): what links in mail must point at."""
    host, _, port = addrport.rpartition(":")
    host = WILDCARD_HOSTS.get(host, host)
    return f"http://{host}:{port}", host


@transaction.atomic(durable=True)
def set_demo_operator_email(user) -> None:
    user.email = DEMO_OPERATOR_EMAIL
    user.save(update_fields=["email"])
    append_event(actor="cli:demo", action="admin.changed", obj=user, details={"fields": ["email"]})


class Command(BaseCommand):
    help = ("Set up and run the demo: migrate, publish the default policy, load demo data, "
            "create an operator, then run the web server and the task worker until Ctrl-C.")

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--setup-only", action="store_true",
                            help="Prepare the database and exit without starting servers.")

    def handle(self, *args, addrport: str, setup_only: bool, **options):
        if ":" not in addrport:  # "privet demo 8080", as `serve` takes it
            addrport = f"127.0.0.1:{addrport}"
        self.stdout.write(f"Data folder: {settings.DATA_DIR}")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        try:
            version = ensure_default_published(
                path=settings.PRIVET_DEFAULT_POLICY_FILE, actor="cli:demo"
            )
        except DeclarationError as exc:
            raise CommandError(str(exc)) from None
        if version:
            self.stdout.write(f"Published policy version {version.version} ({version.short_hash}).")
        self.load_demo_data()
        self.ensure_operator()
        if setup_only:
            return
        self.run_processes(addrport)

    def load_demo_data(self) -> None:
        """Each app may ship ``demo_data.load(stdout)``; it must be idempotent."""
        for config in apps.get_app_configs():
            if not config.name.startswith("privet."):
                continue
            try:
                module = importlib.import_module(f"{config.name}.demo_data")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo_data":
                    raise
                continue
            with transaction.atomic():
                module.load(self.stdout)

    def ensure_operator(self) -> None:
        User = get_user_model()
        if existing := User.objects.filter(username=DEMO_OPERATOR).first():
            if not existing.email:  # made by an older demo: give it the address notices go to
                set_demo_operator_email(existing)
            self.stdout.write(f"Operator account '{DEMO_OPERATOR}' exists (password shown on its "
                              "first run; reset with: privet manage changepassword operator).")
            return
        password = secrets.token_urlsafe(12)
        user = User.objects.create_superuser(DEMO_OPERATOR, email=DEMO_OPERATOR_EMAIL,
                                             password=password)
        assign_role(user=user, role=ADMINISTRATOR, actor="cli:demo")
        self.stdout.write(self.style.WARNING(
            f"Created operator '{DEMO_OPERATOR}' (administrator) with one-time password: {password}\n"
            "  (shown once; it is not stored anywhere in clear text)\n"
            "  Sign in at /panel/: the first sign-in sets up two-factor sign-in; have an "
            "authenticator app ready (FreeOTP, Aegis, Google Authenticator, 1Password...)."
        ))

    def served_env(self, addrport: str) -> dict[str, str]:
        """The web server's and worker's environment: the site's public URL is the address
        served (unless ``PRIVET_SITE_URL`` says otherwise), and its host is allowed."""
        env = {**os.environ, "PRIVET_DEMO": "1"}
        site_url, host = served_site(addrport)
        env.setdefault("PRIVET_SITE_URL", site_url)
        if "PRIVET_ALLOWED_HOSTS" not in os.environ and host not in settings.ALLOWED_HOSTS:
            env["PRIVET_ALLOWED_HOSTS"] = ",".join([*settings.ALLOWED_HOSTS, host])
        return env

    def start_tiktok_fake(self, env: dict[str, str]):
        """Serve the TikTok contract fake (privet.integrations.tiktok.fake) beside the demo, so
        a client's owner can be walked through an authorisation without a TikTok app; the web
        server and worker are pointed at it. Not when the API's address is set already (a
        sandbox app), nor with ``PRIVET_DEMO_TIKTOK=0``."""
        from privet.integrations.models import ConnectorApp
        from privet.integrations.tiktok.fake import TikTokFake

        if "PRIVET_TIKTOK_API_BASE" in os.environ or os.environ.get("PRIVET_DEMO_TIKTOK") == "0":
            return None
        app = ConnectorApp.objects.filter(connector="tiktok_business").first()
        if app is None:
            return None
        port = int(os.environ.get("PRIVET_DEMO_TIKTOK_PORT", 8765))
        fake = TikTokFake(app_id=app.app_id, secret=app.secret.reveal(), port=port)
        try:
            fake.start()
        except OSError:  # the port is taken: any free one
            fake = TikTokFake(app_id=app.app_id, secret=app.secret.reveal()).start()
        env.update(PRIVET_TIKTOK_API_BASE=fake.api_base,
                   PRIVET_TIKTOK_ADVERTISER_AUTH_URL=fake.advertiser_auth_url,
                   PRIVET_TIKTOK_ACCOUNT_AUTH_URL=fake.account_auth_url,
                   PRIVET_INTEGRATIONS_LOOPBACK="1")
        self.stdout.write(f"TikTok contract fake (stands in for TikTok in the demo) at {fake.url}/")
        return fake

    def run_processes(self, addrport: str) -> None:
        env = self.served_env(addrport)
        fake = self.start_tiktok_fake(env)
        base = [sys.executable, "-m", "privet"]
        procs = {
            "web": subprocess.Popen([*base, "serve", addrport], env=env),
            "worker": subprocess.Popen([*base, "worker"], env=env),
        }
        site_url = env["PRIVET_SITE_URL"]
        self.stdout.write(self.style.SUCCESS(
            f"\nPrivet demo running at {site_url}/  (privacy policy: {site_url}/privacy/). "
            "Press Ctrl-C to stop."
        ))
        self.stdout.write(f"Mail the demo sends is not delivered: read it on the panel's Outbox page "
                          f"({site_url}/panel/outbox/) or in {settings.PRIVET_OUTBOX_DIR}.")
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        while not stopping:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    self.stderr.write(f"The {name} process exited with code {proc.returncode}.")
                    exit_code = proc.returncode or 1
                    stopping = True
            time.sleep(0.2)
        self.stdout.write("\nStopping web server and worker...")
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in procs.items():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.stderr.write(f"The {name} process did not stop in time; killing it.")
                proc.kill()
                proc.wait()
        if fake is not None:
            fake.stop()
        self.stdout.write("Stopped.")
        if exit_code:
            raise CommandError("A demo process failed; see the messages above.")
