"""The PostgreSQL server the benchmarks run on: where it is, whether it answers, and a statement
run on its maintenance database (creating and dropping each bench's own database)."""

from __future__ import annotations

import os


def pg_base() -> str:
    """PRIVET_BENCH_PG, the server's URL without a database name."""
    return os.environ.get("PRIVET_BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def reachable(base: str) -> str | None:
    """``None`` when the server answers, else why not."""
    import psycopg

    try:
        with psycopg.connect(f"{base}/postgres", connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"


def admin(base: str, sql: str) -> None:
    """``sql`` on the maintenance database, outside a transaction (CREATE/DROP DATABASE)."""
    import psycopg

    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(sql)
