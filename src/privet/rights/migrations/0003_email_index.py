"""One person's earlier requests by their email (``privacy.RightsRequestSource``: plan and
export), without reading every request ever answered (bench/bench_rights.py found the scan)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("rights", "0002_engine_changes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="rightsrequest",
            index=models.Index(fields=["email"], name="rights_email_idx"),
        ),
    ]
