"""Receipts stay append-only, except that the retention engine deletes the expired ones.

Migration 0002 refused every UPDATE and DELETE, so an expired receipt could only go with its
whole month (a partition drop, PostgreSQL only): on SQLite, in PostgreSQL's default partition and
in a month not wholly expired, receipts outlived their declared period. Now a DELETE is allowed
while, and only while, the deleting transaction carries the expiry marker, which only
``consent.services.expire_receipts`` sets (and clears before it returns):

- PostgreSQL: ``SET LOCAL privet.expiring = 'on'``, read by the trigger function with
  ``current_setting('privet.expiring', true)``; ``SET LOCAL`` ends with the transaction.
- SQLite: a row in the one-row permit table ``consent_receipt_expiry_permit``, inserted and
  deleted in the same transaction (so no other connection ever sees it); the DELETE trigger
  fires ``WHEN NOT EXISTS`` a permit.

UPDATE is refused always, and any other DELETE fails as before, with the same message. The
marker guards against mistakes (``.delete()``, a cascade, a hand-written query), not against an
operator who can also drop the trigger. TRUNCATE and partition drops still fire no row trigger.
"""

from django.db import migrations

TABLE = "consent_consentreceipt"
PERMIT = "consent_receipt_expiry_permit"
MESSAGE = "consent receipts are append-only: a change of mind is a new receipt"
# The PostgreSQL setting the expiring transaction sets (SET LOCAL) and the trigger reads.
PG_MARKER = "privet.expiring"

PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION consent_receipt_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('{PG_MARKER}', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
END
$$;
"""
PG_FUNCTION_0002 = f"""
CREATE OR REPLACE FUNCTION consent_receipt_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
END
$$;
"""

# The triggers as they are after this migration (conftest.py lifts and puts them back around the
# SQLite test flush).
SQLITE_INSTALL = [
    f"""CREATE TRIGGER consent_receipt_no_update BEFORE UPDATE ON "{TABLE}"
        BEGIN SELECT RAISE(ABORT, '{MESSAGE} (UPDATE refused)'); END""",
    f"""CREATE TRIGGER consent_receipt_no_delete BEFORE DELETE ON "{TABLE}"
        WHEN NOT EXISTS (SELECT 1 FROM "{PERMIT}")
        BEGIN SELECT RAISE(ABORT, '{MESSAGE} (DELETE refused)'); END""",  # noqa: S608 (constants)
]
SQLITE_REMOVE = ["DROP TRIGGER consent_receipt_no_update", "DROP TRIGGER consent_receipt_no_delete"]
SQLITE_0002 = f"""CREATE TRIGGER consent_receipt_no_delete BEFORE DELETE ON "{TABLE}"
        BEGIN SELECT RAISE(ABORT, '{MESSAGE} (DELETE refused)'); END"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION, params=None)  # the % in RAISE is not a placeholder
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f'CREATE TABLE "{PERMIT}" (id integer PRIMARY KEY CHECK (id = 1))')
        schema_editor.execute("DROP TRIGGER consent_receipt_no_delete")
        schema_editor.execute(SQLITE_INSTALL[1])


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION_0002, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER consent_receipt_no_delete")
        schema_editor.execute(SQLITE_0002)
        schema_editor.execute(f'DROP TABLE "{PERMIT}"')


class Migration(migrations.Migration):
    dependencies = [("consent", "0005_field_labels")]

    operations = [migrations.RunPython(install, remove)]
