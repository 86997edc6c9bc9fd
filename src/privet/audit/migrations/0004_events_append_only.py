"""Audit events are append-only, enforced by the database: UPDATE and DELETE of a row are refused.

The same guard as consent receipts (consent migration 0002). Nothing in Privet updates or deletes
an event: an erasure or a retention run leaves the log alone (it is evidence, holding a keyed
pseudonym, never an identifier; see privet.audit.privacy), and a correction is a new event. The
trigger turns a mistake (``.update()``, ``.delete()``, a hand-written query, a cascade) into a
loud error instead of a broken chain. TRUNCATE (used by test flushes on PostgreSQL) fires no row
trigger; on SQLite the test suite lifts the trigger for its flush (conftest.py). Someone who can
drop a trigger can still rewrite the table: the seals and ``privet audit verify`` catch that.
Both engines raise an integrity error (SQLSTATE 23001, restrict_violation, on PostgreSQL).
"""

from django.db import migrations

TABLE = "audit_auditevent"
MESSAGE = "the audit log is append-only: record a new event instead"

PG_INSTALL = f"""
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON "{TABLE}"
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
"""
PG_REMOVE = f"""
DROP TRIGGER audit_event_append_only ON "{TABLE}";
DROP FUNCTION audit_event_append_only();
"""

SQLITE_INSTALL = [
    f"""CREATE TRIGGER audit_event_no_{op.lower()} BEFORE {op} ON "{TABLE}"
        BEGIN SELECT RAISE(ABORT, '{MESSAGE} ({op} refused)'); END"""
    for op in ("UPDATE", "DELETE")
]
SQLITE_REMOVE = [f"DROP TRIGGER audit_event_no_{op}" for op in ("update", "delete")]


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_INSTALL, params=None)  # the % in RAISE is not a placeholder
    elif schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_INSTALL:
            schema_editor.execute(sql)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_REMOVE)
    elif schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_REMOVE:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_auditevent_mac")]

    operations = [migrations.RunPython(install, remove)]
