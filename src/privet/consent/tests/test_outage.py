"""The banner's receipts while PostgreSQL restarts: `privet serve` against a private cluster that
the test stops and starts. While the database is away every receipt is answered 503 with
Retry-After and the banner's "could not be saved" message, never 500; once it is back the same
receipt is stored, and every receipt that was answered 201 is in the database."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request

import psycopg
import pytest
from django.conf import settings

from privet.core.tests.cluster import privet_env
from privet.core.tests.logcheck import scan_output
from privet.core.tests.test_cli import free_port, wait_for_http


def post(url: str, body: dict) -> tuple[int, dict, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as answer:
        text = answer.read().decode(errors="replace")
        try:
            return answer.code, dict(answer.headers), json.loads(text)
        except ValueError:  # Django's HTML error page
            return answer.code, dict(answer.headers), {"page": text[:200]}


@pytest.fixture
def served(private_postgres, private_database, tmp_path):
    """`privet serve` (one gunicorn worker, persistent database connections) on the private cluster,
    with the default policy published; yields its base URL."""
    env = privet_env(tmp_path / "data", PRIVET_DATABASE_URL=private_database,
                     PRIVET_WEB_WORKERS="1", PRIVET_WEB_THREADS="2")
    published = subprocess.run([sys.executable, "-m", "privet", "policy", "publish",
                                str(settings.PRIVET_DEFAULT_POLICY_FILE)], env=env,
                               capture_output=True, text=True, timeout=120)
    assert published.returncode == 0, published.stderr
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "privet", "serve", f"127.0.0.1:{port}"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/api/health", server)
        yield base, server
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
        scan_output(output, "privet serve")


def test_a_receipt_during_a_database_restart_is_a_503_to_send_again_never_a_500(
        served, private_postgres, private_database):
    base, server = served
    config = json.loads(urllib.request.urlopen(base + "/api/consent/config?site=softcode").read())
    receipt = {"site": "softcode", "visitor": "a" * 32, "choices": {"analytics": True},
               "policy": config["policy"], "method": "custom", "banner": "1", "lang": "en"}
    accepted = []

    status, _headers, body = post(base + "/api/consent/receipts", receipt)
    assert status == 201, body
    accepted.append(body["id"])

    private_postgres.stop()
    for lang, message in (("en", "Your choice could not be saved. Please try again."),
                          ("pl", "Nie udało się zapisać Twojego wyboru. Spróbuj ponownie.")):
        for _ in range(3):
            status, headers, body = post(base + "/api/consent/receipts", {**receipt, "lang": lang})
            assert status == 503, body
            assert int(headers["Retry-After"]) > 0
            assert body == {"error": "unavailable", "message": message}
    # The banner's config comes from the policy cache, or is a documented 503: never a 500.
    try:
        with urllib.request.urlopen(base + "/api/consent/config?site=softcode", timeout=30) as got:
            assert got.status == 200 and json.loads(got.read())["policy"] == config["policy"]
    except urllib.error.HTTPError as answer:
        assert answer.code == 503 and int(answer.headers["Retry-After"]) > 0
        assert json.loads(answer.read())["error"] == "unavailable"

    private_postgres.start()
    for _ in range(3):  # the first requests after the restart find their old connection dead
        status, _headers, body = post(base + "/api/consent/receipts", receipt)
        assert status == 201, body
        accepted.append(body["id"])

    with psycopg.connect(private_database.replace("postgres://", "postgresql://")) as db:
        stored = [row[0] for row in db.execute("select id from consent_consentreceipt order by id")]
    assert stored == accepted  # nothing accepted was lost, nothing refused was stored
    assert server.poll() is None
