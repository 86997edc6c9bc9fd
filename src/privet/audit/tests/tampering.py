"""What someone with write access to the database can do that Privet never does: lift the
append-only guard (migration 0004) and rewrite events. The tests of the seals use it."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

GUARD = importlib.import_module("privet.audit.migrations.0004_events_append_only")


@contextmanager
def guard_lifted() -> Iterator[None]:
    """The append-only triggers are off inside the block and back on after it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f'ALTER TABLE "{GUARD.TABLE}" DISABLE TRIGGER audit_event_append_only')
        else:
            for sql in GUARD.SQLITE_REMOVE:
                cursor.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f'ALTER TABLE "{GUARD.TABLE}" ENABLE TRIGGER audit_event_append_only')
            else:
                for sql in GUARD.SQLITE_INSTALL:
                    cursor.execute(sql)
