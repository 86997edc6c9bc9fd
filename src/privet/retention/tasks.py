"""The sweeper as a task on the worker (queued daily by :mod:`privet.core.schedule`)."""

from __future__ import annotations

from django_tasks import task

from privet.audit import actors

from . import engine


@task()
def sweep(actor: str = actors.RETENTION) -> dict[str, int]:
    """One run over every rule, by ``actor`` (the daily job, or ``user:<id>`` who pressed "Run
    now": the run record and its audit event say who). Another run alive, or no policy
    published, is no error: the next day's run does the work."""
    try:
        run = engine.sweep(actor=actor)
    except (engine.RunInProgress, engine.NoPolicy) as exc:
        return {"skipped": 1, "reason": exc.code}  # type: ignore[dict-item]
    return {"run": run.pk, "expired": run.total("expired"), "held": run.total("held")}
