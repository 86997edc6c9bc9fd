"""A pytest plugin (loaded by the root conftest.py): no line the test suite logs carries an
email address, a raw IP address or a token.

Every record that reaches the root logger during the session, and every record of a logger that
does not propagate (gunicorn's error log), is formatted as production formats it (JSON, through
:class:`privet.core.redact.RedactFilter` and :mod:`privet.core.applog`) and scanned. Privet's,
Django's, axes' and gunicorn's loggers log at DEBUG for the session, so even the lines a
production log level hides are checked. Tests that run ``privet`` in a subprocess hand its
output to :func:`scan_output`.

At the end of the session each hit is shown (the test that was running, the logger, the line with
the leaked value replaced by its kind, so the report does not leak it again) and the run fails.
Under pytest-xdist each worker checks its own output and sends its hits to the controller.

The patterns here are deliberately not :mod:`privet.core.redact`'s: they are wider (any local
part, an address written with or without a port, zero-padded), so a gap in the redaction shows.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

from privet.core.redact import is_browser_version

CHECKED_LOGGERS = ("privet", "django", "axes", "gunicorn")
# The test servers' own addresses (listen, connect); any other address is a client's.
OUR_ADDRESSES = frozenset({"127.0.0.1", "::1", "0.0.0.0", "::"})
WORKER_OUTPUT_KEY = "privet_log_leaks"
SHOWN = 20  # leaks shown in the report; the count says how many more

_EMAIL = re.compile(r"[^\s@\"'<>(),;:\[\]\\]+(?:@|%40)(?:[\w-]+\.)+[A-Za-z]{2,}(?![\w-])")
_ADDRESS = re.compile(r"(?<![\w.:])\[?[0-9A-Fa-f:.]*[:.][0-9A-Fa-f:.]*\]?(?![\w.:])")
_TOKENS = [
    re.compile(r"(?<![\w.:-])[\w.-]+(?::[0-9A-Za-z]{1,10})?:[\w-]{43}(?![\w-])"),  # Django signing
    re.compile(r"gAAAAA[\w=-]{20,}"),  # Fernet
    re.compile(r"\beyJ[\w-]{8,}\.[\w-]{8,}\."),  # JWT
    # Authorization: a scheme, then a credential (which has a digit or a sign, unlike prose)
    re.compile(r"(?i)\b(?:bearer|basic|digest)\s+(?=[\w.~+/=-]*[\d_.~+/=-])[\w.~+/=-]{8,}"),
    # TikTok account tokens (access "act.", refresh "rft.", client "clt." and random text)
    re.compile(r"(?<![\w.-])(?:act|rft|clt)\.[\w.!*~-]{20,}"),
    # A token named as one: "Access-Token: <40 hex>" (TikTok advertiser tokens), access_token=...
    re.compile(r"(?i)(?:access|refresh)[_-]token[\"']?\s*[:=]\s*[\"']?(?=[\w.!*~-]*\d)[\w.!*~-]{16,}"),
]


@dataclass
class Leak:
    test: str
    source: str
    kinds: list[str]
    line: str

    def __str__(self) -> str:
        kinds = ", ".join(self.kinds)
        return f"{self.test or '(outside any test)'} [{self.source}] {kinds}:\n    {self.line}"


def leaks_in(line: str, secrets: tuple[str, ...] = ()) -> list[tuple[int, int, str]]:
    """The spans of ``line`` that would leak: ``(start, end, kind)``."""
    spans = [(m.start(), m.end(), "email") for m in _EMAIL.finditer(line)]
    spans += [(m.start(), m.end(), "ip address") for m in _ADDRESS.finditer(line)
              if _address(m.group(0)) not in (None, *OUR_ADDRESSES)
              and not is_browser_version(line, m.start())]
    spans += [(m.start(), m.end(), "token") for pattern in _TOKENS for m in pattern.finditer(line)]
    spans += [(m.start(), m.start() + len(secret), "secret") for secret in secrets
              for m in re.finditer(re.escape(secret), line)]
    return sorted(spans)


def _address(candidate: str) -> str | None:
    """The IP address ``candidate`` is (with or without brackets, port, zero padding)."""
    text = candidate.strip(":.")
    if text.startswith("["):
        text = text[1:].split("]")[0]
    elif text.count(":") == 1:
        text = text.split(":")[0]
    if re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", text):
        text = ".".join(str(int(octet)) for octet in text.split("."))
    try:
        return str(ipaddress.ip_address(text.split("%")[0]))
    except ValueError:
        return None


def masked(line: str, spans: list[tuple[int, int, str]], width: int = 400) -> str:
    """``line`` with each leaking span replaced by ``<<kind>>``, cut to ``width`` around the
    first one."""
    out, position = [], 0
    for start, end, kind in spans:
        if start < position:
            continue
        out += [line[position:start], f"<<{kind}>>"]
        position = end
    text = "".join([*out, line[position:]])
    first = text.find("<<")
    begin = max(0, first - width // 2)
    return ("..." if begin else "") + text[begin:begin + width] + ("..." if len(text) > begin + width else "")


class LogCheck(logging.Handler):
    """Formats each record as production does and keeps the lines that leak."""

    def __init__(self) -> None:
        from privet.core.applog import formatter
        from privet.core.redact import RedactFilter

        super().__init__(logging.DEBUG)
        self.setFormatter(formatter("json"))
        self.addFilter(RedactFilter())
        self.leaks: list[Leak] = []
        self.records = 0

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # a record that cannot be formatted: logging's own report
            self.handleError(record)
            return
        self.records += 1
        self.scan(text, record.name)

    def scan(self, text: str, source: str) -> None:
        secrets = _secrets()
        for line in text.splitlines():
            if spans := leaks_in(line, secrets):
                test = os.environ.get("PYTEST_CURRENT_TEST", "")
                self.leaks.append(Leak(test=test, source=source, line=masked(line, spans),
                                       kinds=sorted({kind for _, _, kind in spans})))

    def watch(self) -> None:
        """On the root logger and on every logger that keeps its records to itself; again
        whenever something reconfigured logging since."""
        loggers = [logging.getLogger()] + [
            logger for logger in logging.Logger.manager.loggerDict.values()
            if isinstance(logger, logging.Logger) and not logger.propagate]
        for logger in loggers:
            if self not in logger.handlers:
                logger.addHandler(self)


def _secrets() -> tuple[str, ...]:
    from django.conf import settings

    values = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS, *settings.PRIVET_ARCHIVE_KEYS]
    return tuple(v for v in values if isinstance(v, str) and len(v) >= 8)


_check: LogCheck | None = None
_files: dict[Path, str] = {}


def scan_output(text: str, source: str) -> None:
    """Check what a ``privet`` subprocess wrote (its stderr) like the suite's own log lines."""
    if _check is not None:
        _check.scan(text, source)


