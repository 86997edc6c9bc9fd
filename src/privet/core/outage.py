"""When the database is away: telling an outage (try again soon) from a fault (a bug to fix).

A PostgreSQL restart ends every session ("terminating connection due to administrator
command"), refuses new ones while it shuts down and starts up ("the database system is shutting
down", "connection refused"), and a busy SQLite file stays locked past its timeout. None of these
is a fault of the request or the task: the web answers 503 with ``Retry-After``
(:func:`unavailable_response`) and the worker waits and reconnects
(:mod:`privet.core.management.commands.worker`). Any other database error (a missing table, a
constraint) stays what it is, so a bug is not hidden as an outage.

Nothing here logs or returns the error's message: a connection error quotes the server's address.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse

from privet.errors import PrivetError

# Seconds a client is asked to wait before trying again: a PostgreSQL restart takes a few.
RETRY_AFTER = 5

# SQLSTATE classes and codes of a server that is away, not of a bad statement: connection
# exceptions (08), operator intervention (57P01 admin shutdown, 57P02 crash shutdown, 57P03
# cannot connect now: starting up or shutting down), too many connections (53300).
_AWAY_CLASSES = ("08",)
_AWAY_CODES = {"57P01", "57P02", "57P03", "53300"}
# SQLite's errors of a file that is busy or cannot be reached for now.
_SQLITE_AWAY = ("database is locked", "database table is locked", "unable to open database",
                "disk i/o error")


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says the database cannot be reached for now."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, InterfaceError):  # "connection already closed"
            return True
        if isinstance(exc, OperationalError):
            cause = exc.__cause__
            sqlstate = getattr(cause, "sqlstate", False)
            if sqlstate is not False:  # psycopg: None for a failed or lost connection
                return sqlstate is None or sqlstate.startswith(_AWAY_CLASSES) or sqlstate in _AWAY_CODES
            text = str(exc).lower()
            return any(away in text for away in _SQLITE_AWAY) or "connection" in text
        exc = exc.__cause__ or exc.__context__
    return False


class DatabaseUnavailable(PrivetError):
    """The database cannot be reached for now: the API answers 503 with ``Retry-After``."""

    code = "unavailable"
    status = 503
    retry_after = RETRY_AFTER


@contextmanager
def unavailable_as(message: str) -> Iterator[None]:
    """Turn a database outage inside the block into :class:`DatabaseUnavailable` saying
    ``message`` (what the person was doing and that it was not done); other errors pass."""
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        if not is_database_unavailable(exc):
            raise
        raise DatabaseUnavailable(str(message)) from None  # not the cause: it quotes the server


def unavailable_response(exc: DatabaseUnavailable) -> JsonResponse:
    """The API's 503 outside django-ninja (middleware): the same shape and headers."""
    response = JsonResponse({"error": exc.code, "message": str(exc)}, status=exc.status)
    response["Retry-After"] = str(exc.retry_after)
    return response
