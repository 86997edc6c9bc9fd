"""Consent: banner size, and receipts per second through the real HTTP stack on PostgreSQL.

- Size: consent.js + consent.css, each gzipped (-9) as served, against the 5 kB budget.
- Throughput: ``privet serve`` (gunicorn, 2 workers x 4 threads, the production settings) on a
  free 127.0.0.1 port against a fresh PostgreSQL database, with Redis as the shared cache that
  the per-client rate limit counts in (limit on, set high enough not to refuse the bench).
  Concurrent clients (threads, one keep-alive httpx client each) alternate rounds of
  ``POST /api/consent/receipts`` and of the trivial ``GET /api/health``; the goal is receipts/s
  at least 0.5 x health/s of the same server in the same run.
- Zero lost: every receipt answered 2xx must be a row in the database afterwards.

PRIVET_BENCH_PG (default postgres://postgres@127.0.0.1:5432) names the server; the database
privet_bench_consent is created and dropped. ``--quick``: shorter rounds.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "src" / "privet" / "consent" / "static" / "consent"
POLICY = ROOT / "src" / "privet" / "policy" / "default_policy.yaml"
BUDGET = 5000
GOAL = 0.5
DB_NAME = "privet_bench_consent"
CLIENTS = 8


def banner_size() -> bool:
    sizes = {n: len(gzip.compress((STATIC / n).read_bytes(), 9)) for n in ("consent.js", "consent.css")}
    total = sum(sizes.values())
    detail = ", ".join(f"{n} {s} B" for n, s in sizes.items())
    verdict = "within budget" if total <= BUDGET else "OVER BUDGET"
    print(f"banner size (gzip -9): {total} B of {BUDGET} B ({detail}): {verdict}", flush=True)
    return total <= BUDGET


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg(base: str, sql: str, dbname: str = "postgres"):
    import psycopg

    with psycopg.connect(f"{base}/{dbname}", autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if sql.lstrip().lower().startswith("select") else None


class Server:
    def __init__(self, base_url: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "PRIVET_SECRET_KEY": "bench-only-" + "c" * 40,
            "PRIVET_SITE_URL": self.url,
            "PRIVET_DATA_DIR": tempfile.mkdtemp(prefix="privet-bench-consent-"),
            "PRIVET_DATABASE_URL": f"{base_url}/{DB_NAME}",
            "PRIVET_CACHE_BACKEND": os.environ.get("PRIVET_BENCH_CACHE", "redis"),
            "PRIVET_CONSENT_RATE_LIMIT": os.environ.get("PRIVET_BENCH_RATE_LIMIT", "100000000"),
            "PRIVET_LOG_LEVEL": "WARNING",
        }
        self.privet = str(Path(sys.executable).parent / "privet")
        self.proc: subprocess.Popen | None = None
        self.log = None

    def run(self, *args: str) -> None:
        subprocess.run([self.privet, *args], env=self.env, check=True, stdout=subprocess.DEVNULL)

    def start(self) -> None:
        self.log = open(Path(self.env["PRIVET_DATA_DIR"]) / "server.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [self.privet, "serve", f"127.0.0.1:{self.port}", "--workers", "2", "--threads", "4",
             "--skip-collectstatic"],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/api/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)  # polling a starting server: there is no event to wait on
        raise RuntimeError(f"privet serve did not start; see {self.log.name}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        if self.log:
            self.log.close()


def hammer(url: str, make_request, seconds: float) -> tuple[int, int, float]:
    """CLIENTS threads send requests for ``seconds``; returns (2xx count, other count, elapsed)."""
    ok = [0] * CLIENTS
    bad = [0] * CLIENTS
    start = threading.Barrier(CLIENTS + 1)
    stop_at = [0.0]

    def client(i: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            start.wait()
            while time.monotonic() < stop_at[0]:
                response = make_request(http)
                if 200 <= response.status_code < 300:
                    ok[i] += 1
                else:
                    bad[i] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    stop_at[0] = time.monotonic() + seconds
    began = time.monotonic()
    start.wait()
    for t in threads:
        t.join()
    return sum(ok), sum(bad), time.monotonic() - began


def main(args) -> bool:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not one INFO line per request
    size_ok = banner_size()
    base = os.environ.get("PRIVET_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    seconds, rounds = (2.0, 1) if args.quick else (8.0, 3)
    pg(base, f'DROP DATABASE IF EXISTS "{DB_NAME}"')
    pg(base, f'CREATE DATABASE "{DB_NAME}"')
    server = Server(base)
    try:
        server.run("manage", "migrate", "--verbosity", "0")
        server.run("policy", "publish", str(POLICY))
        policy_hash = pg(base, "SELECT content_hash FROM policy_policyversion", DB_NAME)[0][0]
        server.start()

        def receipt(http: httpx.Client) -> httpx.Response:
            body = {"site": "softcode", "visitor": secrets.token_hex(16), "policy": policy_hash,
                    "choices": {"analytics": True, "marketing": False}, "method": "custom",
                    "banner": "1", "lang": "en"}
            return http.post("/api/consent/receipts", content=json.dumps(body),
                             headers={"Content-Type": "application/json",
                                      "User-Agent": "privet-bench Firefox/141.0"})

        def health(http: httpx.Client) -> httpx.Response:
            return http.get("/api/health")

        hammer(server.url, health, 1.0)  # warm up connections and workers
        stored_ok = 0
        rates: dict[str, list[float]] = {"health": [], "receipts": []}
        failures = 0
        for _ in range(rounds):
            for name, request in (("health", health), ("receipts", receipt)):
                ok, bad, elapsed = hammer(server.url, request, seconds)
                rates[name].append(ok / elapsed)
                failures += bad
                if name == "receipts":
                    stored_ok += ok
        stored = pg(base, "SELECT count(*) FROM consent_consentreceipt", DB_NAME)[0][0]
        parts = pg(base, "SELECT count(*) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent "
                         "WHERE p.relname = 'consent_consentreceipt'", DB_NAME)[0][0]
    finally:
        server.stop()
        pg(base, f'DROP DATABASE IF EXISTS "{DB_NAME}"')

    health_rps = sum(rates["health"]) / rounds
    receipts_rps = sum(rates["receipts"]) / rounds
    ratio = receipts_rps / health_rps
    lost = stored_ok - stored
    print(f"{CLIENTS} clients, {rounds} x {seconds:.0f}s rounds each, gunicorn 2 workers x 4 threads, "
          f"PostgreSQL (table in {parts} partitions), cache {server.env['PRIVET_CACHE_BACKEND']}")
    print(f"GET /api/health          {health_rps:8.0f} req/s  "
          f"(rounds: {', '.join(f'{r:.0f}' for r in rates['health'])})")
    print(f"POST /api/consent/receipts {receipts_rps:6.0f} req/s  "
          f"(rounds: {', '.join(f'{r:.0f}' for r in rates['receipts'])})")
    print(f"receipts / health ratio: {ratio:.2f} (goal >= {GOAL})")
    print(f"receipts answered 2xx: {stored_ok}, rows stored: {stored}, lost: {lost}, "
          f"non-2xx answers: {failures}")
    return size_ok and ratio >= GOAL and lost == 0 and failures == 0
