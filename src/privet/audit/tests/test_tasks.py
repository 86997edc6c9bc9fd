"""A real task through a real worker: the database backend, and RQ on Redis."""

import os
import sqlite3
import subprocess
import sys

import pytest
from django.core.management import call_command

from privet.audit.models import AuditEvent
from privet.audit.services import append_event
from privet.audit.tasks import verify_audit_chain


@pytest.mark.django_db(transaction=True)
def test_database_backend_worker_runs_the_verification_task(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    append_event(actor="test", action="thing.done")
    queued = verify_audit_chain.enqueue()
    assert queued.status == "READY"
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    result = verify_audit_chain.get_result(queued.id)
    assert result.status == "SUCCESSFUL"
    assert result.return_value == {"ok": True, "checked": 1, "broken_at": None}
    assert AuditEvent.objects.filter(action="audit.verified", actor="system:worker").exists()


def run_privet(args, env):
    return subprocess.run([sys.executable, "-m", "privet", *args], env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("backend", ["db", "rq"])
def test_cli_queues_and_worker_process_runs(backend, tmp_path, request):
    """`privet audit verify --background` then `privet worker --batch`, as an operator would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRIVET_", "DJANGO_"))}
    env.update(PRIVET_SECRET_KEY="test-key-" + "y" * 40, PRIVET_DATA_DIR=str(tmp_path),
               PRIVET_TASK_BACKEND=backend, PRIVET_SITE_URL="https://privacy.example.com")
    if backend == "rq":
        env["PRIVET_REDIS_URL"] = request.getfixturevalue("redis_url")
        import redis

        redis.Redis.from_url(env["PRIVET_REDIS_URL"]).flushdb()
    for args in (["manage", "migrate", "-v0"], ["audit", "verify", "--background"],
                 ["worker", "--batch"]):
        done = run_privet(args, env)
        assert done.returncode == 0, done.stderr
    with sqlite3.connect(tmp_path / "privet.sqlite3") as db:
        actions = [a for (a,) in db.execute("select action from audit_auditevent order by seq")]
    assert actions == ["audit.verified"]
