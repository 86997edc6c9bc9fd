"""Status changes the panel dated by their day before ``date_only`` existed are marked as such.

The panel stored a day as 23:59:59 of that day in the site's time zone (so that it never fell
before an earlier step of the same day), entered on a later day: those rows get ``date_only``,
and the panel stops showing the invented time. Other rows keep their real times.
"""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations


def mark_dated(apps, schema_editor):
    StatusChange = apps.get_model("enquiries", "EnquiryStatusChange")
    zone = ZoneInfo(settings.TIME_ZONE)
    dated = []
    for pk, at, recorded_at in StatusChange.objects.values_list("pk", "at", "recorded_at").iterator():
        local = at.astimezone(zone)
        if ((local.hour, local.minute, local.second, local.microsecond) == (23, 59, 59, 0)
                and local.date() < recorded_at.astimezone(zone).date()):
            dated.append(pk)
    for start in range(0, len(dated), 500):  # within SQLite's limit of query parameters
        StatusChange.objects.filter(pk__in=dated[start:start + 500]).update(date_only=True)


class Migration(migrations.Migration):
    dependencies = [("enquiries", "0005_verbose_names_and_status_date_only")]

    operations = [migrations.RunPython(mark_dated, migrations.RunPython.noop)]
