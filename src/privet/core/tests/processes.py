"""Real ``privet`` processes for the reliability tests: a worker to restart the database under or
to kill, and enquiries submitted by another process, as the web server would."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from privet.core.tests.logcheck import scan_file_at_end

SUBMIT = """
import sys
import django
django.setup()
from privet.enquiries.services import submit_enquiry
first, count = int(sys.argv[1]), int(sys.argv[2])
for n in range(first, first + count):
    submit_enquiry(data={"name": "Person %d" % n, "email": "person%d@example.com" % n,
                         "project_type": "website", "message": "We need a website, please."},
                   client_ref="test", language="en")
"""


def start_worker(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen:
    """``privet worker`` (checking an empty queue every 0.1 s, starting at once, the system checks
    left to the test suite), its output appended to ``log`` (which the suite's log check reads at
    the end)."""
    scan_file_at_end(log, "privet worker")
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "privet", "worker", "--interval", "0.1",
                                 "--no-startup-delay", "--skip-checks", *args], env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def submit_enquiries(env: dict[str, str], first: int, count: int = 1) -> None:
    """Submit enquiries ``first`` .. ``first + count - 1`` (person<n>@example.com) from another
    process; each queues its two mails after its commit."""
    done = subprocess.run([sys.executable, "-c", SUBMIT, str(first), str(count)],
                          env={**env, "DJANGO_SETTINGS_MODULE": "privet.settings"},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def wait_until(condition: Callable[[], object], *, what: str, timeout: float = 60,
               process: subprocess.Popen | None = None, log: Path | None = None) -> object:
    """Poll ``condition`` until it is true (returned) or ``timeout`` seconds pass (failure naming
    ``what``, with the tail of ``log``). Not a timing assertion: only a limit on waiting."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        if process is not None and process.poll() is not None:
            break
        time.sleep(0.05)
    tail = log.read_text(errors="replace")[-3000:] if log else ""
    exited = process is not None and process.poll() is not None
    state = f" (the process exited with {process.returncode})" if exited else ""
    raise AssertionError(f"{what}: not within {timeout} s{state}\n{tail}")
