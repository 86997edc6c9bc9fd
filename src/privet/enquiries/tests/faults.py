"""Killing a real worker at chosen points of a real SMTP conversation.

:class:`FaultySink` is an SMTP server (aiosmtpd) that counts the mails it took per Message-ID and,
for the SMTP sessions named in its plan, SIGKILLs the worker process it is talking to at one of
:data:`POINTS`. Each point is reached by an event the server sees (a command, the end of the
message) or by holding a database lock the worker must get past, never by a timer's luck, so
the outcome of a seeded plan is the same on every run:

- ``mail-from``: at MAIL FROM. The mail was claimed, nothing was sent.
- ``before-end``: the whole message but its final dot: the server holds a lock the worker needs
  to record the hand-over, and kills it waiting. Nothing delivered (no dot, no mail).
- ``at-end``: the server has the whole message and kills the worker before answering. Delivered;
  the worker never heard so.
- ``after-answer``: the server answers 250 while holding a lock the worker needs to record
  "sent", and kills it waiting. Delivered; not recorded.
- ``after-sent``: the worker recorded "sent"; it is killed before it can start the next mail's
  conversation (the server holds the next MAIL FROM until then).
"""

from __future__ import annotations

import asyncio
import email
import os
import signal
import sqlite3
import threading
import time
from collections import Counter
from contextlib import suppress
from urllib.parse import quote

import psycopg

POINTS = ("mail-from", "before-end", "at-end", "after-answer", "after-sent")
# Points after which the server has the mail but the worker never recorded it: "may have been sent".
UNCERTAIN_POINTS = {"at-end", "after-answer"}
HOLD = 0.3  # seconds the worker is left waiting at a held lock before it is killed
OUTBOX = "enquiries_outgoingmail"


def database_url(settings_dict: dict) -> str:
    """The test database as a ``PRIVET_DATABASE_URL`` for a ``privet`` subprocess."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    auth = quote(settings_dict["USER"] or "")
    if settings_dict.get("PASSWORD"):
        auth += ":" + quote(settings_dict["PASSWORD"])
    host = settings_dict["HOST"] or "127.0.0.1"
    return f"postgres://{auth}@{host}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"


class RawDatabase:
    """The test database through its driver, from the server's threads: another client."""

    def __init__(self, settings_dict: dict) -> None:
        self.sqlite = settings_dict["ENGINE"].endswith("sqlite3")
        self.settings = settings_dict

    def _connect(self, *, autocommit: bool = True):
        if self.sqlite:
            return sqlite3.connect(self.settings["NAME"], timeout=30, isolation_level=None,
                                   check_same_thread=False)
        s = self.settings
        return psycopg.connect(dbname=s["NAME"], user=s["USER"], password=s.get("PASSWORD") or None,
                               host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432,
                               autocommit=autocommit)

    def state_of(self, message_id: str) -> str | None:
        connection = self._connect()
        try:
            marker = "?" if self.sqlite else "%s"
            row = connection.execute(f"SELECT state FROM {OUTBOX} WHERE message_id = {marker}",
                                     (message_id,)).fetchone()
            return row[0] if row else None
        finally:
            connection.close()

    def hold_outbox(self):
        """Take a lock that stops every write to the outbox until the returned callable is called
        (SQLite: the database's write lock; PostgreSQL: the table's EXCLUSIVE lock)."""
        connection = self._connect(autocommit=False)
        if self.sqlite:
            connection.execute("BEGIN IMMEDIATE")
        else:
            connection.execute(f"LOCK TABLE {OUTBOX} IN EXCLUSIVE MODE")

        def release() -> None:
            with suppress(Exception):
                connection.rollback()
            connection.close()

        return release


class FaultySink:
    """aiosmtpd handler: takes every mail, counts them by Message-ID, kills the worker as planned.

    ``plan`` maps an SMTP session's number (1, 2, ... counted at MAIL FROM across restarts) to a
    point of :data:`POINTS`; ``worker`` is the worker process of the moment (the test sets it).
    """

    def __init__(self, plan: dict[int, str], database: RawDatabase) -> None:
        self.plan, self.database = plan, database
        self.sessions = 0
        self.delivered: Counter[str] = Counter()
        self.kills: list[tuple[int, str, str | None]] = []  # (session, point, Message-ID)
        self.worker = None
        self._hold_next: threading.Event | None = None
        self._threads: list[threading.Thread] = []

    def _kill(self) -> None:
        with suppress(ProcessLookupError):
            os.kill(self.worker.pid, signal.SIGKILL)

    def _later(self, action) -> None:
        thread = threading.Thread(target=action, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _kill_holding(self, release) -> None:
        def act() -> None:
            time.sleep(HOLD)  # the worker waits at the lock whether this is long or short
            self._kill()
            self.worker.wait()
            release()
        self._later(act)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # aiosmtpd hook
        if self._hold_next is not None:  # the worker must not get further until it is killed
            held, self._hold_next = self._hold_next, None
            if not held.is_set():  # this conversation is the worker that is being killed
                await asyncio.get_running_loop().run_in_executor(None, held.wait, 60)
                return "421 Closing"
        self.sessions += 1
        session.privet_session = self.sessions
        session.privet_point = self.plan.get(self.sessions)
        if session.privet_point == "mail-from":
            self.kills.append((self.sessions, "mail-from", None))
            self._kill()
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # aiosmtpd hook
        if session.privet_point == "before-end" and not envelope.rcpt_tos:
            self.kills.append((session.privet_session, "before-end", None))
            self._kill_holding(self.database.hold_outbox())
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd hook
        message_id = email.message_from_bytes(envelope.original_content)["Message-ID"]
        self.delivered[message_id] += 1
        point = session.privet_point
        if point in ("at-end", "after-answer", "after-sent"):
            self.kills.append((session.privet_session, point, message_id))
        if point == "at-end":
            self._kill()
        elif point == "after-answer":
            self._kill_holding(self.database.hold_outbox())
        elif point == "after-sent":
            self._hold_next = held = threading.Event()

            def act() -> None:
                deadline = time.monotonic() + 60
                while self.database.state_of(message_id) != "sent" and time.monotonic() < deadline:
                    time.sleep(0.02)
                self._kill()
                self.worker.wait()
                held.set()
            self._later(act)
        return "250 Message accepted for delivery"

    def join(self) -> None:
        for thread in self._threads:
            thread.join(timeout=60)
