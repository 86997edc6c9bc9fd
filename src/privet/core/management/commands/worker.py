from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.crypto import get_random_string

from privet.core import worker
from privet.core.startup import require_site_url


class Command(BaseCommand):
    help = ("Run the background task worker for the configured backend (database or RQ). The "
            "database worker waits out database outages and runs again the tasks of a worker "
            "that was killed.")

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true",
                            help="Process what is queued, then exit.")
        parser.add_argument("--interval", type=float, default=1.0,
                            help="Seconds between looks at an empty queue (database backend).")
        parser.add_argument("--no-startup-delay", action="store_false", dest="startup_delay",
                            help="Start at once, not after a random pause of up to a second "
                                 "(the pause spreads out many workers started together).")
        parser.add_argument("--worker-id", default=None,
                            help="This worker's id, unique among running workers (database "
                                 "backend; default: a random one).")

    def handle(self, *args, batch: bool, interval: float, worker_id: str | None,
               startup_delay: bool, **options):
        require_site_url()  # the worker writes the links in mail
        if settings.TASK_BACKEND == "rq":
            call_command("rqworker", "default", job_class="django_tasks_rq.Job", burst=batch,
                         with_scheduler=not batch)
        elif settings.TASK_BACKEND == "db":
            worker.run(worker_id=worker_id or get_random_string(32), batch=batch,
                       interval=interval, queue_names=["default"],
                       startup_delay=startup_delay and not batch)
        else:
            self.stderr.write(f"The {settings.TASK_BACKEND!r} backend runs tasks in-process; "
                              "no worker is needed.")
