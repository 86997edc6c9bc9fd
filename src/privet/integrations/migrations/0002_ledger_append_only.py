"""The grant ledger is append-only, enforced by the database: UPDATE of a row is refused.

A change to a grant is a new entry (``services._ledger``), so no code path needs an UPDATE; the
trigger makes a mistake (``.update()``, a hand-written query) fail loudly instead of rewriting
who authorised what. DELETE stays possible: entries go with their grant, when the declared
rule for connection data expires it (the retention engine audits it). Both engines raise an
integrity error (SQLSTATE 23001, restrict_violation, on PostgreSQL).
"""

from django.db import migrations

TABLE = "integrations_grantevent"
MESSAGE = "the grant ledger is append-only: a change is a new entry"

PG_INSTALL = f"""
CREATE FUNCTION integrations_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE} (UPDATE refused)' USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER integrations_ledger_append_only BEFORE UPDATE ON "{TABLE}"
    FOR EACH ROW EXECUTE FUNCTION integrations_ledger_append_only();
"""
PG_REMOVE = f"""
DROP TRIGGER integrations_ledger_append_only ON "{TABLE}";
DROP FUNCTION integrations_ledger_append_only();
"""
SQLITE_INSTALL = f"""CREATE TRIGGER integrations_ledger_no_update BEFORE UPDATE ON "{TABLE}"
    BEGIN SELECT RAISE(ABORT, '{MESSAGE} (UPDATE refused)'); END"""
SQLITE_REMOVE = "DROP TRIGGER integrations_ledger_no_update"


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_INSTALL)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_INSTALL)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_REMOVE)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_REMOVE)


class Migration(migrations.Migration):
    dependencies = [("integrations", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
