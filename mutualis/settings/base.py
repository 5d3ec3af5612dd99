"""Settings shared by every environment.

Secrets and the database come from the environment (`DATABASE_URL`, `SECRET_KEY`);
without `DATABASE_URL` Mutualis runs on a SQLite file, the embedded default.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent  # the `mutualis` package
PROJECT_DIR = BASE_DIR.parent
# Everything Mutualis writes at run time (SQLite file, uploads, imports) lives under one
# directory, outside the web root and outside the package.
VAR_DIR = Path(os.environ.get("MUTUALIS_VAR_DIR", PROJECT_DIR / "var"))

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h]

INSTALLED_APPS = [
    "mutualis.people",
    "mutualis.registry",
    "mutualis.servicedesk",
    "mutualis.insights",
    "mutualis.jobs",
    "mutualis.datahub",
    "mutualis.web",
    "mutualis.demo",
    "mutualis.backoffice.apps.BackOfficeConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mutualis.people.middleware.ScopeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Django's renderer, with selects written in Python (see mutualis/web/form_renderer.py).
FORM_RENDERER = "mutualis.web.form_renderer.FormRenderer"

ROOT_URLCONF = "mutualis.urls"
WSGI_APPLICATION = "mutualis.wsgi.application"

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
                "mutualis.web.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'mutualis.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the web server read while the demo generator or an import writes;
    # IMMEDIATE transactions fail fast instead of deadlocking on upgrade to a write lock.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif (
    DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    and os.environ.get("DATABASE_PREPARED_STATEMENTS", "1") == "1"
):
    # Prepared statements: with server-side parameter binding, psycopg prepares a statement
    # a connection has run `prepare_threshold` times. Most of the app's queries are short
    # lookups whose planning costs more than their execution; with persistent connections
    # this saves 6-8 ms per request at a million tickets (docs/benchmarks-history.md). Behind
    # PgBouncer in transaction mode, set DATABASE_PREPARED_STATEMENTS=0 (docs/configuration.md).
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: PostgreSQL compiles a query it estimates costly, and for the
    # dashboards' aggregates over a year of tickets that compilation cost more than the
    # query (reopen panel at 1M tickets: 646 ms of JIT in 921 ms; docs/benchmarks-history.md).
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = (options.get("options", "") + " -c jit=off").strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = ["mutualis.people.auth.EmailBackend", "mutualis.people.auth.ProConnectBackend"]
LOGIN_URL = "people:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "people:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# ANSSI's guidance favours length over composition rules: 12 characters at least, not a
# common password, not only digits, not close to the person's name or email.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "mutualis.people.passwords.CharacterVarietyValidator"},
]

# Login with ProConnect, the State's identity federation for public agents (OpenID Connect;
# docs/configuration.md#login-with-proconnect). Off unless the issuer, the client id and the
# client secret are all set; the system check people.E001 refuses a half configuration.
# The issuer is ProConnect's base URL (discovery at <issuer>/.well-known/openid-configuration),
# e.g. https://auth.agentconnect.gouv.fr/api/v2 in production.
PROCONNECT_ISSUER = os.environ.get("MUTUALIS_PROCONNECT_ISSUER", "").strip().rstrip("/")
PROCONNECT_CLIENT_ID = os.environ.get("MUTUALIS_PROCONNECT_CLIENT_ID", "").strip()
PROCONNECT_CLIENT_SECRET = os.environ.get("MUTUALIS_PROCONNECT_CLIENT_SECRET", "").strip()
# ProConnect's claims: the email finds the account; the others are asked for as ProConnect's
# documentation requires of every service.
PROCONNECT_SCOPES = os.environ.get(
    "MUTUALIS_PROCONNECT_SCOPES", "openid email given_name usual_name uid siret"
)
# Optional: the authentication level asked for (e.g. "eidas1"); empty: ProConnect's default.
PROCONNECT_ACR_VALUES = os.environ.get("MUTUALIS_PROCONNECT_ACR_VALUES", "").strip()
# Seconds for one call to ProConnect: a person waits on the page meanwhile.
PROCONNECT_TIMEOUT = float(os.environ.get("MUTUALIS_PROCONNECT_TIMEOUT", "10"))
# The discovery document and the signing keys are kept in each process this long; a key
# that is not known yet (ProConnect rotated its keys) fetches them again at once.
PROCONNECT_CACHE_SECONDS = int(os.environ.get("MUTUALIS_PROCONNECT_CACHE_SECONDS", "3600"))

# Failed logins allowed per email and per client address within the window before the
# login form refuses further tries (see mutualis.people.throttle).
LOGIN_THROTTLE_MAX_FAILURES = int(os.environ.get("LOGIN_THROTTLE_MAX_FAILURES", "5"))
LOGIN_THROTTLE_WINDOW_SECONDS = int(os.environ.get("LOGIN_THROTTLE_WINDOW_SECONDS", "900"))
LOGIN_THROTTLE_MAX_FAILURES_PER_ADDRESS = int(os.environ.get("LOGIN_THROTTLE_MAX_FAILURES_PER_ADDRESS", "30"))

# Behind a reverse proxy that overwrites X-Forwarded-For with the client's address, set
# this so login throttling counts per client rather than per proxy.
TRUST_X_FORWARDED_FOR = os.environ.get("TRUST_X_FORWARDED_FOR") == "1"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 10  # a working day
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploaded files are private: they live outside STATIC_ROOT and no URL pattern serves
# MEDIA_URL (set only because Django's test server expects one); views serve files to
# those allowed.
MEDIA_ROOT = VAR_DIR / "files"
MEDIA_URL = "/files/"

# Where the territory reference is read from by default: the 78/92 extract shipped in the
# repository (see data/territory/SOURCE.md).
TERRITORY_DATA_DIR = Path(os.environ.get("MUTUALIS_TERRITORY_DATA", PROJECT_DIR / "data" / "territory"))

# CSV imports: refuse files beyond this size (bytes) before reading them.
IMPORT_MAX_BYTES = int(os.environ.get("MUTUALIS_IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "mutualis.people.api_auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "mutualis.lib.pagination.KeysetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "mutualis.lib.problems.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "mutualis.lib.content_negotiation.ProblemAwareNegotiation",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Mutualis API",
    "DESCRIPTION": "Registry of members, sites and assets of a public digital-services operator. "
    "Every list and object is scoped to the member (or operator) the token or session acts for.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "mutualis.registry.api.schema.drop_internal_descriptions",
        "mutualis.registry.api.schema.document_empty_filters",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Background jobs (docs/jobs.md). A running job whose worker has not renewed its lease for
# this long is taken back and queued again: long enough to ride out a stalled database,
# short enough that a crashed worker's job waits minutes, not hours (workers renew every
# third of it). An idle worker looks for due jobs every JOBS_POLL_SECONDS: one indexed
# query, cheap even on SQLite. Done jobs are purged after JOBS_KEEP_DONE_DAYS; failed jobs
# are kept until someone retries them.
JOBS_LEASE_SECONDS = int(os.environ.get("MUTUALIS_JOBS_LEASE_SECONDS", "300"))
JOBS_POLL_SECONDS = float(os.environ.get("MUTUALIS_JOBS_POLL_SECONDS", "2"))
JOBS_KEEP_DONE_DAYS = int(os.environ.get("MUTUALIS_JOBS_KEEP_DONE_DAYS", "14"))
# A job running longer than its task's time limit (this default unless the task declares
# one) is timed out and retried: a blocked socket or a lock wait would otherwise hold a
# worker thread, and the job, for good. Ten minutes is twice the lease, far beyond an email
# or a sweep, enough for a yearly PDF report. Python cannot stop a thread: a worker with
# more than JOBS_MAX_ABANDONED_THREADS timed-out threads still hung exits, for its
# supervisor to start a fresh process.
JOBS_TIME_LIMIT_SECONDS = float(os.environ.get("MUTUALIS_JOBS_TIME_LIMIT_SECONDS", "600"))
JOBS_MAX_ABANDONED_THREADS = int(os.environ.get("MUTUALIS_JOBS_MAX_ABANDONED_THREADS", "4"))
# The operator's limit for some tasks, over the task's own and the default above:
# MUTUALIS_JOBS_TIME_LIMITS="servicedesk.sla_sweep=120,insights.forecast=3600".
# Kept as written here; the system check jobs.E001 refuses an entry that is not seconds.
JOBS_TIME_LIMITS = {
    name.strip(): seconds.strip()
    for name, _sep, seconds in (
        item.partition("=")
        for item in os.environ.get("MUTUALIS_JOBS_TIME_LIMITS", "").split(",")
        if item.strip()
    )
}

# A request the database's absence made fail answers 503 with Retry-After: this many
# seconds (mutualis/lib/database_outage.py): a restart or a failover takes seconds to a
# minute; clients told 30 s neither hammer the server while it comes back nor wait long.
DATABASE_UNAVAILABLE_RETRY_AFTER = int(os.environ.get("MUTUALIS_DATABASE_UNAVAILABLE_RETRY_AFTER", "30"))

# Forecasts (insights) know the school holidays of this zone (A, B or C): Versailles, and
# so the reference operator, is in zone C.
INSIGHTS_SCHOOL_ZONE = os.environ.get("MUTUALIS_SCHOOL_ZONE", "C")

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Mutualis <ne-pas-repondre@mutualis.localhost>")

# The service desk's mailbox: notifications come from it, replies and new requests go to it.
# Reply addresses carry a signed ticket token after a "+" (support+t1-42-x9f…@domain).
SERVICEDESK_ADDRESS = os.environ.get("MUTUALIS_SERVICEDESK_ADDRESS", "support@mutualis.localhost")
SERVICEDESK_FROM_NAME = os.environ.get("MUTUALIS_SERVICEDESK_FROM_NAME", "Service desk Mutualis")
# The address of the web pages, for links in emails (no request to read it from in a job).
SITE_URL = os.environ.get("MUTUALIS_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Email in (docs/email.md). A larger message is kept but set aside unread; the inbound hook
# refuses outright (413, nothing kept) a body over the ceiling, as a mail server would.
MAIL_IN_MAX_BYTES = int(os.environ.get("MUTUALIS_MAIL_IN_MAX_MB", "25")) * 1_000_000
MAIL_IN_CEILING_BYTES = 2 * MAIL_IN_MAX_BYTES
# The IMAP mailbox `mutualis fetch_mail` reads (RFC 3501), when the mail server can neither
# pipe messages to `mutualis receive_mail` nor post them to the hook.
MAIL_IN_IMAP = {
    "host": os.environ.get("MUTUALIS_IMAP_HOST", ""),
    "port": int(os.environ.get("MUTUALIS_IMAP_PORT", "0")),  # 0: 993 with TLS, 143 without
    "tls": os.environ.get("MUTUALIS_IMAP_TLS", "true").lower() not in ("0", "false", "no"),
    "user": os.environ.get("MUTUALIS_IMAP_USER", ""),
    "password": os.environ.get("MUTUALIS_IMAP_PASSWORD", ""),
    "folder": os.environ.get("MUTUALIS_IMAP_FOLDER", "INBOX"),
    # Stored messages are moved there; empty: they are only marked as read (\Seen).
    "done_folder": os.environ.get("MUTUALIS_IMAP_DONE_FOLDER", ""),
}

# The data hub's NGSI-LD API (docs: mutualis/datahub/access.py, ngsild/http.py).
# Anonymous access, for open data or conformance suites: tenant name ("" is the operator's
# shared space) → "read" or "read-write", in the tenants of the operator whose slug is
# DATAHUB_ANONYMOUS_OPERATOR (empty: the only operator of the installation).
# From the environment: MUTUALIS_DATAHUB_ANONYMOUS_TENANTS="opendata=read,conformance=read-write".
DATAHUB_ANONYMOUS_TENANTS: dict[str, str] = {
    name.strip(): right.strip()
    for name, _sep, right in (
        item.partition("=") for item in os.environ.get("MUTUALIS_DATAHUB_ANONYMOUS_TENANTS", "").split(",")
    )
    if _sep and right.strip() in ("read", "read-write")
}
DATAHUB_ANONYMOUS_OPERATOR = os.environ.get("MUTUALIS_DATAHUB_ANONYMOUS_OPERATOR", "")
# A request body beyond this is refused (413) before being read: a batch of 1,000
# observation entities is about 1 MB, so 10 MiB leaves room without letting one client
# fill the server's memory.
DATAHUB_MAX_BODY_BYTES = int(os.environ.get("MUTUALIS_DATAHUB_MAX_BODY_BYTES", str(10 * 1024 * 1024)))
# Entities per batch operation (413 beyond) and per page of a query (limit).
DATAHUB_MAX_BATCH = int(os.environ.get("MUTUALIS_DATAHUB_MAX_BATCH", "1000"))
DATAHUB_MAX_LIMIT = int(os.environ.get("MUTUALIS_DATAHUB_MAX_LIMIT", "1000"))
# Instances per attribute in one temporal answer; beyond, 206 Partial Content (6.3.10).
DATAHUB_TEMPORAL_MAX_INSTANCES = int(os.environ.get("MUTUALIS_DATAHUB_TEMPORAL_MAX_INSTANCES", "10000"))

# JSON-LD @contexts of the data hub (mutualis/datahub/ngsild/context_fetch.py). Only the
# shipped contexts are used unless hosts are allowed here ("*": any host; ".example.org":
# a domain and its subdomains): fetching any URL a client names would let clients make the
# hub call internal addresses. Fetched contexts are kept (StoredContext) for a day.
DATAHUB_CONTEXT_ALLOWED_HOSTS = [
    host.strip() for host in os.environ.get("MUTUALIS_DATAHUB_CONTEXT_HOSTS", "").split(",") if host.strip()
]
DATAHUB_CONTEXT_TIMEOUT = float(os.environ.get("MUTUALIS_DATAHUB_CONTEXT_TIMEOUT", "5"))
DATAHUB_CONTEXT_MAX_BYTES = int(os.environ.get("MUTUALIS_DATAHUB_CONTEXT_MAX_BYTES", str(1024 * 1024)))
DATAHUB_CONTEXT_CACHE_SECONDS = int(os.environ.get("MUTUALIS_DATAHUB_CONTEXT_CACHE_SECONDS", str(24 * 3600)))

# Where subscriptions may send notifications (mutualis/datahub/subscriptions/egress.py):
# public addresses only, so that no tenant can make the hub call this server, the
# operator's network or a cloud metadata service. Allowed beyond: host names
# ("hooks.cd78.fr"), domains (".cd78.fr"), addresses and CIDR networks ("10.20.0.0/16");
# ALLOW_PRIVATE opens private networks (RFC 1918, 100.64/10, fc00::/7) and internal names.
DATAHUB_NOTIFICATION_ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("MUTUALIS_DATAHUB_NOTIFICATION_ALLOWED_HOSTS", "").split(",")
    if host.strip()
]
_allow_private = os.environ.get("MUTUALIS_DATAHUB_NOTIFICATION_ALLOW_PRIVATE", "")
DATAHUB_NOTIFICATION_ALLOW_PRIVATE = _allow_private.lower() in ("1", "true", "yes")

# Rejected messages (dead letters) are kept this many days after they were last received,
# then purged daily: long enough to find and fix a device's fault after a holiday, not so
# long that payloads (which may name people: a room, a badge) are kept for ever (GDPR art.
# 5(1)(e), storage limitation). 0 keeps them until deleted by hand.
DATAHUB_DEAD_LETTER_KEEP_DAYS = int(os.environ.get("MUTUALIS_DATAHUB_DEAD_LETTER_KEEP_DAYS", "180"))

# The open ticket of a deleted sensor's alert is kept this many days for a sensor created
# again under the same id (docs/alerts.md; `datahub.alerts.kept_tickets` says why 90), then
# forgotten by a daily job: a sensor back later opens a ticket of its own. 0: kept until
# the ticket is closed or cancelled.
DATAHUB_DELETED_SENSOR_TICKET_KEEP_DAYS = int(
    os.environ.get("MUTUALIS_DATAHUB_DELETED_SENSOR_TICKET_KEEP_DAYS", "90")
)

# MQTT ingestion (docs/ingestion.md): the broker the `ingest_mqtt` worker subscribes to and
# the simulator publishes to.
DATAHUB_MQTT = {
    "HOST": os.environ.get("MUTUALIS_MQTT_HOST", "127.0.0.1"),
    "PORT": int(os.environ.get("MUTUALIS_MQTT_PORT", "1883")),
    "USERNAME": os.environ.get("MUTUALIS_MQTT_USERNAME", ""),
    "PASSWORD": os.environ.get("MUTUALIS_MQTT_PASSWORD", ""),
    "PREFIX": os.environ.get("MUTUALIS_MQTT_PREFIX", "mutualis"),
    "CLIENT_ID": os.environ.get("MUTUALIS_MQTT_CLIENT_ID", "mutualis-ingest"),
}
