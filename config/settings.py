"""Hearth settings: one module, driven by environment variables with safe defaults.

With no environment at all Hearth runs on SQLite under ``var/`` with a local-memory cache and
no Redis (the "embedded default"). Production sets ``DATABASE_URL`` and ``REDIS_URL``.
A value that cannot be parsed stops start-up with a message naming the variable.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_choice, env_float, env_int, env_list, env_networks, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("HEARTH_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DJANGO_DEBUG", False)
# Under pytest: a throwaway secret, plain http, tasks run eagerly (unless the environment says otherwise).
TESTING = env_bool("HEARTH_TESTING", "pytest" in sys.modules)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random value "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DJANGO_DEBUG=true for local development."
        )
    SECRET_KEY = "django-insecure-dev-only-key-never-use-in-production"  # noqa: S105 - debug only

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = env_str("SITE_NAME", "Hearth")

# Record when members were last here (profile "last seen", digest "skip if active"): at most one
# UPDATE per member per 5 minutes. Off under pytest so other pages' query budgets stay exact;
# the tests that need it turn it on.
HEARTH_TRACK_LAST_SEEN = env_bool("HEARTH_TRACK_LAST_SEEN", not TESTING)

# When true, strangers cannot create an account; an invite link always allows sign-up.
HEARTH_INVITE_ONLY_SIGNUP = env_bool("HEARTH_INVITE_ONLY_SIGNUP", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "django_htmx",
    "csp",
    "ninja",  # the API docs page's template and its locally served Swagger UI assets
    "members",
    "communities",
    "moderation",
    "metrics",
]

MIDDLEWARE = [
    "config.middleware.RequestLogMiddleware",
    # Bad characters, non-UTF-8 form posts and oversized forms are answered here, before any
    # other middleware reads the request or the database is touched (config/middleware.py).
    "config.middleware.InputGuardMiddleware",
    # Pages answered to a visitor with a session are private: never stored by a shared cache.
    "config.middleware.PrivateCacheMiddleware",
    # Public pages for anonymous readers, served from the shared cache for as long as a proxy may
    # keep them (HEARTH_ANONYMOUS_MAX_AGE); before sessions, auth and templates run.
    "config.middleware.AnonymousPageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "config.admin_ratelimit.AdminLoginRateLimitMiddleware",
    "members.middleware.AccessMiddleware",
    "members.middleware.LastSeenMiddleware",
    "metrics.middleware.VisitMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "members.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
# Behind a transaction-pooling PgBouncer (DATABASE_POOLER=transaction) consecutive transactions may
# run on different server connections: no server-side cursors (a cursor outlives its transaction in
# .iterator()) and no prepared statements (psycopg 3 prepares a query after 5 runs on a
# connection; PgBouncer before 1.21 cannot route them).
DATABASE_POOLER = env_choice("DATABASE_POOLER", "none", {"none", "transaction"})


def _database(variable: str, url: str) -> dict:
    """One DATABASES entry from a URL (DATABASE_URL, DATABASE_REPLICA_URL), with the same rules."""
    try:
        db = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0))
    except Exception as exc:  # dj-database-url raises several types for a bad URL
        raise ImproperlyConfigured(f"{variable} is not a valid database URL: {exc}") from exc
    if not db.get("ENGINE"):
        raise ImproperlyConfigured(f"{variable}: unsupported database scheme")
    # Heal after a database restart without restarting the app.
    db["CONN_HEALTH_CHECKS"] = True
    if DATABASE_POOLER == "transaction" and "postgres" in db["ENGINE"]:
        db["DISABLE_SERVER_SIDE_CURSORS"] = True
        db.setdefault("OPTIONS", {})["prepare_threshold"] = None
    return db


# An optional read replica (a streaming replica of the primary): the owner's dashboard, its
# exports and the metrics API read their snapshot tables from it (config/replica.py); every write
# and every other read stays on the primary, so pages read their own writes.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
DATABASE_ROUTERS: list[str] = []
if DATABASE_URL:
    DATABASES = {"default": _database("DATABASE_URL", DATABASE_URL)}
    if DATABASE_REPLICA_URL:
        DATABASES["replica"] = {
            **_database("DATABASE_REPLICA_URL", DATABASE_REPLICA_URL),
            # Tests: no database of its own; the alias reads the test database (another connection).
            "TEST": {"MIRROR": "default"},
        }
        DATABASE_ROUTERS = ["config.replica.ReplicaRouter"]
elif DATABASE_REPLICA_URL:
    raise ImproperlyConfigured(
        "DATABASE_REPLICA_URL is set but DATABASE_URL is not: a read replica needs its primary "
        "(DATABASE_URL=postgres://…)"
    )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "hearth.sqlite3",
            "OPTIONS": {
                # The web server and the embedded worker write to the same file: take the write
                # lock at BEGIN and wait for it, rather than failing with "database is locked".
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DB_VENDOR = "postgresql" if "postgres" in DATABASES["default"]["ENGINE"] else "sqlite"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and jobs -------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    if urlparse(REDIS_URL).scheme not in {"redis", "rediss"}:
        raise ImproperlyConfigured(f"REDIS_URL={REDIS_URL!r}: expected redis:// or rediss://")
    CACHES = {
        "default": {
            # A Redis cache whose connection errors become cache misses (see config/cache.py).
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "hearth"),
            # Short, explicit timeouts: a hung Redis costs one 0.25 s timeout, then the circuit
            # breaker in config/cache.py skips Redis for a few seconds (misses, no waiting).
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
    # Sessions are read from the shared cache and written through to the database: no session
    # query on a page. Only with Redis: a per-process cache would keep a session alive in one
    # process after it ended in another.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "hearth"}}

# Per-member rate limits on posting and flagging (moderation/ratelimit.py). On by default; off
# under tests except where a test turns them on, so fixtures can post quickly.
RATE_LIMITS_ENABLED = env_bool("RATE_LIMITS_ENABLED", not TESTING)

# Celery: Redis when REDIS_URL is set; otherwise kombu's filesystem transport, which needs no
# server, so `make run` can run a worker with embedded beat. Without a worker (tests, or a plain
# runserver), tasks run eagerly in-process.
CELERY_BROKER_URL = REDIS_URL or "filesystem://localhost//"
# Redis re-delivers a message that was taken but not acknowledged (acks_late: a worker died
# mid-task) once the visibility timeout has passed. It must exceed the longest countdown/ETA
# (autoretry backoff is capped at 10 minutes, config/celery.py) and the longest task run, or a
# waiting or running task would be delivered twice; 30 minutes, not hours, so a killed worker's
# tasks come back soon (docs/tasks.md).
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 1800, minimum=1, maximum=24 * 3600)
}
# Tests start workers on a queue of their own; production uses Celery's default queue.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
if not REDIS_URL:
    _queue_dir = VAR_DIR / "celery" / "queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        {
            "data_folder_in": str(_queue_dir),
            "data_folder_out": str(_queue_dir),
            "processed_folder": str(VAR_DIR / "celery" / "processed"),
            # Exchange tables; by default kombu writes them to ./control in the working directory.
            "control_folder": str(VAR_DIR / "celery" / "control"),
            "store_processed": False,
        }
    )
else:
    # Short, explicit timeouts so publishing to a hung Redis costs at most a second (and then the
    # circuit breaker defers task calls to the database without waiting).
    CELERY_BROKER_TRANSPORT_OPTIONS.update({"socket_connect_timeout": 1, "socket_timeout": 1})
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", TESTING or not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must not hang a request when the broker is down: short timeouts, few retries; a
# task that still cannot be published is recorded and re-sent later (config.celery.HearthTask).
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TIMEZONE = "UTC"
# A notification email "sending" (claimed by a worker) for longer than this is stuck: its worker
# died mid-send. The stuck-work sweep takes it back and sends it once (docs/tasks.md).
HEARTH_EMAIL_STALE_SECONDS = env_int("HEARTH_EMAIL_STALE_SECONDS", 900, minimum=1)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "members.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    # allauth's login with equal work for registered and unknown emails (members/adapter.py); a
    # failed attempt stops there. allauth's own backend stays listed so sessions it made are valid.
    "members.adapter.LoginBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "members.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "members.account.forms.HearthLoginForm",
    "signup": "members.account.forms.HearthSignupForm",
}
ACCOUNT_USER_MODEL_USERNAME_FIELD = "handle"
ACCOUNT_LOGIN_METHODS = {"email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env_choice(
    "ACCOUNT_EMAIL_VERIFICATION", "mandatory", {"mandatory", "optional", "none"}
)
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_USERNAME_MIN_LENGTH = 3
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"

# --- Email ----------------------------------------------------------------------------------
_email_backends = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}
EMAIL_BACKEND = _email_backends[env_choice("EMAIL_BACKEND", "file", set(_email_backends))]
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be true")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# /healthz answers everyone with the status only; operators get the details (database vendor,
# cache and broker backends, worker heartbeat) when logged in as staff or with this token
# (``Authorization: Bearer <token>``), for a monitoring system.
HEARTH_HEALTHZ_TOKEN = env_str("HEARTH_HEALTHZ_TOKEN")

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))


def _s3_media() -> dict | None:
    """Uploaded media (avatars) in an S3-compatible bucket through django-storages, when
    HEARTH_S3_BUCKET is set; None keeps them under MEDIA_ROOT. Every node and worker then shares
    the bucket instead of a file system. Objects are linked without a signature (a signed link
    expires, and a cached page would keep it): the bucket, or the CDN named by
    HEARTH_S3_CUSTOM_DOMAIN, must let anyone read them."""
    names = ("BUCKET", "ENDPOINT_URL", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY", "REGION", "CUSTOM_DOMAIN")
    s3 = {name: env_str(f"HEARTH_S3_{name}") for name in names}
    style = env_choice("HEARTH_S3_ADDRESSING_STYLE", "", {"auto", "path", "virtual"})
    if not s3["BUCKET"]:
        given = [f"HEARTH_S3_{name}" for name, value in s3.items() if value]
        if given or style:
            raise ImproperlyConfigured(
                f"HEARTH_S3_BUCKET is not set, but {', '.join(given) or 'HEARTH_S3_ADDRESSING_STYLE'} "
                "is: set the bucket for media, or unset every HEARTH_S3_* variable to keep media "
                "under MEDIA_ROOT"
            )
        return None
    if bool(s3["ACCESS_KEY_ID"]) != bool(s3["SECRET_ACCESS_KEY"]):
        missing = "HEARTH_S3_SECRET_ACCESS_KEY" if s3["ACCESS_KEY_ID"] else "HEARTH_S3_ACCESS_KEY_ID"
        raise ImproperlyConfigured(
            f"{missing} is not set: give both HEARTH_S3_ACCESS_KEY_ID and HEARTH_S3_SECRET_ACCESS_KEY, "
            "or neither (the machine's own credentials: an instance role, AWS_* variables)"
        )
    endpoint = s3["ENDPOINT_URL"]
    if endpoint and (urlparse(endpoint).scheme not in {"http", "https"} or not urlparse(endpoint).netloc):
        raise ImproperlyConfigured(
            f"HEARTH_S3_ENDPOINT_URL={endpoint!r}: expected http(s)://host[:port] of the S3-compatible server"
        )
    domain = s3["CUSTOM_DOMAIN"]
    if domain and ("://" in domain or domain.endswith("/")):
        raise ImproperlyConfigured(
            f"HEARTH_S3_CUSTOM_DOMAIN={domain!r}: give the host (and path) only, like media.example.org"
        )
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": s3["BUCKET"],
            "endpoint_url": endpoint or None,
            "access_key": s3["ACCESS_KEY_ID"] or None,
            "secret_key": s3["SECRET_ACCESS_KEY"] or None,
            "region_name": s3["REGION"] or None,
            "custom_domain": domain or None,
            # Self-hosted servers (MinIO, Garage, Ceph) on an address, not a wildcard DNS name,
            # need path-style URLs; AWS picks its own.
            "addressing_style": style or ("path" if endpoint else "auto"),
            "querystring_auth": False,
            "file_overwrite": False,
        },
    }


STORAGES = {
    "default": _s3_media() or {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# --- Locale ---------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Security -------------------------------------------------------------------------------
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not (DEBUG or TESTING))
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not (DEBUG or TESTING))
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not (DEBUG or TESTING))
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("HEARTH_BEHIND_PROXY", False):
    # One trusted reverse proxy in front: trust its X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Also decides the client IP for per-IP rate limits (config/clientip.py): behind the proxy, the
# rightmost X-Forwarded-For entry; otherwise REMOTE_ADDR, and X-Forwarded-For is ignored.
HEARTH_BEHIND_PROXY = env_bool("HEARTH_BEHIND_PROXY", False)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "https:", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = env_choice("LOG_LEVEL", "info", {"debug", "info", "warning", "error"}).upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Our one-line-per-request log replaces runserver's and Django's request logging.
        "django.server": {"level": "WARNING"},
        "celery": {"level": "INFO"},
    },
}

# HSTS preload is a commitment for the whole domain that only its operator can make
# (SECURE_HSTS_PRELOAD=true); not preloading is not a weakness of this site's configuration.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# --- Exports and imports (communities/archive.py) -------------------------------------------
# Archives are private files: they live under VAR_DIR, never under MEDIA_ROOT, and are served only
# through the owner's signed, expiring download link.
HEARTH_EXPORT_DIR = Path(env_str("HEARTH_EXPORT_DIR", str(VAR_DIR / "exports")))
HEARTH_IMPORT_DIR = Path(env_str("HEARTH_IMPORT_DIR", str(VAR_DIR / "imports")))
# Page sizes (lists paginate; a page's query count never depends on them).
HEARTH_POSTS_PER_PAGE = env_int("HEARTH_POSTS_PER_PAGE", 50, minimum=5, maximum=200)
HEARTH_THREADS_PER_PAGE = env_int("HEARTH_THREADS_PER_PAGE", 30, minimum=5, maximum=200)
HEARTH_SEARCH_PER_PAGE = env_int("HEARTH_SEARCH_PER_PAGE", 20, minimum=5, maximum=100)
HEARTH_NOTIFICATIONS_PER_PAGE = env_int("HEARTH_NOTIFICATIONS_PER_PAGE", 30, minimum=5, maximum=200)
# Seconds a shared cache (reverse proxy, CDN) may keep an anonymous page of a public community
# (community home, thread page); 0 turns it off. Only pages that set no cookie are marked.
HEARTH_ANONYMOUS_MAX_AGE = env_int("HEARTH_ANONYMOUS_MAX_AGE", 60, minimum=0, maximum=3600)
# Keep those pages in the app's own cache too (config.middleware.AnonymousPageCacheMiddleware):
# anonymous readers of a public community cost one cache read. Off under tests unless a test
# turns it on (pages there change between requests of one test).
HEARTH_ANONYMOUS_PAGE_CACHE = env_bool("HEARTH_ANONYMOUS_PAGE_CACHE", not TESTING)
HEARTH_QUEUE_PER_PAGE = env_int("HEARTH_QUEUE_PER_PAGE", 25, minimum=5, maximum=200)
# Seconds a rendered page fragment (a post block, a thread row) stays in the cache, keyed by
# everything it shows (config/fragments.py); 0 renders every fragment on every request.
HEARTH_FRAGMENT_CACHE_SECONDS = env_int("HEARTH_FRAGMENT_CACHE_SECONDS", 86400, minimum=0, maximum=7 * 86400)

HEARTH_EXPORT_TTL_HOURS = env_int("HEARTH_EXPORT_TTL_HOURS", 48, minimum=1, maximum=24 * 30)
HEARTH_IMPORT_MAX_MB = env_int("HEARTH_IMPORT_MAX_MB", 200, minimum=1, maximum=10_000)

# --- Webhooks (communities/integrations) ----------------------------------------------------
# Webhooks only call public addresses. Networks listed here (CIDR, comma-separated) may be called
# too, e.g. a receiver on the LAN: "10.0.0.0/8". Cloud metadata addresses are refused regardless.
HEARTH_WEBHOOK_ALLOWED_NETWORKS = env_networks("HEARTH_WEBHOOK_ALLOWED_NETWORKS")
# Seconds for connecting and for each read; the response body read is capped.
HEARTH_WEBHOOK_TIMEOUT = env_int("HEARTH_WEBHOOK_TIMEOUT", 5, minimum=1, maximum=30)
HEARTH_WEBHOOK_MAX_RESPONSE_BYTES = 16 * 1024
# Retry n waits BASE x 6^(n-1) seconds: 60 gives 1 min, 6 min, 36 min, 3.6 h, 21.6 h (about a day
# for six tries). Tests shorten it.
HEARTH_WEBHOOK_RETRY_BASE = env_float("HEARTH_WEBHOOK_RETRY_BASE", 60.0, minimum=0.0)

if TESTING:
    # Fast hashing keeps the suite quick; production keeps Django's default (PBKDF2).
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
