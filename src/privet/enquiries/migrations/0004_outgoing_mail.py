"""UnsentMail becomes OutgoingMail: one row per mail to send, written with the enquiry.

Every existing row was a mail the worker had given up on; it is kept as a ``failed`` mail (with
its error and time), so the panel still offers to send it again.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models
from django.db.models import F

# The old worker tried this many times before it gave up (tasks.MAIL_ATTEMPTS at the time).
OLD_ATTEMPTS = 5


def carry_over_failed_mail(apps, schema_editor):
    OutgoingMail = apps.get_model("enquiries", "OutgoingMail")
    OutgoingMail.objects.update(state="failed", attempts=OLD_ATTEMPTS, created_at=F("finished_at"),
                                queued_at=F("finished_at"))


def back_to_unsent_mail(apps, schema_editor):
    OutgoingMail = apps.get_model("enquiries", "OutgoingMail")
    # Only mail that is not sent has a place in the old table.
    OutgoingMail.objects.exclude(state="failed").delete()
    OutgoingMail.objects.filter(finished_at__isnull=True).update(finished_at=F("queued_at"))


class Migration(migrations.Migration):

    dependencies = [
        ("enquiries", "0003_unsent_mail"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="unsentmail", name="unsent_mail_once"),
        migrations.RenameModel(old_name="UnsentMail", new_name="OutgoingMail"),
        migrations.RenameField(model_name="outgoingmail", old_name="failed_at", new_name="finished_at"),
        migrations.AlterField(
            model_name="outgoingmail", name="finished_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="sent or given up"),
        ),
        migrations.AlterField(
            model_name="outgoingmail", name="enquiry",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="mail",
                                    to="enquiries.enquiry"),
        ),
        migrations.AlterField(
            model_name="outgoingmail", name="error",
            field=models.CharField(blank=True, max_length=100, verbose_name="error"),
        ),
        migrations.AddField(
            model_name="outgoingmail", name="state",
            field=models.CharField(choices=[("pending", "Waiting to be sent"), ("sent", "Sent"),
                                            ("failed", "Not sent")],
                                   default="pending", max_length=10, verbose_name="state"),
        ),
        migrations.AddField(
            model_name="outgoingmail", name="attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="attempts"),
        ),
        migrations.AddField(
            model_name="outgoingmail", name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="created"),
        ),
        migrations.AddField(
            model_name="outgoingmail", name="queued_at",
            field=models.DateTimeField(default=django.utils.timezone.now,
                                       help_text="When it was last handed to the task queue.",
                                       verbose_name="queued"),
        ),
        migrations.AddField(
            model_name="outgoingmail", name="sending_since",
            field=models.DateTimeField(blank=True, null=True, verbose_name="sending since"),
        ),
        migrations.RunPython(carry_over_failed_mail, back_to_unsent_mail),
        migrations.AlterModelOptions(name="outgoingmail", options={"ordering": ["-queued_at", "-pk"]}),
        migrations.AddConstraint(
            model_name="outgoingmail",
            constraint=models.UniqueConstraint(fields=("enquiry", "kind"), name="outgoing_mail_once"),
        ),
        migrations.AddIndex(
            model_name="outgoingmail",
            index=models.Index(fields=["state", "queued_at"], name="enq_mail_state_queued_idx"),
        ),
    ]
