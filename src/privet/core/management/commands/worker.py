from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from privet.core.startup import require_site_url


class Command(BaseCommand):
    help = "Run the background task worker for the configured backend (database or RQ)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true",
                            help="Process what is queued, then exit.")

    def handle(self, *args, batch: bool, **options):
        require_site_url()  # the worker writes the links in mail
        if settings.TASK_BACKEND == "rq":
            call_command("rqworker", "default", job_class="django_tasks_rq.Job", burst=batch,
                         with_scheduler=not batch)
        elif settings.TASK_BACKEND == "db":
            call_command("db_worker", batch=batch, reload=False)
        else:
            self.stderr.write(f"The {settings.TASK_BACKEND!r} backend runs tasks in-process; "
                              "no worker is needed.")
