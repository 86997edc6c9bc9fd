"""Running a PostgreSQL bench at a tiny scale in the private cluster, for the tests beside each
bench: the bench as ``make bench`` runs it (a subprocess), its output's lines looked for by
pattern, and whether it dropped its database."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from privet.core.tests.cluster import privet_env

BENCH_DIR = Path(__file__).resolve().parents[3] / "bench"


@dataclass
class BenchRun:
    out: str

    def line(self, pattern: str) -> re.Match:
        """The first output line matching ``pattern`` (multi-line mode); fails with the output."""
        found = re.search(pattern, self.out, re.MULTILINE)
        assert found, f"no line matches {pattern!r} in:\n{self.out}"
        return found


def run_bench(script: str, cluster, data_dir: Path, *, timeout: int, **env: str) -> BenchRun:
    """Run ``bench/<script>`` against ``cluster`` with goals off (times vary with the machine's
    load; counts do not) and ``env``; it must exit 0."""
    environ = privet_env(data_dir, PRIVET_BENCH_PG=cluster.url("postgres").rsplit("/", 1)[0],
                         PRIVET_BENCH_GOALS="off", **env)
    done = subprocess.run([sys.executable, str(BENCH_DIR / script)], env=environ,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return BenchRun(done.stdout)


def databases(cluster) -> list[str]:
    """The cluster's databases (a bench drops its own when done)."""
    return subprocess.run(["psql", cluster.url("postgres"), "-Atc",
                           "SELECT datname FROM pg_database"],
                          capture_output=True, text=True, check=True).stdout.split()
