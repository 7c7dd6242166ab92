"""Settings, read from the environment (names are part of the contract in PRODUCT.md).

With no variables set, everything is embedded: SQLite and local files under ``var/``, a
filesystem Celery broker, a generated secret key. Production sets ``DATABASE_URL``,
``REDIS_URL``, ``S3_*``, ``SECRET_KEY``, ``DEBUG=0`` and ``ALLOWED_HOSTS``.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key():
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    # Embedded default: a random key kept in var/ so sessions survive restarts.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "hostedpbx",
    "tenancy",
    "audit",
    "licensing",
    "supervision",
    "recordings",
    "callrouting",
    "twofactor",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "hostedpbx.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "hostedpbx.middleware.PortalLocaleMiddleware",
    "hostedpbx.middleware.ApiInputGuardMiddleware",
    "hostedpbx.middleware.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "twofactor.middleware.TwoFactorMiddleware",
    "tenancy.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "hostedpbx.urls"
WSGI_APPLICATION = "hostedpbx.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hostedpbx.context_processors.portal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        # A kept connection is checked (SELECT 1) before its first use in each request or task:
        # one that died with a database restart is replaced instead of failing the work.
        conn_health_checks=env_bool("DB_CONN_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
        "DB_PREPARED_STATEMENTS", True):
    # Parameters bound by the server, and a statement run five times on a kept connection
    # prepared once: PostgreSQL plans the ingest's statements (tables with many indexes) once
    # per connection instead of on every run. Off (DB_PREPARED_STATEMENTS=0) behind a
    # transaction-pooling PgBouncer older than 1.21.
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process and the worker read while one of them writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (login throttling, ETags) -------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "hostedpbx",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "logged-out"
# Failed logins per (username, client address) before the pair waits LOGIN_BACKOFF_BASE
# seconds, doubling per further failure up to LOGIN_BACKOFF_MAX (see tenancy/auth.py).
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_FAILURE_WINDOW = int(os.environ.get("LOGIN_FAILURE_WINDOW", "900"))
LOGIN_BACKOFF_BASE = int(os.environ.get("LOGIN_BACKOFF_BASE", "30"))
LOGIN_BACKOFF_MAX = int(os.environ.get("LOGIN_BACKOFF_MAX", "900"))
# Tokens issued by POST /api/v1/auth/token/ expire after this many days (menu: own choice).
API_TOKEN_LOGIN_DAYS = int(os.environ.get("API_TOKEN_LOGIN_DAYS", "90"))
# The TLS proxy in front (docs/operations.md): its addresses, and the header it sets.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
TRUSTED_PROXY_HEADER = os.environ.get("TRUSTED_PROXY_HEADER", "HTTP_X_FORWARDED_FOR")

# --- I18N -----------------------------------------------------------------------------------
LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

S3_BUCKET = os.environ.get("S3_BUCKET", "")
S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL") or None
S3_REGION = os.environ.get("S3_REGION") or "us-east-1"
S3_ACCESS_KEY_ID = os.environ.get("S3_ACCESS_KEY_ID") or None
S3_SECRET_ACCESS_KEY = os.environ.get("S3_SECRET_ACCESS_KEY") or None
# Server-side encryption requested for every object ("" disables, e.g. for stores without SSE).
S3_SSE = os.environ.get("S3_SSE", "AES256")

if S3_BUCKET:
    RECORDINGS_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": S3_ENDPOINT_URL,
            "region_name": S3_REGION,
            "access_key": S3_ACCESS_KEY_ID,
            "secret_key": S3_SECRET_ACCESS_KEY,
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": True,
            "object_parameters": {"ServerSideEncryption": S3_SSE} if S3_SSE else {},
        },
    }
else:
    RECORDINGS_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "recordings")},
    }

STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT)},
    },
    "recordings": RECORDINGS_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Recordings pushed by PBX nodes and the local spool folder they may drop files into.
INGEST_MAX_UPLOAD_BYTES = int(os.environ.get("INGEST_MAX_UPLOAD_BYTES", str(2 * 1024**3)))
INGEST_STAGING_DIR = Path(os.environ.get("INGEST_STAGING_DIR", VAR_DIR / "staging"))
INGEST_SPOOL_DIR = Path(os.environ.get("INGEST_SPOOL_DIR", VAR_DIR / "spool"))
# Tunables of the ingest; their meaning is in recordings/conf.py.
INGEST_LEASE_SECONDS = int(os.environ.get("INGEST_LEASE_SECONDS") or 15 * 60)
INGEST_REQUEUE_AFTER_SECONDS = int(os.environ.get("INGEST_REQUEUE_AFTER_SECONDS") or 300)
INGEST_RETRY_BACKOFF_MAX = int(os.environ.get("INGEST_RETRY_BACKOFF_MAX") or 600)
INGEST_SWEEP_SECONDS = int(os.environ.get("INGEST_SWEEP_SECONDS") or 60)
INGEST_SCAN_SECONDS = int(os.environ.get("INGEST_SCAN_SECONDS") or 15)
INGEST_PURGE_SECONDS = int(os.environ.get("INGEST_PURGE_SECONDS") or 3600)
INGEST_SPOOL_SETTLE_SECONDS = int(os.environ.get("INGEST_SPOOL_SETTLE_SECONDS") or 2)
INGEST_REJECTED_KEEP_DAYS = int(os.environ.get("INGEST_REJECTED_KEEP_DAYS") or 30)
INGEST_ORPHAN_AGE_SECONDS = int(os.environ.get("INGEST_ORPHAN_AGE_SECONDS") or 3600)
INGEST_STAGE_IN_STORE = env_bool("INGEST_STAGE_IN_STORE", False)
INGEST_INBOX_PREFIX = os.environ.get("INGEST_INBOX_PREFIX") or "inbox/"
INGEST_OVERLAP_UPLOAD = env_bool("INGEST_OVERLAP_UPLOAD", True)
# Smaller files are analysed before the upload: their analysis takes milliseconds, and the
# threads of an overlapped upload cost more CPU than they save time (docs/performance.md).
INGEST_OVERLAP_MIN_BYTES = int(os.environ.get("INGEST_OVERLAP_MIN_BYTES") or 8 * 1024 * 1024)
# Pushes that need none of the pipeline's other endings are stored inside their request
# (recordings/ingest/express.py); larger ones (8 MiB: about 8 minutes of 8 kHz PCM), and any
# push when this is off, are queued: the worker uploads long calls while it analyses them,
# and a web thread is not held for a long upload.
INGEST_EXPRESS = env_bool("INGEST_EXPRESS", True)
INGEST_EXPRESS_MAX_BYTES = int(os.environ.get("INGEST_EXPRESS_MAX_BYTES") or 8 * 1024 * 1024)
RECORDINGS_LOCAL_DIR = os.environ.get("RECORDINGS_LOCAL_DIR", "")
S3_CONNECT_TIMEOUT = int(os.environ.get("S3_CONNECT_TIMEOUT") or 5)
S3_READ_TIMEOUT = int(os.environ.get("S3_READ_TIMEOUT") or 60)
# Sign request bodies (SHA-256 over every byte) even where a checksum header protects them;
# only for a store that refuses UNSIGNED-PAYLOAD (docs/ingest.md).
S3_SIGN_PAYLOAD = env_bool("S3_SIGN_PAYLOAD", False)
# The store checks the x-amz-checksum-sha256 of a PUT against the bytes (AWS S3, MinIO, Ceph
# RGW): the worker then does not hash a pushed file a second time. Off for a store that does
# not (moto, the test double, stores it unchecked).
S3_VERIFIES_CHECKSUMS = env_bool("S3_VERIFIES_CHECKSUMS", True)
PHONE_DEFAULT_REGION = os.environ.get("PHONE_DEFAULT_REGION") or "DE"
FILE_UPLOAD_TEMP_DIR = str(VAR_DIR / "upload-tmp")
Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
# Uploads above this are streamed to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# JSON bodies of the APIs: bounded in size and nesting before any parser runs.
API_JSON_MAX_BYTES = int(os.environ.get("API_JSON_MAX_BYTES", str(1024 * 1024)))
API_JSON_MAX_DEPTH = 32

# --- Celery ---------------------------------------------------------------------------------
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Longer than the longest task, so a slow ingest is not delivered twice; lost work is
        # found again by the database-driven sweeper, not by this timeout.
        "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "7200")),
    }
else:
    _broker_dir = VAR_DIR / "celery-broker"
    for sub in ("out", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# When the broker connection is lost, the unacked message of a running task will be delivered
# again: cancel the task rather than let it run twice (the ingest lease makes either safe).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_IGNORE_RESULT = True
# Celery's Django fixup closes the database connection before and after every task unless this
# is set (then it closes them every DB_REUSE_MAX tasks): a new PostgreSQL backend per task.
# hostedpbx.celery instead applies CONN_MAX_AGE and drops broken connections around each task,
# as Django does around each request.
CELERY_DB_REUSE_MAX = int(os.environ.get("CELERY_DB_REUSE_MAX", "1000"))
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {}

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: a request without credentials is answered 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenancy.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["hostedpbx.api.filters.StrictFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "hostedpbx.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "hostedpbx.api.errors.exception_handler",
    # ``?format=csv|jsonl`` belongs to the export endpoints, not to content negotiation.
    "URL_FORMAT_OVERRIDE": None,
    # JSON only: with DRF's browsable renderer a client preferring HTML (every browser) got its
    # errors as an HTML page, and every error under /api/ is JSON. Interactive docs: /api/docs/.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "HostedPBX customer menu API",
    # Markdown: placeholders in code spans, or the docs take `<slug>` for an HTML tag.
    "DESCRIPTION": (
        "Customer API under `/api/v1/tenants/<slug>/` (session or token auth: "
        "`Authorization: Token <token>`; a token from `POST /api/v1/auth/token/` or the "
        "customer menu) and the PBX node API under `/api/pbx/v1/` "
        "(`Authorization: Bearer <node token>`). Errors are JSON `{\"code\", \"detail\"}` "
        "with stable codes."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Two parts have a "mode": the monitoring mode (keys 1/2/3) and the routing's mode.
    "ENUM_NAME_OVERRIDES": {
        "MonitoringModeEnum": "supervision.choices.Mode",
        "RoutingModeEnum": "callrouting.choices.Mode",
    },
    # The error body and the common error statuses on every operation (the enum hook is the
    # default and must stay).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "hostedpbx.api.schema.add_error_responses",
    ],
}

# --- Audit ----------------------------------------------------------------------------------
# Ed25519 key of the signed audit checkpoints (audit/signing.py: PEM, base64 seed or a
# passphrase); defaults to one derived from SECRET_KEY.
AUDIT_SIGNING_KEY = os.environ.get("AUDIT_SIGNING_KEY") or f"audit:{SECRET_KEY}"

# --- Security (production) ------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 10
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# No inline script anywhere: JavaScript lives in static/js/ (see docs/conventions.md).
# Presigned S3 URLs may be played or fetched directly: allow the endpoint (or, on AWS, the
# origins listed in CSP_MEDIA_ORIGINS).
_s3_origin = " ".join(
    ([S3_ENDPOINT_URL.rstrip("/")] if S3_ENDPOINT_URL else []) + env_list("CSP_MEDIA_ORIGINS"))
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    f"media-src 'self' blob: {_s3_origin}".strip(),
    f"connect-src 'self' {_s3_origin}".strip(),
    "worker-src 'self' blob:",
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
if not DEBUG:
    # Behind a TLS-terminating proxy; set HTTPS=0 to serve plain HTTP (e.g. a local trial).
    _https = env_bool("HTTPS", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _https
    SESSION_COOKIE_SECURE = _https
    CSRF_COOKIE_SECURE = _https
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000")) if _https else 0
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _https
    SECURE_HSTS_PRELOAD = _https
    SILENCED_SYSTEM_CHECKS = [] if _https else ["security.W004", "security.W008", "security.W012",
                                                 "security.W016"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
