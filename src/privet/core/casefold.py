"""Case-insensitive text search that folds every letter, not only ASCII, on both databases.

SQLite's ``LIKE`` and ``lower()`` fold ASCII letters only: "żółć" would not find "Żółć", nor
"ZIELIŃSKI" find "Zieliński". Every SQLite connection therefore gets a deterministic SQL function,
``privet_casefold``, that applies Python's :meth:`str.casefold` (registered on
``connection_created`` in :mod:`.apps`: database plumbing, like a collation). PostgreSQL's
``UPPER``, which Django's ``icontains`` uses, already folds Unicode letters (with the UTF-8
``LC_CTYPE`` a PostgreSQL database is created with), so it keeps ``icontains``.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Func, Q, QuerySet, TextField

SQL_FUNCTION = "privet_casefold"


def _casefold(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value


def register_casefold(sender: object = None, *, connection: BaseDatabaseWrapper, **kwargs) -> None:
    """``connection_created`` receiver: give a new SQLite connection ``privet_casefold()``."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQL_FUNCTION, 1, _casefold, deterministic=True)


class Casefold(Func):
    """``privet_casefold(expression)``: SQLite only (see :func:`register_casefold`)."""

    function = SQL_FUNCTION
    arity = 1
    output_field = TextField()


def contains_any(qs: QuerySet, fields: tuple[str, ...], text: str) -> tuple[QuerySet, Q]:
    """``(qs, match)``: ``match`` is true where one of ``fields`` contains ``text``, ignoring case
    in every alphabet. ``qs`` gains the aliases the match needs on SQLite; filter that one."""
    if connections[qs.db].vendor == "sqlite":
        folded = text.casefold()
        qs = qs.alias(**{f"{name}_casefolded": Casefold(name) for name in fields})
        return qs, reduce(or_, (Q(**{f"{name}_casefolded__contains": folded}) for name in fields))
    return qs, reduce(or_, (Q(**{f"{name}__icontains": text}) for name in fields))
