"""Real ``privet worker`` processes that SIGKILL themselves at a chosen SQL statement of the rights
engine's work: the kill points of the erasure fault test and its benchmark.

Run as ``python -m privet.rights.tests.killer`` (the "zygote"): it sets Django up once, then, for
each line ``{"worker_id": ..., "plan": {request_id: k}}`` read on its standard input, forks a
child that runs the real worker command (``privet worker``, the database backend with its lease)
and answers ``{"pid": ...}`` on its standard output. Forking saves the second or two Django takes
to start, so a trial costs the work, not the start-up; the child's output goes to the zygote's
standard error (the test's log).

The kill point is an event, not a timer: in the FIRST run of the ``process_request`` task of a
request the plan names, the worker counts the SQL statements it sends (an execute wrapper on its
connection) and SIGKILLs itself just before the k-th, wherever that falls: inside a step's
transaction (half an erasure done and not committed), between two steps, in the transaction
that completes the request, after it committed and before its mail's task was queued. A task
run again after a kill is not killed again (at most one kill per request's task), so the
worker's limit of interrupted runs (``privet.core.leases.MAX_RUNS``) is never what ends a trial.
"""

from __future__ import annotations

import json
import os
import signal
import sys

TASK = "privet.rights.engine.process_request"
PLAN: dict[int, int] = {}
_left: list[int | None] = [None]


def _count(execute, sql, params, many, context):
    if _left[0] is not None:
        _left[0] -= 1
        if _left[0] <= 0:
            os.write(2, f"killer: pid {os.getpid()} SIGKILLs itself before: {sql[:60]}\n".encode())
            os.kill(os.getpid(), signal.SIGKILL)
    return execute(sql, params, many, context)


def _started(sender, task_result, **kwargs) -> None:
    from django.db import connection

    _left[0] = None
    if task_result.task.module_path != TASK or len(task_result.worker_ids) > 1:
        return
    if k := PLAN.get(int(task_result.args[0])):
        _left[0] = k
        if _count not in connection.execute_wrappers:
            connection.execute_wrappers.append(_count)


def _finished(sender, task_result, **kwargs) -> None:
    _left[0] = None


def _child(worker_id: str, plan: dict[str, int]) -> None:
    from django.core.management import execute_from_command_line

    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    PLAN.update({int(r): int(k) for r, k in plan.items()})
    ended = "returned"
    try:
        execute_from_command_line(["privet", "worker", "--interval", "0.05", "--no-startup-delay",
                                   "--skip-checks", "--worker-id", worker_id])
    except BaseException as exc:  # said in the log, then the process ends
        ended = repr(exc)
    finally:
        os.write(2, f"killer: worker {worker_id} (pid {os.getpid()}) ended: {ended}\n".encode())
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privet.settings")
    import django

    django.setup()
    from django.db import connections
    from django_tasks.signals import task_finished, task_started

    task_started.connect(_started)
    task_finished.connect(_finished)
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # the workers' output goes to the log, the replies to the test
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # dead workers are reaped by the system
    for line in sys.stdin:
        order = json.loads(line)
        connections.close_all()  # a child never shares a connection with its parent
        pid = os.fork()
        if pid == 0:
            replies.close()
            _child(order["worker_id"], order.get("plan", {}))
        replies.write(json.dumps({"pid": pid}) + "\n")
        replies.flush()


if __name__ == "__main__":
    main()
