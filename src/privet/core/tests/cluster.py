"""A private PostgreSQL cluster for tests that stop, restart or break the database under a running
Privet: ``initdb`` and ``pg_ctl`` from Debian's server packages, in a temporary folder, on a free
port of 127.0.0.1. It never touches the machine's shared server.

The ``private_postgres`` fixture (root ``conftest.py``) makes one per test session (per xdist
worker); :meth:`PrivateCluster.database` gives each test its own database in it, migrated by
``privet manage migrate`` as an operator would. Run as root (these machines), the server runs as
the ``postgres`` OS user, which PostgreSQL requires.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

FAST = ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]


def server_binaries() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` that has ``initdb`` and ``pg_ctl``."""
    def version(pg_ctl: str) -> int:
        name = Path(pg_ctl).parent.parent.name
        return int(name) if name.isdigit() else 0

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=version)
    for pg_ctl in reversed(found):
        bindir = Path(pg_ctl).parent
        if (bindir / "initdb").exists():
            return bindir
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateCluster:
    """One throwaway PostgreSQL server: :meth:`start`, :meth:`stop`, :meth:`restart`, :meth:`url`."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="privet-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:  # PostgreSQL refuses to run as root
            shutil.chown(self.root, "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync",
                  "-E", "UTF8", "--locale=C.UTF-8")

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess:
        command = [str(self.bindir / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr or done.stdout}")
        return done

    def _options(self) -> str:
        return " ".join(["-p", str(self.port), "-k", str(self.root), "-c",
                         "listen_addresses=127.0.0.1", *FAST])

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                  "-o", self._options(), "start")

    def stop(self) -> None:
        """Stop it as an operator's restart does: ``-m fast`` ends every session at once."""
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "-m", "fast", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def restart(self) -> None:
        self.stop()
        self.start()

    def url(self, dbname: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def database(self, name: str, *, env: dict[str, str]) -> str:
        """Create database ``name`` and migrate it with ``privet manage migrate``; returns its URL."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        url = self.url(name)
        done = subprocess.run([sys.executable, "-m", "privet", "manage", "migrate", "-v", "0"],
                              env={**env, "PRIVET_DATABASE_URL": url}, capture_output=True,
                              text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"migrate failed: {done.stderr}")
        return url

    def destroy(self) -> None:
        with contextlib.suppress(RuntimeError):  # already stopped
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def privet_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a ``privet`` subprocess: none of this test process's settings, a key,
    its own data folder, and ``extra`` (``PRIVET_DATABASE_URL``...)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PRIVET_", "DJANGO_"))}
    return {**clean, "PRIVET_SECRET_KEY": "test-only-key-not-secret-" + "x" * 32,
            "PRIVET_DATA_DIR": str(data_dir), "PRIVET_CACHE_BACKEND": "locmem",
            "PRIVET_SITE_URL": "http://127.0.0.1:8000",
            "PYTHONUNBUFFERED": "1", **extra}
