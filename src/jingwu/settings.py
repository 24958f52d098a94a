"""Django settings, read from the environment.

``JINGWU_DATABASE_URL`` (default: SQLite under ``JINGWU_DATA_DIR``), ``JINGWU_SECRET_KEY``
(the built-in development key is refused unless ``JINGWU_ENV=dev``), ``JINGWU_DATA_DIR``
(default ``./var``), ``JINGWU_TILE_URL`` (optional raster tiles; the map works without).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
ENV = os.environ.get("JINGWU_ENV", "production")
DEV_SECRET_KEY = "jingwu-dev-insecure-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("JINGWU_SECRET_KEY", DEV_SECRET_KEY)
if SECRET_KEY == DEV_SECRET_KEY and ENV != "dev":
    raise ImproperlyConfigured(
        "JINGWU_SECRET_KEY is not set. Set a long random key, or JINGWU_ENV=dev for development."
    )
DEBUG = os.environ.get("JINGWU_DEBUG", "0") == "1"
ALLOWED_HOSTS = [
    h
    for h in os.environ.get("JINGWU_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h
]
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("JINGWU_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

DATA_DIR = Path(os.environ.get("JINGWU_DATA_DIR", Path.cwd() / "var")).resolve()
TILE_URL = os.environ.get("JINGWU_TILE_URL", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "jingwu.audit",
    "jingwu.orgs",
    "jingwu.areas",
    "jingwu.units",
    "jingwu.incidents",
    "jingwu.analytics",
    "jingwu.counter",
    "jingwu.disputes",
    "jingwu.jointcmd",
    "jingwu.eco",
    "jingwu.console",
    "jingwu.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "jingwu.orgs.middleware.BodySizeLimitMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jingwu.urls"
ASGI_APPLICATION = "jingwu.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ]
        },
    }
]


# Django's SQLite backend with write transactions queued first come, first served.
SQLITE_ENGINE = "jingwu.db.sqlite3"


def _database() -> dict[str, object]:
    url = os.environ.get("JINGWU_DATABASE_URL", "")
    if url:
        # No persistent connections: under ASGI each request runs in its own thread, and a kept
        # connection per finished thread exhausts PostgreSQL's max_connections.
        db: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=0))
        if db["ENGINE"] == "django.db.backends.sqlite3":
            db["ENGINE"] = SQLITE_ENGINE
            db["OPTIONS"] = _sqlite_options()
        elif db["ENGINE"] == "django.db.backends.postgresql" and _pg_prepared():
            # Parameters bound by the server and statements prepared after their fifth use on
            # a connection: the hot queries (token, sharing rules, inserts) are planned once
            # per connection instead of on every call (planning cost more than running them).
            db["OPTIONS"] = {
                **db.get("OPTIONS", {}), "server_side_binding": True, "prepare_threshold": 5
            }  # fmt: skip
        return db
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": SQLITE_ENGINE,
        "NAME": DATA_DIR / "jingwu.sqlite3",
        "OPTIONS": _sqlite_options(),
    }


def _pg_prepared() -> bool:
    """``JINGWU_PG_PREPARED=0`` turns prepared statements off (for a pooler that cannot keep
    them, such as PgBouncer in transaction mode before 1.21)."""
    return os.environ.get("JINGWU_PG_PREPARED", "1") != "0"


def _sqlite_options() -> dict[str, object]:
    # WAL lets readers run beside the one writer; synchronous=FULL makes an acknowledged
    # commit durable across a killed process or power loss; IMMEDIATE takes the write lock
    # at BEGIN so two writers queue on the busy timeout instead of failing mid-transaction.
    return {
        "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL;PRAGMA busy_timeout=20000",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

# Idle sessions expire after 30 minutes: every request pushes the expiry forward.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

# Lockout: 5 consecutive failures for one username lock it for 10 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=10)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "jingwu.orgs.views.locked_out"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

API_TOKEN_TTL = timedelta(hours=int(os.environ.get("JINGWU_API_TOKEN_HOURS", "12")))
MAX_BODY_BYTES = int(os.environ.get("JINGWU_MAX_BODY_BYTES", str(1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(
    parents=True, exist_ok=True
)  # WhiteNoise serves from finders; it wants the root to exist
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("JINGWU_LOG_LEVEL", "WARNING")},
}
SILENCED_SYSTEM_CHECKS = ["axes.W006"]  # lockout is per account (username), as the brief asks
