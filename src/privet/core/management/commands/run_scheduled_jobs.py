from django.core.management.base import BaseCommand

from privet.core import schedule


class Command(BaseCommand):
    help = ("Queue the periodic jobs that are due (the workers do this by themselves; this is for "
            "a cron line or a check), or with --now run every job here and now.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--now", action="store_true",
                            help="Run every job in this process now, due or not.")

    def handle(self, *args, now: bool = False, **options) -> None:
        if now:
            for job in schedule.JOBS.values():
                result = job.task.call()
                self.stdout.write(f"{job.name}: {result}")
            return
        queued = schedule.queue_due_jobs()
        self.stdout.write("queued: " + (", ".join(queued) if queued else "nothing was due"))
