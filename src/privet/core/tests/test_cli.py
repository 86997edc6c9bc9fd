"""The `privet` console script, run as an operator runs it: in a subprocess."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


@pytest.fixture
def env(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PRIVET_", "DJANGO_"))}
    clean["PRIVET_DATA_DIR"] = str(tmp_path / "data")
    return clean


def privet(*args, env, timeout=120):
    return subprocess.run([sys.executable, "-m", "privet", *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, proc: subprocess.Popen, timeout: float = 60) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early: {proc.stdout.read()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read()
        except OSError:
            time.sleep(0.25)
    raise AssertionError(f"{url} did not answer within {timeout}s")


def test_production_refuses_to_start_without_a_secret_key(env):
    done = privet("manage", "check", env=env)
    assert done.returncode != 0
    assert "PRIVET_SECRET_KEY is not set" in done.stderr


def test_a_short_secret_key_is_refused(env):
    done = privet("manage", "check", env={**env, "PRIVET_SECRET_KEY": "changeme"})
    assert done.returncode == 2
    assert "PRIVET_SECRET_KEY is 8 characters long; use at least 32" in done.stderr


def test_the_readme_production_steps_work_on_a_fresh_machine(env, tmp_path):
    """`privet manage migrate` creates the data folder; then a policy file is published."""
    env = {**env, "PRIVET_SECRET_KEY": "k" * 50}
    assert not (tmp_path / "data").exists()
    migrated = privet("manage", "migrate", "-v", "0", env=env)
    assert migrated.returncode == 0, migrated.stderr
    from django.conf import settings

    published = privet("policy", "publish", str(settings.PRIVET_DEFAULT_POLICY_FILE), env=env)
    assert published.returncode == 0, published.stderr
    assert "Published version 1.0" in published.stdout
    assert "AXES" not in published.stdout + published.stderr  # no library banners in CLI output


def test_help_lists_the_commands(env):
    done = privet(env=env)
    assert done.returncode == 0
    for command in ("demo", "serve", "worker", "policy publish", "ropa export", "audit verify"):
        assert command in done.stdout


def test_demo_setup_publishes_the_policy_and_creates_an_operator_once(env, tmp_path):
    first = privet("demo", "--setup-only", env=env)
    assert first.returncode == 0, first.stderr
    assert "Published policy version 1.0" in first.stdout
    password = re.search(r"one-time password: (\S+)", first.stdout).group(1)
    assert len(password) >= 12
    key_file = tmp_path / "data" / "secret_key"
    assert key_file.exists() and oct(key_file.stat().st_mode)[-3:] == "600"
    second = privet("demo", "--setup-only", env=env)
    assert second.returncode == 0, second.stderr
    assert "Published policy" not in second.stdout and password not in second.stdout
    assert "exists" in second.stdout


def test_demo_serves_through_gunicorn_and_stops_cleanly_on_ctrl_c(env):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "privet", "demo", f"127.0.0.1:{port}"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        page = wait_for_http(f"http://127.0.0.1:{port}/privacy/", proc).decode()
        assert "SoftCode Piotr Nowacki" in page
        css = wait_for_http(f"http://127.0.0.1:{port}/static/privet/site.css", proc)
        assert b"--accent" in css  # static files through whitenoise
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, output
    assert f"http://127.0.0.1:{port}/" in output
    assert "Stopped." in output
    assert "gunicorn" in output.lower() and "Starting worker" in output
