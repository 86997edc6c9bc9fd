"""Receipts are append-only, enforced by the database: UPDATE and DELETE of a row are refused.

A change of mind is a new receipt (``record_consent``), so no code path needs either; a trigger
makes a mistake (``.update()``, ``.delete()``, a hand-written query) fail loudly instead of
rewriting the proof of a consent. Expiry was meant to go by whole months: on PostgreSQL
``DROP TABLE`` of a partition, which fires no row trigger (TRUNCATE, used by test flushes, is left
alone for the same reason). That kept expired receipts for ever on SQLite and wherever a month
was not wholly expired, so migration 0006 lets one DELETE through: the retention engine's, marked
by its transaction (``consent.services.expire_receipts``); UPDATE stays refused. The row trigger
on the partitioned table is cloned by PostgreSQL onto every partition, present and future.
Both engines raise an integrity error (SQLSTATE 23001, restrict_violation, on PostgreSQL).
"""

from django.db import migrations

TABLE = "consent_consentreceipt"
MESSAGE = "consent receipts are append-only: a change of mind is a new receipt"

PG_INSTALL = f"""
CREATE FUNCTION consent_receipt_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER consent_receipt_append_only BEFORE UPDATE OR DELETE ON "{TABLE}"
    FOR EACH ROW EXECUTE FUNCTION consent_receipt_append_only();
"""
PG_REMOVE = f"""
DROP TRIGGER consent_receipt_append_only ON "{TABLE}";
DROP FUNCTION consent_receipt_append_only();
"""

SQLITE_INSTALL = [
    f"""CREATE TRIGGER consent_receipt_no_{op.lower()} BEFORE {op} ON "{TABLE}"
        BEGIN SELECT RAISE(ABORT, '{MESSAGE} ({op} refused)'); END"""
    for op in ("UPDATE", "DELETE")
]
SQLITE_REMOVE = [f"DROP TRIGGER consent_receipt_no_{op}" for op in ("update", "delete")]


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
    dependencies = [("consent", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
