"""A real ``privet serve`` stopped as an operator stops it (SIGTERM: gunicorn's graceful stop)
loses no technical-log record: what each worker still held in memory is written on its way out
(the ``worker_exit`` hook of :mod:`privet.core.management.commands.serve`).

The writer is told to wait an hour and a million records before writing, so every record is
still in the workers' memory when the signal comes (the test checks the table is empty then):
only the graceful stop can have written them. On SQLite (the data folder's) and on PostgreSQL
(the private cluster's, skipped without PostgreSQL's binaries) as the other served tests.
"""

from __future__ import annotations

import http.client
import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from privet.core.tests.cluster import privet_env
from privet.core.tests.test_cli import free_port, wait_for_http

# The test's connections come from this loopback address, not the server's own 127.0.0.1: found
# anywhere in the log's rows or the server's output, it would be a raw address kept.
CLIENT_ADDRESS = "127.0.0.77"
TOKEN = "Zm9yZ290LXRva2VuLTEyMzQ1Njc4OTA"
# What the test asks for, and the route each is recorded under: names, never paths.
PAGES = [
    ("/privacy/", "policy:page", 200),
    ("/api/consent/config?site=softcode", "api:config", 200),
    (f"/no-such-page/{TOKEN}/", "(unresolved)", 404),
]
ROUNDS = 15  # 45 requests over 4 connections: both workers answer some
COLUMNS = "kind, method, route, status, network, pseudonym, user_agent_family, os_family, details"


def rows(database: str, data_dir: Path) -> list[tuple]:
    sql = f"SELECT {COLUMNS} FROM telemetry_technicalrecord ORDER BY id"
    if database == "sqlite":
        with sqlite3.connect(data_dir / "privet.sqlite3") as db:
            return db.execute(sql).fetchall()
    with psycopg.connect(database) as db:
        return db.execute(sql).fetchall()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_graceful_stop_writes_every_record_the_workers_still_hold(backend, request, tmp_path):
    data_dir = tmp_path / "data"
    extra = {"PRIVET_WEB_WORKERS": "2", "PRIVET_WEB_THREADS": "2",
             # Nothing is written while the server runs: only the graceful stop can.
             "PRIVET_TELEMETRY_FLUSH_SECONDS": "3600", "PRIVET_TELEMETRY_BATCH": "1000000"}
    if backend == "postgresql":
        extra["PRIVET_DATABASE_URL"] = database = request.getfixturevalue("private_database")
    else:
        database = "sqlite"
    env = privet_env(data_dir, **extra)
    for step in (["manage", "migrate", "-v", "0"],
                 ["policy", "publish", str(settings.PRIVET_DEFAULT_POLICY_FILE)]):
        done = subprocess.run([sys.executable, "-m", "privet", *step], env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "privet", "serve", f"127.0.0.1:{port}"],
                                  env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        with log.open() as output:
            server.stdout = output  # what wait_for_http shows if the server dies
            wait_for_http(f"http://127.0.0.1:{port}/api/health", server)
        connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=30,
                                                  source_address=(CLIENT_ADDRESS, 0))
                       for _ in range(4)]
        answered = Counter()
        for i in range(ROUNDS):
            for j, (path, route, status) in enumerate(PAGES):
                conn = connections[(i + j) % len(connections)]
                conn.request("GET", path, headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; "
                                                                 "rv:141.0) Gecko/20100101 Firefox/141.0"})
                response = conn.getresponse()
                response.read()
                assert response.status == status, (path, response.status)
                answered[route] += 1
        for conn in connections:
            conn.close()
        assert rows(database, data_dir) == []  # every record is still in the workers' memory

        os.killpg(server.pid, signal.SIGTERM)
        assert server.wait(timeout=60) == 0
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()

    stored = rows(database, data_dir)
    recorded = Counter(row[2] for row in stored if row[2] in answered)
    assert recorded == answered == Counter({route: ROUNDS for _path, route, _status in PAGES})
    assert {row[2] for row in stored} - set(answered) == {"api:health"}  # the readiness probe
    for kind, method, route, _status, network, pseudonym, browser, system, _details in stored:
        assert (kind, method, network, len(pseudonym)) == ("request", "GET", "127.0.0.0/24", 32)
        if route in answered:
            assert (browser, system) == ("Firefox", "Linux")
    assert CLIENT_ADDRESS not in repr(stored) + log.read_text(encoding="utf-8", errors="replace")
    assert TOKEN not in repr(stored) and "no-such-page" not in repr(stored)
