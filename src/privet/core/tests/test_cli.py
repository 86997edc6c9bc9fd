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

from privet.core.tests.logcheck import scan_output


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
        scan_output(output, "privet demo")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, output
    assert f"http://127.0.0.1:{port}/" in output
    assert "Stopped." in output
    assert "gunicorn" in output.lower() and "Starting worker" in output
    assert "TikTok contract fake (stands in for TikTok in the demo) at http://127.0.0.1:" in output


@pytest.mark.parametrize("command", [["serve"], ["worker", "--batch"]])
def test_production_refuses_to_start_a_server_without_the_site_url(env, command):
    """Links in mail must point at the address the public uses: no guess in production."""
    done = privet(*command, env={**env, "PRIVET_SECRET_KEY": "k" * 50})
    assert done.returncode == 2
    assert ("privet: configuration error: PRIVET_SITE_URL is not set. Production refuses to start "
            "without the site's public address") in done.stderr
    assert "Traceback" not in done.stderr


def test_a_site_url_that_is_not_an_address_is_refused(env):
    done = privet("manage", "check", env={**env, "PRIVET_SECRET_KEY": "k" * 50,
                                          "PRIVET_SITE_URL": "privacy.example.com"})
    assert done.returncode == 2
    assert "PRIVET_SITE_URL='privacy.example.com' is not the site's public address" in done.stderr


def read_outbox(folder, count: int, proc: subprocess.Popen, timeout: float = 60) -> list:
    """The demo's mails once ``count`` are in its outbox (the worker sends them)."""
    import email
    import email.policy

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = sorted(folder.glob("*.eml")) if folder.is_dir() else []
        if len(files) >= count:
            return [email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
                    for f in files]
        assert proc.poll() is None, "the demo stopped"
        time.sleep(0.25)
    raise AssertionError(f"{count} mails did not reach the demo's outbox within {timeout}s")


def test_demo_mail_links_point_at_the_address_it_serves_and_the_operator_is_told(env, tmp_path):
    """`privet demo 127.0.0.1:PORT`: an enquiry through the contact form is acknowledged with
    links on that address, and the demo operator (who has an address) gets the notice; both
    wait in the demo's outbox, none of them in the log."""
    import httpx

    from privet.enquiries.tests.conftest import VALID, solve

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "privet", "demo", f"127.0.0.1:{port}"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        wait_for_http(f"{base}/contact/", proc)
        with httpx.Client(base_url=base, timeout=30) as browser:
            form = browser.get("/contact/").text
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
            payload = solve(browser.get("/altcha/challenge/").json())
            sent = browser.post("/contact/", data={**VALID, "altcha": payload,
                                                   "csrfmiddlewaretoken": token})
            assert sent.status_code == 302, sent.text
        mails = read_outbox(tmp_path / "data" / "outbox", 2, proc)
        os.killpg(proc.pid, signal.SIGINT)
        output, _ = proc.communicate(timeout=30)
        scan_output(output, "privet demo")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    by_recipient = {str(m["To"]): m.get_body(preferencelist=("plain",)).get_content() for m in mails}
    assert set(by_recipient) == {VALID["email"], "operator@demo.example.com"}
    for text in by_recipient.values():
        links = re.findall(r"https?://[^\s<>\"]+", text)
        assert links and all(link.startswith(f"{base}/") for link in links), links
    assert f"{base}/panel/enquiries/" in by_recipient["operator@demo.example.com"]
    assert f"{base}/panel/outbox/" in output
    assert VALID["email"] not in output and "Traceback" not in output


def test_a_demo_bound_to_every_interface_links_to_one_a_browser_here_reaches():
    from privet.core.management.commands.demo import served_site

    assert served_site("0.0.0.0:8080") == ("http://127.0.0.1:8080", "127.0.0.1")
    assert served_site("[::]:8080") == ("http://[::1]:8080", "[::1]")
    assert served_site("192.0.2.7:9000") == ("http://192.0.2.7:9000", "192.0.2.7")
