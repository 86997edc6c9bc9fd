"""Create the database cache table when CACHES uses it (PRIVET_CACHE_BACKEND=db, the default).

The rate limits (:mod:`privet.core.ratelimit`) and ALTCHA's replay protection need a cache
shared by every web process; a migration makes ``migrate`` (and so ``privet demo``) enough to
set it up.

This migration used to be ``enquiries.0002_cache_table``; the table belongs to the shared
runtime, so it moved here, and ``enquiries.0002`` stays as an empty historical step (later
enquiries migrations depend on it). ``createcachetable`` creates only the tables that are
missing, so this is safe everywhere:

- a fresh database: this migration creates the table;
- a database migrated before the move: ``enquiries.0002`` made the table, this migration finds
  it and does nothing.

Switching PRIVET_CACHE_BACKEND to ``db`` after the first ``migrate`` needs
``privet manage createcachetable`` once: a migration that has run does not run again.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = []
    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
