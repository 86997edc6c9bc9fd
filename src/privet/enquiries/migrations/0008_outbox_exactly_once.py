"""Mail exactly once: a stable Message-ID per outbox row, the worker that claimed it, when it was
handed to the mail server, and the state "may have been sent" (see enquiries.outbox).

The Message-ID is added empty, filled with a new one for each existing row, then made unique.
"""

from django.db import migrations, models

import privet.enquiries.models


def give_message_ids(apps, schema_editor):
    OutgoingMail = apps.get_model("enquiries", "OutgoingMail")
    for mail in OutgoingMail.objects.filter(message_id="").only("pk"):
        OutgoingMail.objects.filter(pk=mail.pk).update(
            message_id=privet.enquiries.models.new_message_id())


class Migration(migrations.Migration):
    dependencies = [
        ("enquiries", "0007_objection"),
    ]

    operations = [
        migrations.AddField(
            model_name="outgoingmail",
            name="claimed_by",
            field=models.CharField(blank=True, default="", max_length=64, verbose_name="claimed by"),
        ),
        migrations.AddField(
            model_name="outgoingmail",
            name="handed_at",
            field=models.DateTimeField(blank=True, null=True,
                                       verbose_name="handed to the mail server"),
        ),
        migrations.AddField(
            model_name="outgoingmail",
            name="message_id",
            field=models.CharField(default="", max_length=255, verbose_name="Message-ID"),
            preserve_default=False,
        ),
        migrations.RunPython(give_message_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="outgoingmail",
            name="message_id",
            field=models.CharField(default=privet.enquiries.models.new_message_id, max_length=255,
                                   unique=True, verbose_name="Message-ID"),
        ),
        migrations.AlterField(
            model_name="outgoingmail",
            name="state",
            field=models.CharField(
                choices=[("pending", "Waiting to be sent"), ("sent", "Sent"),
                         ("failed", "Not sent"), ("uncertain", "May have been sent")],
                default="pending", max_length=10, verbose_name="state"),
        ),
    ]
