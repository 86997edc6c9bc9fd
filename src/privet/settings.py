"""Privet settings, read from the environment.

Every knob is a ``PRIVET_*`` variable with a default that is safe for production; the demo
(``privet demo``) turns on the conveniences it needs by setting ``PRIVET_DEMO=1`` before Django
starts. See the README's "Configuration" section for the full list.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false).")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PACKAGE_DIR = Path(__file__).resolve().parent
DEMO = env_bool("PRIVET_DEMO")
DEBUG = env_bool("PRIVET_DEBUG", default=False)
DATA_DIR = Path(os.environ.get("PRIVET_DATA_DIR") or Path.cwd() / "var").resolve()
# A key shorter than this is guessable enough to forge sessions and signed links.
MIN_SECRET_KEY_LENGTH = 32


def _secret_key() -> str:
    """The key comes from the environment; only the demo may mint one (kept in the data folder)."""
    if key := os.environ.get("PRIVET_SECRET_KEY"):
        if len(key) < MIN_SECRET_KEY_LENGTH:
            raise ImproperlyConfigured(
                f"PRIVET_SECRET_KEY is {len(key)} characters long; use at least "
                f"{MIN_SECRET_KEY_LENGTH}: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
            )
        return key
    if not DEMO:
        raise ImproperlyConfigured(
            "PRIVET_SECRET_KEY is not set. Production refuses to start without one; "
            "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
# Older keys still verify signatures (sessions, tokens) while you rotate to a new one.
SECRET_KEY_FALLBACKS = env_list("PRIVET_SECRET_KEY_FALLBACKS", "")


def _audit_key(key: str, source: str) -> str:
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise ImproperlyConfigured(
            f"{source} is {len(key)} characters long; use at least {MIN_SECRET_KEY_LENGTH}: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    return key


def _derived_audit_key(secret_key: str) -> str:
    return hashlib.sha256(("privet.audit:" + secret_key).encode()).hexdigest()


# The key that seals each audit event (privet.audit.chain): it lives here, outside the database,
# so someone who can write to the database cannot seal an event they forged or re-hashed.
# Default: derived from the secret key. Its own variable lets the secret key rotate without
# touching the log. Events sealed by an older key still verify while that key is a fallback:
# PRIVET_AUDIT_KEY_FALLBACKS, and the keys derived from the secret key and its fallbacks (so
# setting PRIVET_AUDIT_KEY on a running installation keeps its earlier events verifiable).
PRIVET_AUDIT_KEY = (_audit_key(os.environ["PRIVET_AUDIT_KEY"], "PRIVET_AUDIT_KEY")
                    if os.environ.get("PRIVET_AUDIT_KEY") else _derived_audit_key(SECRET_KEY))
PRIVET_AUDIT_KEY_FALLBACKS = [
    key for key in (
        *(_audit_key(k, "A key in PRIVET_AUDIT_KEY_FALLBACKS")
          for k in env_list("PRIVET_AUDIT_KEY_FALLBACKS", "")),
        *(_derived_audit_key(k) for k in (SECRET_KEY, *SECRET_KEY_FALLBACKS)),
    ) if key != PRIVET_AUDIT_KEY
]
# Fernet keys that encrypt export archives at rest (privet.rights.archive), newest first: add a
# new key in front to rotate; older ones still decrypt. Empty: keys derived from the secret key
# (and its fallbacks) by HKDF.
PRIVET_ARCHIVE_KEYS = env_list("PRIVET_ARCHIVE_KEYS", "")
# Fernet keys of the credential vault (platform tokens, app secrets; privet.integrations.vault),
# newest first; `privet integrations rotate-keys` re-encrypts with the first. Unset: derived from
# the secret key (the system check warns outside the demo).
PRIVET_VAULT_KEYS = env_list("PRIVET_VAULT_KEYS", "")
ALLOWED_HOSTS = env_list("PRIVET_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("PRIVET_CSRF_TRUSTED_ORIGINS", "")
# The public address that mail links point at. The demo sets it from the address it serves; a
# server in production must be told (`privet serve` and `privet worker` refuse to start without it,
# privet.core.startup), since a guess would send every visitor a link to someone else's loopback.
DEMO_SITE_URL = "http://127.0.0.1:8000"


def _site_url() -> str:
    url = os.environ.get("PRIVET_SITE_URL", "").strip().rstrip("/")
    if not url:
        return DEMO_SITE_URL if (DEMO or DEBUG) else ""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query or parts.fragment:
        raise ImproperlyConfigured(
            f"PRIVET_SITE_URL={url!r} is not the site's public address: give the scheme and "
            "host the public uses, e.g. https://privacy.example.com"
        )
    return url


SITE_URL = _site_url()

INSTALLED_APPS = [
    "privet.panel",  # before the admin: its admin/base_site.html gives the admin the panel's look
    "privet.panel.apps.PanelAdminConfig",  # django.contrib.admin with the OTP-guarded site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # single-use recovery codes, for an operator without their phone
    "axes",
    "privet.policy",
    "privet.audit",
    "privet.site",
    "privet.core",
    "privet.enquiries",
    "privet.consent",
    "privet.rights",
    "privet.telemetry",
    "privet.retention",
    "privet.integrations",
    "altcha_django",  # self-hosted proof-of-work for the contact form (widget JS from our static files)
    "ninja",  # /api/docs renders Swagger UI from ninja's own static files, not from a CDN
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # after WhiteNoise, so static files are never recorded; first of the rest, so the record
    # has every answer (a 429 of the API middlewares too) and the whole duration
    "privet.telemetry.middleware.TelemetryMiddleware",
    "privet.middleware.HeadAsGetMiddleware",  # every GET page answers HEAD
    # CORS, size, type and rate limits of /api/consent/; before RejectNulBytes, which parses form
    # bodies (a form-encoded receipt is refused with 415 before anything reads the body)
    "privet.consent.middleware.ConsentApiMiddleware",
    "privet.rights.middleware.RightsApiMiddleware",  # size, type and rate limits of the rights API
    "privet.middleware.RejectUndecodableTextMiddleware",  # no mojibake from invalid UTF-8
    "privet.middleware.RejectNulBytesMiddleware",  # before anything queries with request data
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): signed in with TOTP too
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the lockout page
]

ROOT_URLCONF = "privet.urls"
WSGI_APPLICATION = "privet.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "privet.site.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Embedded default: one SQLite file in the data folder, in WAL mode so the web server and the
# task worker read while the other writes. IMMEDIATE transactions take the write lock up front,
# which is what makes the audit chain's read-last-then-append safe under concurrent writers.
DATABASE_URL = os.environ.get("PRIVET_DATABASE_URL") or f"sqlite:///{DATA_DIR / 'privet.sqlite3'}"
if not os.environ.get("PRIVET_DATABASE_URL"):
    DATA_DIR.mkdir(parents=True, exist_ok=True)  # `privet manage migrate` on a fresh machine
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA cache_size=-32000;"  # 32 MB page cache per connection (default is 2 MB)
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
# Shared by every web process: the contact form's rate limit and ALTCHA's replay protection must
# see each other's writes. "db" (default) is a table in the database, created by `migrate`
# (enquiries migration 0002); "redis" uses PRIVET_REDIS_URL; "locmem" is per process (tests only).
CACHE_BACKEND = os.environ.get("PRIVET_CACHE_BACKEND", "db")
if CACHE_BACKEND == "db":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                          "LOCATION": "privet_cache"}}
elif CACHE_BACKEND == "redis":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": os.environ.get("PRIVET_REDIS_URL", "redis://127.0.0.1:6379/0")}}
elif CACHE_BACKEND == "locmem":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured(
        f"PRIVET_CACHE_BACKEND={CACHE_BACKEND!r}: use 'db' (default), 'redis' or 'locmem'."
    )

# --- Background work ------------------------------------------------------------------------
# The Tasks API (django-tasks backport of Django 6's django.tasks). "db" keeps the queue in the
# database and runs `privet worker`; "rq" queues on Redis for horizontally scaled workers.
TASK_BACKEND = os.environ.get("PRIVET_TASK_BACKEND", "db")
REDIS_URL = os.environ.get("PRIVET_REDIS_URL", "redis://127.0.0.1:6379/0")
RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
# django-rq's dashboard (its admin link and pages) only where there is a Redis queue to show.
RQ_SHOW_ADMIN_LINK = TASK_BACKEND == "rq"
# The database worker renews a lease this often (a quarter of it); a worker silent for this long
# was killed or cut off, and the tasks it was running are queued again (privet.core.leases).
PRIVET_WORKER_LEASE_SECONDS = float(os.environ.get("PRIVET_WORKER_LEASE_SECONDS", 60))
if not 0 < PRIVET_WORKER_LEASE_SECONDS <= 86400:
    raise ImproperlyConfigured("PRIVET_WORKER_LEASE_SECONDS must be more than 0 and at most 86400.")
if TASK_BACKEND == "db":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif TASK_BACKEND == "rq":
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
elif TASK_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    raise ImproperlyConfigured(
        f"PRIVET_TASK_BACKEND={TASK_BACKEND!r}: use 'db' (default), 'rq' or 'immediate'."
    )

# --- Passwords and sessions -----------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Plain HTTP is only acceptable on the demo's loopback address.
SECURE_COOKIES = env_bool("PRIVET_SECURE_COOKIES", default=not (DEBUG or DEMO))
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("PRIVET_SESSION_IDLE_SECONDS", 30 * 60))
SESSION_SAVE_EVERY_REQUEST = True  # the age above is an idle timeout, not an absolute one
# The names the policy declares (its essential cookies; privet.E005 checks they agree). Over HTTPS
# the __Host- prefix binds them to this host and path /, with Secure set.
COOKIE_PREFIX = "__Host-" if SECURE_COOKIES else ""
SESSION_COOKIE_NAME = COOKIE_PREFIX + "privet-session"
CSRF_COOKIE_NAME = COOKIE_PREFIX + "privet-csrf"
CSRF_FAILURE_VIEW = "privet.core.views.csrf_failure"  # the site's look; keeps the contact form

# --- Operator sign-in: password, then TOTP; lockout after repeated failures ----------------------
# django-axes checks every authenticate() call first; it also counts wrong TOTP codes (panel.auth).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "panel:login"
LOGIN_REDIRECT_URL = "panel:dashboard"
AXES_FAILURE_LIMIT = int(os.environ.get("PRIVET_LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = float(os.environ.get("PRIVET_LOGIN_LOCKOUT_HOURS", 0.25))  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# A correct password alone does not clear the count; the TOTP step does, once it succeeds.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "privet.panel.lockout.lockout_response"
# No raw IP addresses at rest: axes stores a keyed pseudonym (privet.pseudonyms.ip_ref) shaped as an
# address of the discard-only prefix 100::/64, and keeps no log of successful sign-ins (the audit
# log has them).
AXES_CLIENT_IP_CALLABLE = "privet.panel.lockout.client_ip_pseudonym"
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
OTP_TOTP_ISSUER = os.environ.get("PRIVET_TOTP_ISSUER", "Privet")
# The admin never shows a device's secret key or QR code once it exists (a reset is a deletion).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# A wrong recovery code makes the next one wait 1, 2, 4... seconds, as a wrong TOTP code does.
OTP_STATIC_THROTTLE_FACTOR = 1

# --- Security headers -----------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = int(os.environ.get("PRIVET_HSTS_SECONDS", 0 if (DEBUG or DEMO) else 31536000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SECURE_SSL_REDIRECT = env_bool("PRIVET_SSL_REDIRECT", default=False)
# How many reverse proxies of ours stand in front (0: none). They are trusted for X-Forwarded-Proto
# and X-Forwarded-For (privet.clients); "1"/"true" is one proxy, "2" e.g. a CDN and nginx.
_proxy = os.environ.get("PRIVET_BEHIND_PROXY", "").strip().lower()
if _proxy.isdecimal() or _proxy in {"", "true", "yes", "on", "false", "no", "off"}:
    PRIVET_BEHIND_PROXY = int(_proxy) if _proxy.isdecimal() else int(env_bool("PRIVET_BEHIND_PROXY"))
else:
    raise ImproperlyConfigured(
        f"PRIVET_BEHIND_PROXY={_proxy!r}: give the number of reverse proxies in front (0, 1, 2...)."
    )
if PRIVET_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("pl", _("Polish"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("PRIVET_TIME_ZONE", "Europe/Warsaw")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Mail -----------------------------------------------------------------------------------
# The demo keeps what it "sends" in the data folder (one .eml file per mail), and the panel's
# Outbox page shows it: no console copy, which would put addresses in the log.
DEMO_OUTBOX_BACKEND = "privet.core.demo_outbox.DemoOutboxBackend"
EMAIL_BACKEND = os.environ.get(
    "PRIVET_EMAIL_BACKEND",
    DEMO_OUTBOX_BACKEND if DEMO else "django.core.mail.backends.smtp.EmailBackend",
)
PRIVET_OUTBOX_DIR = DATA_DIR / "outbox"
EMAIL_HOST = os.environ.get("PRIVET_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("PRIVET_EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("PRIVET_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("PRIVET_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("PRIVET_EMAIL_USE_TLS")
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("PRIVET_FROM_EMAIL", "privet@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Privet ---------------------------------------------------------------------------------
# The declaration the demo loads when no version is published yet: the embedded SoftCode default
# unless the operator points at their own file.
PRIVET_DEFAULT_POLICY_FILE = Path(
    os.environ.get("PRIVET_POLICY_FILE") or PACKAGE_DIR / "policy" / "default_policy.yaml"
)
# Apps whose models the drift check (privet.E001...) inspects for undeclared personal data.
PRIVET_DRIFT_APPS = env_list("PRIVET_DRIFT_APPS", "") or None
# The technical log (privet.telemetry): one record per request and per security event, buffered
# per process and written in bulk every PRIVET_TELEMETRY_FLUSH_SECONDS or every
# PRIVET_TELEMETRY_BATCH records, whichever comes first. PRIVET_TELEMETRY=0 records nothing.
PRIVET_TELEMETRY = env_bool("PRIVET_TELEMETRY", default=True)
PRIVET_TELEMETRY_FLUSH_SECONDS = float(os.environ.get("PRIVET_TELEMETRY_FLUSH_SECONDS", 1))
PRIVET_TELEMETRY_BATCH = int(os.environ.get("PRIVET_TELEMETRY_BATCH", 500))
# Tests flush by hand (privet.telemetry.recorder.flush): no writer thread.
PRIVET_TELEMETRY_BACKGROUND = True
# Contact form: who hears about new enquiries (else every active staff user with an email), and
# how many submissions one (pseudonymised) client may make per window.
PRIVET_OPERATOR_EMAILS = env_list("PRIVET_OPERATOR_EMAILS", "")
PRIVET_ENQUIRY_RATE_LIMIT = int(os.environ.get("PRIVET_ENQUIRY_RATE_LIMIT", 10))
PRIVET_ENQUIRY_RATE_WINDOW = int(os.environ.get("PRIVET_ENQUIRY_RATE_WINDOW", 600))
# The rights portal and API (requests and "ask for a new link"), per client and window, in the
# shared cache like the contact form's.
PRIVET_RIGHTS_RATE_LIMIT = int(os.environ.get("PRIVET_RIGHTS_RATE_LIMIT", 5))
PRIVET_RIGHTS_RATE_WINDOW = int(os.environ.get("PRIVET_RIGHTS_RATE_WINDOW", 600))
# ALTCHA proof-of-work: challenges signed with a key derived from SECRET_KEY; solved challenges are
# single-use (replay protection in the shared cache above).
ALTCHA_HMAC_SECRET = os.environ.get("PRIVET_ALTCHA_HMAC_SECRET") or (
    hashlib.sha256(("privet.altcha:" + SECRET_KEY).encode()).hexdigest()
)
ALTCHA_CHALLENGE = {"expires_seconds": 1200}
ALTCHA_WIDGET_CHALLENGE_MODE = "endpoint"
ALTCHA_CHALLENGE_ENDPOINT_RATELIMIT = "privet.enquiries.throttle.challenge_allowed"

# Third-party apps that store personal data for us; the drift check inspects them like privet.* apps.
PRIVET_DRIFT_THIRD_PARTY_APPS = ["auth", "sessions", "axes", "otp_totp", "otp_static"]
# Cookie consent: receipts one client (pseudonymised IP) may send per minute (0: no limit). Counted
# per web process by default (the "consent" cache: no round trip on the banner's hot path, at most
# workers x looser); PRIVET_CONSENT_RATE_CACHE=default counts in the shared cache above instead.
# PRIVET_CONSENT_SITE: the site id of this installation's own pages, besides the declared websites.
PRIVET_CONSENT_RATE_LIMIT = int(os.environ.get("PRIVET_CONSENT_RATE_LIMIT", 30))
PRIVET_CONSENT_RATE_CACHE = os.environ.get("PRIVET_CONSENT_RATE_CACHE", "consent")
CACHES["consent"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                     "LOCATION": "privet-consent-rate"}
PRIVET_CONSENT_SITE = os.environ.get("PRIVET_CONSENT_SITE", "privet")

# --- Application logs (privet.core.applog): JSON lines in production, readable lines in the demo
# and in development; PRIVET_LOG_FORMAT=json|console chooses. Every handler redacts emails, tokens,
# secrets and client addresses (privet.core.redact). Django's own "django" and "django.server"
# loggers lose the handlers of its default configuration (a console copy without the filter, and
# mail to ADMINS, which Privet does not set) and log through the root's.
PRIVET_LOG_FORMAT = os.environ.get("PRIVET_LOG_FORMAT") or ("console" if (DEMO or DEBUG) else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "privet.core.redact.RedactFilter"}},
    "formatters": {"privet": {"()": "privet.core.applog.formatter", "style": PRIVET_LOG_FORMAT}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "privet",
                             "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("PRIVET_LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": [], "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        "axes.apps": {"level": "WARNING"},  # its start-up banner would head every CLI command's output
        # httpx logs every request's URL at INFO; a platform's URL may carry an app secret in
        # its query (TikTok's oauth2/advertiser/get/). Calls are recorded without parameters
        # by privet.integrations.http instead.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# --- Integrations (privet.integrations) ------------------------------------------------------
# How long an authorisation link stays usable, and the webhook endpoint's limits.
PRIVET_INTEGRATIONS_LINK_DAYS = int(os.environ.get("PRIVET_INTEGRATIONS_LINK_DAYS", 7))
PRIVET_WEBHOOK_MAX_BYTES = int(os.environ.get("PRIVET_WEBHOOK_MAX_BYTES", 64 * 1024))
PRIVET_WEBHOOK_WINDOW_SECONDS = int(os.environ.get("PRIVET_WEBHOOK_WINDOW_SECONDS", 300))
# Refused deliveries (forged, late, replayed) one address may send a minute before it gets 429
# and no more audit events (the security event is still written).
PRIVET_WEBHOOK_REFUSALS_PER_MINUTE = int(os.environ.get("PRIVET_WEBHOOK_REFUSALS_PER_MINUTE", 30))
# Contract fakes on 127.0.0.1 may stand in for a connector's declared hosts (the tests, the
# demo). Never in production: the outbound client then refuses every host not declared.
PRIVET_INTEGRATIONS_LOOPBACK = env_bool("PRIVET_INTEGRATIONS_LOOPBACK", default=DEMO)
# TikTok API for Business: the API and the two authorisation pages (tests and the demo point
# them at the contract fake, privet.integrations.tiktok.fake).
PRIVET_TIKTOK_API_BASE = os.environ.get(
    "PRIVET_TIKTOK_API_BASE", "https://business-api.tiktok.com/open_api/v1.3/")
PRIVET_TIKTOK_ADVERTISER_AUTH_URL = os.environ.get(
    "PRIVET_TIKTOK_ADVERTISER_AUTH_URL", "https://business-api.tiktok.com/portal/auth")
PRIVET_TIKTOK_ACCOUNT_AUTH_URL = os.environ.get(
    "PRIVET_TIKTOK_ACCOUNT_AUTH_URL", "https://www.tiktok.com/v2/auth/authorize/")
# Retries of a platform's rate-limit and transient errors: attempts, and the first wait (s),
# doubling up to 30 s with as much jitter (the tests set a tiny wait).
PRIVET_INTEGRATIONS_RETRY_ATTEMPTS = int(os.environ.get("PRIVET_INTEGRATIONS_RETRY_ATTEMPTS", 5))
PRIVET_INTEGRATIONS_RETRY_WAIT = float(os.environ.get("PRIVET_INTEGRATIONS_RETRY_WAIT", 1.0))
# How often each live grant's workflows are synced by the worker (a sync is incremental: it
# reads what changed since the last one). The panel's "Sync now" does not wait for it.
PRIVET_INTEGRATIONS_SYNC_MINUTES = int(os.environ.get("PRIVET_INTEGRATIONS_SYNC_MINUTES", 30))
# ... and how often a sync reads every list to its end (a reply to an old comment, a comment
# hidden or deleted on the platform: what an incremental sync cannot see).
PRIVET_INTEGRATIONS_FULL_SYNC_HOURS = int(os.environ.get("PRIVET_INTEGRATIONS_FULL_SYNC_HOURS", 24))
# How long the framework's records of its own work (call records, webhook deliveries, sync
# runs; no personal data) are kept before the daily job deletes them.
PRIVET_INTEGRATIONS_RECORD_DAYS = int(os.environ.get("PRIVET_INTEGRATIONS_RECORD_DAYS", 90))
