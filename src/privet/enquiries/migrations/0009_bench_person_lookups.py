"""Find one person's enquiries among millions without reading the table (bench/bench_rights.py).

- By email, ignoring case: ``selectors.enquiries_of_subject`` asks ``UPPER(email) = UPPER(%s)``,
  which the index on the plain column (``enq_email_idx``, dropped here: no query compares the
  email exactly) could not serve; ``enq_email_upper_idx`` indexes that expression.
- By phone: the same selector matches a phone's digits whatever separates them. On PostgreSQL it
  asks ``regexp_replace(phone, '\\D', '', 'g') = %s``, which ``enq_phone_digits_idx`` indexes.
  SQLite has no ``regexp_replace`` (and matches by a regular expression, reading every row, which
  its small installations afford), so that index exists on PostgreSQL only.
"""

from django.db import migrations, models
from django.db.models.functions import Upper

# Must repeat selectors.PHONE_DIGITS exactly: the planner uses an expression index only for a
# query that has the same expression.
PHONE_INDEX = (r"CREATE INDEX enq_phone_digits_idx ON enquiries_enquiry "
               r"((regexp_replace(phone, '\D', '', 'g')))")


def create_phone_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PHONE_INDEX)


def drop_phone_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS enq_phone_digits_idx")


class Migration(migrations.Migration):
    dependencies = [
        ("enquiries", "0008_outbox_exactly_once"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="enquiry", name="enq_email_idx"),
        migrations.AddIndex(
            model_name="enquiry",
            index=models.Index(Upper("email"), name="enq_email_upper_idx"),
        ),
        migrations.RunPython(create_phone_index, drop_phone_index),
    ]
