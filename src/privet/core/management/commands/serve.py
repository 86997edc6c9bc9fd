import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from gunicorn.app.base import BaseApplication

from privet.core.startup import require_site_url


class PrivetGunicorn(BaseApplication):
    """Gunicorn configured from Python, so `privet serve` needs no config file."""

    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            if key in self.cfg.settings:  # newer gunicorn settings are skipped on older ones
                self.cfg.set(key, value)

    def load(self):
        from privet.wsgi import application

        return application


def _flush_technical_log(server, worker) -> None:
    from privet.telemetry.recorder import flush

    flush()


class Command(BaseCommand):
    help = "Serve Privet with gunicorn (production WSGI server) and whitenoise for static files."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000",
                            help="ADDR:PORT to bind (default 127.0.0.1:8000).")
        parser.add_argument("--workers", type=int,
                            default=int(os.environ.get("PRIVET_WEB_WORKERS", 2)))
        parser.add_argument("--threads", type=int,
                            default=int(os.environ.get("PRIVET_WEB_THREADS", 4)))
        parser.add_argument("--skip-collectstatic", action="store_true")

    def handle(self, *args, addrport: str, workers: int, threads: int, **options):
        require_site_url()
        if ":" not in addrport:
            addrport = f"127.0.0.1:{addrport}"
        if not options["skip_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(f"Serving on http://{addrport}/ (static files from {settings.STATIC_ROOT}); "
                          f"links in mail point at {settings.SITE_URL}/")
        PrivetGunicorn({
            "bind": addrport,
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "accesslog": None,  # no access log: it would hold raw client IP addresses
            "errorlog": "-",
            # its error log names clients ("Invalid request from ip=..."): pseudonymised there
            "logger_class": "privet.core.serverlog.PrivetGunicornLogger",
            "timeout": 60,
            "graceful_timeout": 10,
            "control_socket_disable": True,  # one per host by default; Privet does not use it
            # a graceful stop writes the technical log's last records (atexit does too)
            "worker_exit": _flush_technical_log,
        }).run()
