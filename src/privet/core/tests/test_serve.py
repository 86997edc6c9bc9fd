"""`privet serve` as clients reach it: gunicorn in a subprocess, spoken to over real sockets.

What the test client cannot show: a body sent with ``Transfer-Encoding: chunked``, malformed
HTTP that gunicorn answers itself, and what the server writes to its log.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from .logcheck import scan_file_at_end
from .test_cli import free_port, wait_for_http

# The test's connections come from this loopback address (not the server's own 127.0.0.1), so
# finding it anywhere in the server's output means a client address was logged.
CLIENT_ADDRESS = "127.0.0.77"
RECEIPT_LIMIT = 4096
BODY_LIMIT = settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class Server:
    def __init__(self, port: int, log: Path):
        self.port, self.log = port, log

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30,
                                          source_address=(CLIENT_ADDRESS, 0))

    def raw(self, data: bytes) -> bytes:
        """Send ``data`` on a fresh connection; what the server answered until it closed."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=30,
                                      source_address=(CLIENT_ADDRESS, 0)) as sock:
            sock.sendall(data)
            return _read_all(sock)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def _read_all(sock: socket.socket) -> bytes:
    answer = b""
    while chunk := sock.recv(65536):
        answer += chunk
    return answer


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRIVET_", "DJANGO_"))}
    env.update(PRIVET_DATA_DIR=str(tmp / "data"), PRIVET_SECRET_KEY="s" * 50,
               PRIVET_SITE_URL="http://127.0.0.1")
    privet = [sys.executable, "-m", "privet"]
    for step in (["manage", "migrate", "-v", "0"],
                 ["policy", "publish", str(settings.PRIVET_DEFAULT_POLICY_FILE)]):
        done = subprocess.run([*privet, *step], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    port = free_port()
    log = tmp / "serve.log"
    scan_file_at_end(log, "privet serve")
    with log.open("wb") as out:
        proc = subprocess.Popen([*privet, "serve", f"127.0.0.1:{port}", "--workers", "1",
                                 "--threads", "2", "--skip-collectstatic"],
                                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/api/health", proc)
        yield Server(port, log)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def receipt(server) -> dict:
    conn = server.connection()
    conn.request("GET", "/privacy.json")
    policy = json.loads(conn.getresponse().read())
    return {"site": "privet", "visitor": "c" * 32, "choices": {"analytics": True, "marketing": False},
            "policy": policy["hash"], "method": "custom", "gpc": False, "banner": "1", "lang": "en"}


def chunks(body: bytes, size: int = 1000):
    for start in range(0, len(body), size):
        yield body[start:start + size]


def post_chunked(server: Server, body: bytes) -> tuple[int, dict]:
    conn = server.connection()
    conn.request("POST", "/api/consent/receipts", body=chunks(body), encode_chunked=True,
                 headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
    response = conn.getresponse()
    return response.status, json.loads(response.read())


def test_a_chunked_receipt_is_read_and_stored(server, receipt):
    status, answer = post_chunked(server, json.dumps(receipt).encode())
    assert status == 201, answer
    assert answer["visitor"] == receipt["visitor"] and answer["choices"]["analytics"] is True


def test_an_oversized_chunked_receipt_is_refused_like_any_oversized_one(server, receipt):
    body = json.dumps({**receipt, "pad": "x" * RECEIPT_LIMIT}).encode()
    status, answer = post_chunked(server, body)
    assert status == 413
    assert answer["error"] == "too_large" and f"this one is {len(body)}" in answer["message"]


def test_an_endless_chunked_body_is_refused_without_waiting_for_its_end(server):
    """The body's end never comes: the answer does, once more than the limit has arrived."""
    head = (b"POST /api/consent/receipts HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    piece = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
    count = BODY_LIMIT // 65536 + 1
    with socket.create_connection(("127.0.0.1", server.port), timeout=60,
                                  source_address=(CLIENT_ADDRESS, 0)) as sock:
        sock.sendall(head + piece * count)  # no closing 0-size chunk
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"] == "too_large"
    conn = server.connection()  # and the server goes on serving
    conn.request("GET", "/api/health")
    assert conn.getresponse().status == 200


def test_head_is_answered_by_the_real_server(server):
    conn = server.connection()
    conn.request("HEAD", "/api/health")
    response = conn.getresponse()
    assert response.status == 200
    assert int(response.headers["Content-Length"]) == len(b'{"status": "ok"}')
    assert response.read() == b""


@pytest.mark.parametrize("request_bytes", [
    pytest.param(b"GARBAGE\r\n\r\n", id="no-request-line"),
    pytest.param(b"GET / HTTP/1.1 extra\r\nHost: 127.0.0.1\r\n\r\n", id="bad-request-line"),
    pytest.param(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header: x\r\n\r\n",
                 id="bad-header-name"),
    pytest.param(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: " + b"a" * 9000 + b"\r\n\r\n",
                 id="oversized-header"),
    pytest.param(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 + b"".join(b"X-%d: y\r\n" % n for n in range(200)) + b"\r\n", id="too-many-headers"),
])
def test_malformed_requests_leave_no_client_address_in_the_log(server, request_bytes):
    answer = server.raw(request_bytes)
    assert answer.startswith(b"HTTP/1.1 4"), answer[:200]  # gunicorn refused it itself
    output = server.output()
    assert "Invalid request from ip=ip-ref:" in output  # the line is there, with the pseudonym
    assert CLIENT_ADDRESS not in output
    assert f"Listening at: http://127.0.0.1:{server.port}" in output  # our own address stays


@pytest.mark.parametrize(("line", "kept", "gone"), [
    ("Invalid request from ip=203.0.113.5: Invalid HTTP request line", ["Invalid request from ip=ip-ref:",
                                                                        ": Invalid HTTP request line"],
     ["203.0.113.5"]),
    ("peer [2001:db8::1]:443 and ::ffff:203.0.113.5, 010.000.000.001", ["ip-ref:"],
     ["2001:db8", "203.0.113.5", "010.000"]),
    ("[2026-12-01 23:40:12 +0000] [1234] [INFO] Starting gunicorn 23.0.1",
     ["23:40:12", "gunicorn 23.0.1", "[1234]"], ["ip-ref:"]),
    ("Listening at: http://127.0.0.1:8000 (1234)", ["http://127.0.0.1:8000"], ["ip-ref:"]),
])
def test_log_lines_lose_client_addresses_but_keep_what_is_not_one(line, kept, gone):
    from privet.core.serverlog import pseudonymise_addresses

    scrubbed = pseudonymise_addresses(line, keep=frozenset({"127.0.0.1:8000"}))
    assert all(text in scrubbed for text in kept), scrubbed
    assert not any(text in scrubbed for text in gone), scrubbed


def test_one_client_has_one_pseudonym_however_its_address_is_written():
    from privet.core.serverlog import pseudonymise_addresses

    refs = {pseudonymise_addresses(f"ip={a}").split("ip-ref:")[1][:16]
            for a in ("203.0.113.5", "203.000.113.005", "::ffff:203.0.113.5")}
    assert len(refs) == 1
