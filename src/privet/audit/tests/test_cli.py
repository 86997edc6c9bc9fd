"""`privet audit verify` takes Django's standard options wherever they come, as every command does."""

import os
import sqlite3
import subprocess
import sys

import pytest


@pytest.fixture
def env(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PRIVET_", "DJANGO_"))}
    clean.update(PRIVET_SECRET_KEY="test-key-" + "q" * 40, PRIVET_DATA_DIR=str(tmp_path))
    return clean


def privet(*args, env):
    return subprocess.run([sys.executable, "-m", "privet", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_verify_with_verbosity_0_is_quiet_and_its_exit_status_tells_the_result(env, tmp_path):
    assert privet("manage", "migrate", "-v", "0", env=env).returncode == 0
    appended = privet("manage", "shell", "-c", "from privet.audit.services import append_event\n"
                      "for i in range(3): append_event(actor='cli', action='thing.done')", env=env)
    assert appended.returncode == 0, appended.stderr
    for args in (["audit", "verify", "-v", "0"], ["audit", "verify", "--verbosity=0", "--no-color"],
                 ["audit", "-v", "0", "verify"]):
        done = privet(*args, env=env)
        assert (done.returncode, done.stdout, done.stderr) == (0, "", ""), args
    loud = privet("audit", "verify", "-v", "1", env=env)
    assert loud.returncode == 0 and "3 events verified" in loud.stdout

    with sqlite3.connect(tmp_path / "privet.sqlite3") as db:  # someone edits the file directly
        db.execute("DROP TRIGGER audit_event_no_update")
        db.execute("UPDATE audit_auditevent SET action = 'thing.undone' WHERE seq = 2")
    broken = privet("audit", "verify", "-v", "0", env=env)
    assert broken.returncode == 1
    assert broken.stdout == ""
    assert "BROKEN at event #2" in broken.stderr


def test_a_short_audit_key_is_refused_at_start(env):
    done = privet("manage", "check", env={**env, "PRIVET_AUDIT_KEY": "short"})
    assert done.returncode == 2
    assert "PRIVET_AUDIT_KEY is 5 characters long; use at least 32" in done.stderr