def scan_file_at_end(path: Path, source: str) -> None:
    """Check the log file a ``privet`` subprocess writes to, once the session ends (whatever it
    holds by then; the test that started it is named as the source)."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0]
    _files.setdefault(Path(path), f"{source}, started by {test}" if test else source)


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    global _check
    if not hasattr(session.config, "workerinput") and session.config.pluginmanager.hasplugin("dsession"):
        return  # the xdist controller runs no test: its workers check
    import django
    from django.apps import apps

    if not apps.ready:  # pytest-django set Django up already, or Django is not configured here
        django.setup()
    _check = LogCheck()
    for name in CHECKED_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    _check.watch()


def pytest_runtest_setup(item: pytest.Item) -> None:
    if _check is not None:
        _check.watch()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """xdist's controller: a worker's hits (and how many records it checked)."""
    output = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY)
    if output:
        found = node.config.stash.setdefault(_FROM_WORKERS, {"records": 0, "leaks": []})
        found["records"] += output["records"]
        found["leaks"] += [Leak(**leak) for leak in output["leaks"]]


_FROM_WORKERS = pytest.StashKey[dict]()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if _check is not None:
        for path, source in _files.items():
            if path.exists():
                _check.scan(path.read_text(encoding="utf-8", errors="replace"), source)
    if hasattr(config, "workerinput"):
        if _check is not None:
            config.workeroutput[WORKER_OUTPUT_KEY] = {
                "records": _check.records, "leaks": [asdict(leak) for leak in _check.leaks]}
        return
    found = config.stash.get(_FROM_WORKERS, {"records": 0, "leaks": []})
    if _check is not None:
        found = {"records": found["records"] + _check.records, "leaks": found["leaks"] + _check.leaks}
    config.stash[_FROM_WORKERS] = found
    if found["leaks"]:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    found = config.stash.get(_FROM_WORKERS, None)
    if found is None or hasattr(config, "workerinput"):
        return
    leaks = found["leaks"]
    if not leaks:
        terminalreporter.write_line(f"log check: {found['records']} log records, no email, "
                                    "IP address or token in any line")
        return
    terminalreporter.section("log check: personal data or secrets in the log", sep="=", red=True)
    for leak in leaks[:SHOWN]:
        terminalreporter.write_line(str(leak))
    if len(leaks) > SHOWN:
        terminalreporter.write_line(f"... and {len(leaks) - SHOWN} more")
    terminalreporter.write_line(f"log check: {len(leaks)} leaking line(s) in {found['records']} "
                                "log records; the run fails", red=True)
