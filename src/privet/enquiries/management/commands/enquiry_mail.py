"""``privet manage enquiry_mail``: the enquiry mail that needs an operator, from the command line.

Without options it lists the mail that failed or is stuck (what the panel shows under "Mail not
sent"); ``--resend-stuck`` queues all of it again, as the panel's "Send again" does (audited),
for instance after the mail server or the task queue was down for a while. A mail that may have
been sent (its worker stopped after handing it to the mail server) is listed but not queued:
an operator decides about each, in the panel.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from privet.enquiries.selectors import mail_needing_attention
from privet.enquiries.services import resend_stuck_mail


class Command(BaseCommand):
    help = "List enquiry mail that failed or is stuck; --resend-stuck queues all of it again."

    def add_arguments(self, parser):
        parser.add_argument("--resend-stuck", action="store_true",
                            help="Queue every failed or stuck mail again (audited as actor 'cli').")

    def handle(self, *args, resend_stuck: bool, **options):
        waiting = list(mail_needing_attention())
        for mail in waiting:
            state = mail.state if mail.state in ("failed", "uncertain") else "stuck"
            detail = f" ({mail.error})" if mail.error else ""
            self.stdout.write(f"{mail.enquiry.reference}  {mail.kind:<15}  {state}{detail}  "
                              f"queued {mail.queued_at:%Y-%m-%d %H:%M}, {mail.attempts} attempt(s)")
        if not resend_stuck:
            self.stdout.write(f"{len(waiting)} mail(s) not sent." + (
                " Queue them again with --resend-stuck." if waiting else ""))
            return
        queued, skipped = resend_stuck_mail(actor="cli")
        self.stdout.write(self.style.SUCCESS(f"Queued {queued} mail(s) again."))
        if uncertain := sum(mail.state == "uncertain" for mail in waiting):
            self.stdout.write(self.style.WARNING(
                f"Left {uncertain} that may have been sent: send each again from the panel once "
                "you know it did not arrive."))
        if skipped:
            self.stdout.write(self.style.WARNING(
                f"Skipped {skipped}: the person restricted processing of the enquiry (GDPR Art. 18)."))
