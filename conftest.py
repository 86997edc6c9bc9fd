"""Fixtures shared by every app's tests: external services, the browser, artefacts.

Outside CI a missing service (Redis, PostgreSQL, Chromium) skips the tests that need it, with
a message saying what was skipped; under CI (CI=true) it fails them.
"""

from __future__ import annotations

import importlib
import os
import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

# No log line of the session carries an email, a raw IP address or a token (the run fails).
pytest_plugins = ["privet.core.tests.logcheck", "pytester"]

ON_CI = os.environ.get("CI") == "true"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]
ARTIFACTS = Path(__file__).parent / "test-artifacts"


def unavailable(what: str) -> None:
    if ON_CI:
        pytest.fail(f"{what} is required under CI but is not available.")
    pytest.skip(f"skipped: {what} is not available on this machine.")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session", autouse=True)
def urls_loaded_before_the_clock_stops():
    """Import every view before any test stops the clock with freezegun: a module first imported
    under ``freeze_time`` gets freezegun's fake ``datetime`` class, which the API's Pydantic
    schemas cannot use. Without this, a frozen test fails when no earlier test loaded the URLs
    (run alone, with ``-k`` or ``--lf``, or first in its xdist worker)."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (the import is the point)


@pytest.fixture(autouse=True)
def english_by_default():
    """Each test starts in the default language: a test that renders a Polish page leaves Polish
    active in its thread, which the next test in the same worker would otherwise inherit."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def fresh_policy_version():
    """Each test reads the policy version in force afresh: the hot-path copy a web process keeps
    for a few seconds (privet.policy.selectors) must not carry one test's version into the next."""
    from privet.policy.selectors import forget_hot_path_version

    forget_hot_path_version()


@pytest.fixture(autouse=True)
def technical_log_per_test():
    """Each test starts with an empty technical log buffer and no remembered daily key: records
    a test's requests queued (privet.telemetry.recorder) are written only if it flushes them,
    never by a later test, and a key from a rolled-back test is not used again."""
    from privet.telemetry import pseudonyms
    from privet.telemetry.recorder import recorder

    recorder.discard()
    pseudonyms.forget_keys()
    yield
    recorder.discard()
    pseudonyms.forget_keys()


# The append-only tables, each with the migration that puts its guard (triggers) on it.
APPEND_ONLY = {
    "consent_consentreceipt": "privet.consent.migrations.0006_receipts_expire_by_retention_only",
    "audit_auditevent": "privet.audit.migrations.0004_events_append_only",
}


@pytest.fixture(autouse=True)
def append_only_flushable(request):
    """Lets the end-of-test flush of a transactional test empty the append-only tables (consent
    receipts, audit events).

    Any test that commits (``transaction=True``, ``live_server``: a browser that answers the cookie
    banner, an operator who signs in) may leave rows. SQLite flushes with DELETE, which the
    append-only triggers (consent migration 0006, audit migration 0004) rightly refuse, so each
    trigger is lifted for that one DELETE and put back. PostgreSQL flushes with TRUNCATE, which no
    row trigger sees. This fixture asks for ``transactional_db`` itself, so it is torn down before
    that fixture flushes.
    """
    marker = request.node.get_closest_marker("django_db")
    committing = bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames))
    if not committing:
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for table, migration in APPEND_ONLY.items():
            append_only = importlib.import_module(migration)
            for sql in append_only.SQLITE_REMOVE:
                cursor.execute(sql)
            cursor.execute(f'DELETE FROM "{table}"')  # noqa: S608 (a name from APPEND_ONLY)
            for sql in append_only.SQLITE_INSTALL:
                cursor.execute(sql)


@pytest.fixture
def default_source() -> str:
    """The embedded SoftCode declaration, as YAML text."""
    from django.conf import settings

    return Path(settings.PRIVET_DEFAULT_POLICY_FILE).read_text(encoding="utf-8")


@pytest.fixture
def published(db, default_source):
    """The default declaration, published as version 1.0 (the policy in force)."""
    from privet.policy.services import publish_version

    return publish_version(source=default_source, actor="test")


class Inbox:
    """What the SMTP server received: one ``(mail_from, rcpt_tos, raw message)`` per message."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_inbox(settings):
    """A real SMTP server on 127.0.0.1 and Django's SMTP backend pointed at it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("PRIVET_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=1).ping()
    except redis.RedisError:
        unavailable(f"Redis at {url}")
    return url


@pytest.fixture(scope="session")
def private_postgres():
    """A private PostgreSQL cluster for this session (:mod:`privet.core.tests.cluster`), started;
    tests may stop and restart it, and get it back started. Never the machine's shared server."""
    from privet.core.tests.cluster import PrivateCluster, server_binaries

    bindir = server_binaries()
    if bindir is None:
        unavailable("PostgreSQL's server binaries (initdb, pg_ctl in /usr/lib/postgresql/*/bin)")
    cluster = PrivateCluster(bindir)
    cluster.start()
    yield cluster
    cluster.destroy()


@pytest.fixture
def private_database(private_postgres, tmp_path, request):
    """A fresh database in the private cluster, migrated by ``privet manage migrate``: its URL.
    The cluster is running again once the test ends, whatever the test did to it."""
    import re

    from privet.core.tests.cluster import privet_env

    name = "t_" + re.sub(r"[^a-z0-9]", "_", request.node.name.lower())[:50]
    url = private_postgres.database(name, env=privet_env(tmp_path / "migrate-data"))
    yield url
    if not private_postgres.running():
        private_postgres.start()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; never a downloaded browser."""
    if not os.path.exists(CHROMIUM):
        unavailable(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop + live_server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page_errors():
    """Collects console errors (CSP violations show up there) of pages it is attached to."""
    errors: list[str] = []

    def attach(page):
        page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    attach.errors = errors  # type: ignore[attr-defined]
    return attach
