"""Settings for the test suite: production settings with a throwaway key and data folder.

pytest-django imports this before any conftest runs, so the environment defaults live here.
"""

import os
import tempfile

os.environ.setdefault("PRIVET_SECRET_KEY", "test-only-key-not-secret-" + "x" * 32)
os.environ.setdefault("PRIVET_SITE_URL", "http://127.0.0.1:8000")
os.environ.setdefault("PRIVET_DATA_DIR", tempfile.mkdtemp(prefix="privet-test-"))

from privet.settings import *  # noqa: F403
from privet.settings import DATA_DIR, DATABASES

# A file-backed test database, so the concurrency tests exercise real SQLite locking (WAL,
# IMMEDIATE transactions) rather than shared-cache in-memory quirks.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run in-process, at enqueue; tests of the worker itself switch to the database or RQ backend.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Static files straight from the apps (no collectstatic in tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
(DATA_DIR / "static").mkdir(parents=True, exist_ok=True)
# The technical log is written when a test calls privet.telemetry.recorder.flush() (or a batch
# fills up), in the test's own thread and transaction: no writer thread.
PRIVET_TELEMETRY_BACKGROUND = False
# and no batch fills up in the middle of another test's query count: tests that want batches say so.
PRIVET_TELEMETRY_BATCH = 100_000
# Retries of a platform's errors (privet.integrations.http) wait milliseconds, not seconds.
PRIVET_INTEGRATIONS_RETRY_WAIT = 0.001
# The TikTok contract fake on 127.0.0.1 stands in for the declared hosts.
PRIVET_INTEGRATIONS_LOOPBACK = True
# The credential vault's key (a fixed test key: nothing real is encrypted with it).
PRIVET_VAULT_KEYS = ["l6Wb8Yt0Hq0c2pTqKQm1s3VnX4kq8bJ2eZCwq7yE1nU="]
