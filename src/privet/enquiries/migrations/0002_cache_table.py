"""Historical, now empty: the database cache table is created by ``privet_core.0001_cache_table``.

This step created the cache table before the shared runtime moved to ``privet.core``. It stays,
empty, because later enquiries migrations depend on it and databases have it applied; a database
migrated before the move keeps its table, and ``privet_core.0001`` (which creates the table only
when it is missing) leaves it as it is.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("enquiries", "0001_initial")]
    operations = []
