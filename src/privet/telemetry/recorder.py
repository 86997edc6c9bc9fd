"""The technical log's writer: records wait in this process's memory and go to the database in
bulk, off the request's path.

A request only appends a small tuple to a list (under a lock held for that append). A writer
thread, started with the first record a process makes, writes what has gathered every
``PRIVET_TELEMETRY_FLUSH_SECONDS`` (1 s) or as soon as ``PRIVET_TELEMETRY_BATCH`` records wait,
in one statement per batch (COPY on PostgreSQL); it is also where each address becomes its network and
pseudonym (:mod:`.pseudonyms`), so even the day's first record costs the request no query.
At a normal exit (the interpreter's ``atexit``, gunicorn's ``worker_exit``) what is left is
written, so a graceful restart loses nothing.

A write that fails never reaches a request: the writer logs a warning (the kind of error, no
data) and keeps the records to try again next time while the database is unreachable; at most
:data:`MAX_PENDING` wait, beyond which the oldest are dropped (and counted in the warning) so
an outage cannot eat the process's memory. With ``PRIVET_TELEMETRY_BACKGROUND = False`` (the
tests) there is no thread: a full batch is written by the caller, and :func:`flush` writes the
rest on demand.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connections,
    router,
    transaction,
)

from . import pseudonyms
from .models import TechnicalRecord
from .partitions import LOG

logger = logging.getLogger(__name__)

MAX_PENDING = 50_000


@dataclass(frozen=True)
class Entry:
    """One record as it waits: the client's address is still here, in memory only."""

    at: datetime
    kind: str
    ip: str
    method: str = ""
    route: str = ""
    status: int | None = None
    duration_ms: float | None = None
    user_agent_family: str = ""
    os_family: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def row(self, network: str, pseudonym: str) -> tuple:
        """The values to store, in :data:`COLUMNS` order: the address replaced by its network
        and the day's pseudonym."""
        return (self.at, self.kind, self.method, self.route, self.status, self.duration_ms,
                self.user_agent_family, self.os_family, network, pseudonym, self.details)


COLUMNS = ("at", "kind", "method", "route", "status", "duration_ms", "user_agent_family",
           "os_family", "network", "pseudonym", "details")


def _rows(batch: list[Entry]) -> list[tuple]:
    """The rows of a batch; each address's network and pseudonym worked out once per local day
    (a client makes many requests, and the HMAC is most of a record's cost)."""
    clients: dict[tuple[str, Any], tuple[str, str]] = {}
    rows = []
    for entry in batch:
        key = (entry.ip, pseudonyms.local_day(entry.at))
        client = clients.get(key)
        if client is None:
            client = clients[key] = (pseudonyms.network(entry.ip),
                                     pseudonyms.pseudonym(entry.ip, key[1]))
        rows.append(entry.row(*client))
    return rows


def _insert(rows: list[tuple]) -> None:
    """One statement for the batch: COPY on PostgreSQL (no model instance, a fraction of an
    INSERT's cost per row), ``bulk_create`` elsewhere."""
    connection = connections[router.db_for_write(TechnicalRecord)]
    if connection.vendor != "postgresql":
        TechnicalRecord.objects.bulk_create(
            [TechnicalRecord(**dict(zip(COLUMNS, row, strict=True))) for row in rows])
        return
    sql = f'COPY "{TechnicalRecord._meta.db_table}" ({", ".join(COLUMNS)}) FROM STDIN'
    # psycopg's own cursor (Django's has no COPY), its errors turned into Django's as usual.
    with connection.wrap_database_errors, connection.cursor() as cursor, \
            cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row((*row[:-1], json.dumps(row[-1])))
    if connection.queries_logged:  # debug tooling and tests see the statement like any other
        connection.queries_log.append({"sql": f"{sql} -- {len(rows)} rows", "time": "0.000"})


class Recorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()  # guards _pending and _dropped
        self._writing = threading.Lock()  # one write at a time, so rows keep their order
        self._pending: list[Entry] = []
        self._dropped = 0
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    # --- the request's side -----------------------------------------------------------------
    def add(self, entry: Entry) -> None:
        """Queue one record; never raises, never waits for the database (with a writer thread)."""
        self._after_fork()
        with self._lock:
            self._pending.append(entry)
            if len(self._pending) > MAX_PENDING:
                del self._pending[0]
                self._dropped += 1
            full = len(self._pending) >= settings.PRIVET_TELEMETRY_BATCH
        if not settings.PRIVET_TELEMETRY_BACKGROUND:
            if full:
                self.flush()
            return
        self._start()
        if full:
            self._wake.set()

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    # --- writing ------------------------------------------------------------------------------
    def flush(self) -> int:
        """Write every waiting record now, in batches; how many were written. Never raises: a
        failed write is logged and its records wait for the next try (database unreachable) or
        are dropped (anything else: they would fail again)."""
        written = 0
        with self._writing:
            while True:
                with self._lock:
                    batch = self._pending[:max(1, settings.PRIVET_TELEMETRY_BATCH)]
                    del self._pending[:len(batch)]
                    dropped, self._dropped = self._dropped, 0
                if dropped:
                    logger.warning("technical log: %d record(s) dropped, the database was "
                                   "unreachable for too long", dropped)
                if not batch:
                    return written
                try:
                    LOG.keep_ahead()  # this month's partition and the next ones (PostgreSQL)
                    # Its own transaction (a savepoint when called inside one): a failed write
                    # leaves a caller's transaction usable.
                    with transaction.atomic():
                        _insert(_rows(batch))
                except (OperationalError, InterfaceError) as exc:
                    with self._lock:
                        self._pending[:0] = batch
                        overflow = len(self._pending) - MAX_PENDING
                        if overflow > 0:
                            del self._pending[:overflow]
                            self._dropped += overflow
                    logger.warning("technical log: %d record(s) not written yet (%s); tried again "
                                   "in a moment", len(batch), type(exc).__name__)
                    return written
                except DatabaseError as exc:
                    logger.warning("technical log: %d record(s) not written (%s)", len(batch),
                                   type(exc).__name__)
                    continue
                written += len(batch)

    def discard(self) -> None:
        """Forget what waits (tests: one test's records must not be written by the next)."""
        with self._lock:
            self._pending.clear()
            self._dropped = 0

    # --- the writer thread ----------------------------------------------------------------
    def _start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._run, name="privet-telemetry",
                                            daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(settings.PRIVET_TELEMETRY_FLUSH_SECONDS)
            self._wake.clear()
            close_old_connections()  # the thread's own connection obeys CONN_MAX_AGE and health
            self.flush()

    def _after_fork(self) -> None:
        """A forked process (a gunicorn worker of a preloaded app) starts empty, with its own
        thread: the parent's records are the parent's to write."""
        if os.getpid() == self._pid:
            return
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._writing = threading.Lock()
        self._pending = []
        self._dropped = 0
        self._wake = threading.Event()
        self._thread = None


recorder = Recorder()


def flush() -> int:
    """Write every record this process holds now; how many were written."""
    return recorder.flush()


def _flush_at_exit() -> None:
    if recorder.pending():
        recorder.flush()


atexit.register(_flush_at_exit)
