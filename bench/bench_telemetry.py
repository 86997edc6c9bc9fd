"""Telemetry: what the technical log's middleware costs a page, as the ratio of the page's
throughput with it to without it, same server, same concurrency (goal: at least 0.85).

**Two servers, one at a time.** The middleware leaves the stack when ``PRIVET_TELEMETRY=0``
(``MiddlewareNotUsed``, decided when a worker starts), so one server process cannot be measured
both ways without either a per-request switch (a code path production does not have, whose own
check would be in both arms) or a restart before every round (cold workers and connections in
every round, and the restart's cost in the figure). So two ``privet serve`` run side by side:
the same code, the same settings (gunicorn 2 workers x 4 threads, as bench_consent), the same
PostgreSQL database, the only difference ``PRIVET_TELEMETRY`` 1 or 0. Only one is loaded at a
time: rounds alternate (with, without, with, without...), so a drift of the machine's load
touches both arms alike, and the idle server costs nothing meanwhile (its workers wait in
``select``; the "with" server's writer thread wakes once a second and finds nothing to write).
The "with" server pays the whole price: the middleware's work on the request and the writer
thread's bulk INSERTs, in the same processes and on the same cores as the requests. After each
of its rounds the bench waits until the log holds a record for every answer so far, so the
round's last writes (the writer's flush comes every second) land in its own CPU figure and
never in the next round of the other server; only those last writes (at most a second's worth
of a round of several) fall outside the round's timed window.

**The page.** ``GET /api/consent/config?site=softcode``: the banner's configuration, the request
Privet answers most often (once per website visitor) and one of its cheapest (no query: the
policy in force is held in memory), so the middleware's cost, the same for every request, weighs
more on it than on a rendered page such as ``/privacy/``: the harder case of the two.
PRIVET_BENCH_TELEMETRY_PAGE picks another path.

**The client.** PRIVET_BENCH_CLIENTS (8) processes, one keep-alive connection each (the
standard library's ``http.client``, leaner per request than httpx; Debian's ``ab`` is not
assumed). Its ceiling is printed: the same client against ``GET /api/health`` (the cheapest
answer Django gives) on the server without the log, and each round's client CPU per request
next to the server's (gunicorn's processes, read from ``/proc``), so a reader sees the client
is not what limits the page. The client shares the machine's cores with the server, so its
own CPU (the same in both arms) softens the throughput ratio a little; the server's CPU per
request, printed for both arms, is the figure it does not touch.

**Nothing lost.** After the servers stop (SIGTERM: gunicorn's graceful stop, where each worker
writes what it still holds), the technical log must hold one request record per answer the
"with" server gave, and none from the other server.

PRIVET_BENCH_PG (default postgres://postgres@127.0.0.1:5432) names the PostgreSQL server; the
database PRIVET_BENCH_TELEMETRY_DB (privet_bench_telemetry) is created and dropped. Sizes:
PRIVET_BENCH_ROUNDS (8 per arm; ``--quick``: 3) of PRIVET_BENCH_SECONDS (4; ``--quick``: 2):
many short rounds rather than a few long ones, so that the ratio of each pair of neighbouring
rounds (the median of which is the figure) sees the same machine.
PRIVET_BENCH_GOALS=off reports the ratio's goal without failing on it; a lost record fails
always.
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "src" / "privet" / "policy" / "default_policy.yaml"
GOAL = 0.85
DB_NAME = os.environ.get("PRIVET_BENCH_TELEMETRY_DB", "privet_bench_telemetry")
PAGE = os.environ.get("PRIVET_BENCH_TELEMETRY_PAGE", "/api/consent/config?site=softcode")
HEALTH = "/api/health"
USER_AGENT = ("Mozilla/5.0 (X11; Linux x86_64; rv:141.0) Gecko/20100101 Firefox/141.0 "
              "privet-bench")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def pg_base() -> str:
    return os.environ.get("PRIVET_BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def pg(sql: str, dbname: str = "postgres"):
    import psycopg

    with psycopg.connect(f"{pg_base()}/{dbname}", autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else None


def unreachable() -> str | None:
    import psycopg

    try:
        with psycopg.connect(f"{pg_base()}/postgres", connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return type(exc).__name__


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(conn: http.client.HTTPConnection, path: str) -> int:
    conn.request("GET", path, headers={"User-Agent": USER_AGENT})
    response = conn.getresponse()
    response.read()
    return response.status


class Server:
    """``privet serve`` with the technical log on or off; everything else the same."""

    def __init__(self, telemetry: bool, data_dir: Path):
        self.telemetry = telemetry
        self.name = "with" if telemetry else "without"
        self.port = free_port()
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PRIVET_", "DJANGO_"))},
            "PRIVET_SECRET_KEY": "bench-only-" + "t" * 40,
            "PRIVET_SITE_URL": f"http://127.0.0.1:{self.port}",
            "PRIVET_DATA_DIR": str(data_dir),
            "PRIVET_DATABASE_URL": f"{pg_base()}/{DB_NAME}",
            "PRIVET_CACHE_BACKEND": os.environ.get("PRIVET_BENCH_CACHE", "db"),
            "PRIVET_LOG_LEVEL": "WARNING",
            "PRIVET_TELEMETRY": "1" if telemetry else "0",
        }
        self.privet = [sys.executable, "-m", "privet"]
        self.proc: subprocess.Popen | None = None
        self.log_path = data_dir / f"server-{self.name}.log"
        self.answered = 0  # answers this bench got from it, of any status

    def run(self, *commands: list[str]) -> None:
        """Run ``privet`` commands side by side (they touch different things); fail if one does."""
        procs = [subprocess.Popen([*self.privet, *args], env=self.env, stdout=subprocess.DEVNULL)
                 for args in commands]
        for args, proc in zip(commands, procs, strict=True):
            if proc.wait() != 0:
                raise RuntimeError(f"privet {' '.join(args)} failed ({proc.returncode})")

    def start(self) -> None:
        """Launch it (:meth:`wait` for it to answer): both servers start at once."""
        with self.log_path.open("w") as log:
            self.proc = subprocess.Popen(
                [*self.privet, "serve", f"127.0.0.1:{self.port}", "--workers", "2", "--threads",
                 "4", "--skip-collectstatic"],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                status = get(conn, HEALTH)
                conn.close()
                self.answered += 1
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)  # polling a starting server: there is no event to wait on
        raise RuntimeError(f"privet serve did not start; see {self.log_path}")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) of gunicorn's master and its live workers."""
        pids = {self.proc.pid}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    stat = Path(entry.path, "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    pids.add(int(entry.name))
        ticks = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / CLOCK_TICKS

    def stop(self) -> None:
        """SIGTERM, as an operator's restart: gunicorn stops gracefully, workers flush."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                raise


def client(port: int, path: str, start_at: float, stop_at: float) -> tuple[int, int, float]:
    """One client process's round: a keep-alive connection sending ``path`` from ``start_at``
    to ``stop_at`` (``time.monotonic``, one clock for every process); returns (2xx answers,
    other answers, this process's CPU seconds)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.connect()
    while (wait := start_at - time.monotonic()) > 0:
        time.sleep(wait)
    before = resource.getrusage(resource.RUSAGE_SELF)
    ok = bad = 0
    while time.monotonic() < stop_at:
        status = get(conn, path)
        if 200 <= status < 300:
            ok += 1
        else:
            bad += 1
    after = resource.getrusage(resource.RUSAGE_SELF)
    conn.close()
    return ok, bad, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


class Load:
    """PRIVET_BENCH_CLIENTS client processes, started once and reused by every round."""

    def __init__(self, clients: int):
        self.clients = clients
        self.pool = multiprocessing.get_context("fork").Pool(clients)

    def round(self, server: Server, path: str, seconds: float) -> dict:
        start_at = time.monotonic() + 0.5  # every client connected before the clock starts
        stop_at = start_at + seconds
        cpu_before = server.cpu_seconds()
        results = self.pool.starmap(client, [(server.port, path, start_at, stop_at)] * self.clients)
        ok, bad = sum(r[0] for r in results), sum(r[1] for r in results)
        server.answered += ok + bad
        if server.telemetry:
            caught_up(server.answered)  # the round's last records are written in its CPU, not the next's
        cpu_after = server.cpu_seconds()
        answers = max(1, ok + bad)
        return {"server": server.name, "ok": ok, "bad": bad, "rate": ok / seconds,
                "client_us": sum(r[2] for r in results) / answers * 1e6,
                "server_us": (cpu_after - cpu_before) / answers * 1e6}

    def close(self) -> None:
        self.pool.close()
        self.pool.join()


def show(label: str, r: dict) -> None:
    refused = f", {r['bad']} non-2xx" if r["bad"] else ""
    print(f"  {label:<26} {r['rate']:8.0f} req/s  (server CPU {r['server_us']:4.0f} us/req, "
          f"client CPU {r['client_us']:4.0f} us/req{refused})", flush=True)


def request_records() -> int:
    sql = "SELECT count(*) FROM telemetry_technicalrecord WHERE kind = 'request'"
    return pg(sql, DB_NAME)[0][0]


def caught_up(answered: int, timeout: float = 30) -> None:
    """Wait until the writer threads have stored a record for every answer so far (about a
    flush period, ``PRIVET_TELEMETRY_FLUSH_SECONDS``); a log that stays behind is reported at
    the end, after the graceful stop."""
    deadline = time.monotonic() + timeout
    while request_records() < answered and time.monotonic() < deadline:
        time.sleep(0.05)  # the writer wakes on its own clock: nothing to wait on but the table


def main(args) -> bool:
    quick = getattr(args, "quick", False)
    rounds = int(os.environ.get("PRIVET_BENCH_ROUNDS", "3" if quick else "8"))
    seconds = float(os.environ.get("PRIVET_BENCH_SECONDS", "2" if quick else "4"))
    clients = int(os.environ.get("PRIVET_BENCH_CLIENTS", "8"))
    goals = os.environ.get("PRIVET_BENCH_GOALS", "on") != "off"
    if why := unreachable():
        print(f"SKIPPED: the telemetry bench needs PostgreSQL, and none answers at {pg_base()} "
              f"({why}). Set PRIVET_BENCH_PG to a server's URL (without the database name).")
        return True
    pg(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    pg(f'CREATE DATABASE "{DB_NAME}"')
    data = Path(tempfile.mkdtemp(prefix="privet-bench-telemetry-"))
    with_log, without_log = Server(True, data), Server(False, data)  # one data folder, too
    load = None
    rates: dict[str, list[float]] = {"with": [], "without": []}
    failures = 0
    try:
        with_log.run(["manage", "migrate", "--verbosity", "0"],
                     ["manage", "collectstatic", "--noinput", "--verbosity", "0"])
        with_log.run(["policy", "publish", str(POLICY)])
        load = Load(clients)
        for server in (with_log, without_log):
            server.start()
        for server in (with_log, without_log):
            server.wait()
            # warm up: workers, their connections, the policy in memory
            load.round(server, PAGE, min(1.0, seconds))
        print(f"{clients} client processes (keep-alive), gunicorn 2 workers x 4 threads per server, "
              f"PostgreSQL; page GET {PAGE}; {rounds} x {seconds:g}s rounds per arm; "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
        ceiling = load.round(without_log, HEALTH, seconds)
        show("client ceiling (health)", ceiling)
        results = []
        for i in range(rounds):
            for server in (with_log, without_log):
                r = load.round(server, PAGE, seconds)
                failures += r["bad"]
                rates[server.name].append(r["rate"])
                results.append(r)
                show(f"round {i + 1} {server.name} the log", r)
    finally:
        if load is not None:
            load.close()
        stopped_well = True
        for server in (with_log, without_log):
            try:
                server.stop()
            except subprocess.TimeoutExpired:
                stopped_well = False
        try:
            records = request_records() if stopped_well else -1
        finally:
            pg(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')

    shutil.rmtree(data, ignore_errors=True)  # kept only when a server failed (its log is there)
    ratios = [w / wo for w, wo in zip(rates["with"], rates["without"], strict=True)]
    ratio = statistics.median(ratios)
    with_rate, without_rate = statistics.median(rates["with"]), statistics.median(rates["without"])
    server_us = {n: statistics.median(r["server_us"] for r in results if r["server"] == n)
                 for n in ("with", "without")}
    met = ratio >= GOAL
    print(f"page with the log {with_rate:8.0f} req/s, without {without_rate:8.0f} req/s "
          f"(medians; client ceiling {ceiling['rate']:.0f} req/s on {HEALTH})")
    print(f"server CPU per request: with {server_us['with']:.0f} us, without "
          f"{server_us['without']:.0f} us ({server_us['with'] - server_us['without']:+.0f} us)")
    print(f"load average at the end {os.getloadavg()[0]:.1f} (other work on the machine widens the "
          f"rounds' range)")
    print(f"throughput ratio with/without: median {ratio:.3f} (rounds {min(ratios):.3f}.."
          f"{max(ratios):.3f}; goal >= {GOAL}): {'goal met' if met else 'GOAL MISSED'}")
    lost = with_log.answered - records
    print(f"technical log after a graceful stop: {records:,} request records for "
          f"{with_log.answered:,} answers of the server with the log "
          f"({'none lost' if lost == 0 else f'{lost:+,} missing'}; the server without it "
          f"answered {without_log.answered:,} and recorded nothing), non-2xx answers: {failures}")
    return (met or not goals) and lost == 0 and failures == 0


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    sys.exit(0 if main(parser.parse_args()) else 1)
