"""Create the database cache table when CACHES uses it (PRIVET_CACHE_BACKEND=db, the default).

The contact form's rate limit and ALTCHA's replay protection need a cache shared by every web
process; a migration makes `migrate` (and so `privet demo`) enough to set it up.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("enquiries", "0001_initial")]
    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop, elidable=True)]
