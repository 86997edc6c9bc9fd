"""The cache table's migration moved from enquiries to core: ``migrate`` works on a database
migrated before the move (the table is there) and on a fresh one (it is not)."""

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

TABLE = settings.CACHES["default"].get("LOCATION", "")
CORE = [("privet_core", "0001_cache_table")]


def tables() -> list[str]:
    return connection.introspection.table_names()


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.skipif(settings.CACHES["default"]["BACKEND"] != "django.core.cache.backends.db.DatabaseCache",
                    reason="the table exists only with PRIVET_CACHE_BACKEND=db")
@pytest.mark.django_db(transaction=True)
def test_the_core_migration_creates_the_cache_table_only_when_it_is_missing():
    try:
        check_both_ways()
    finally:
        # Put every core migration back (the worker's leases...): a later test in this process,
        # a real worker among them, needs the whole schema.
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def check_both_ways() -> None:
    assert TABLE in tables()
    # A database migrated before the move: enquiries.0002 made the table, core's step is new.
    migrate([("privet_core", None)])
    assert TABLE in tables()  # unapplying leaves it: other data may live there
    migrate(CORE)
    assert TABLE in tables()
    # A fresh database: no table until core's step.
    migrate([("privet_core", None)])
    with connection.schema_editor() as editor:
        editor.execute(f"DROP TABLE {editor.quote_name(TABLE)}")
    assert TABLE not in tables()
    migrate(CORE)
    assert TABLE in tables()
