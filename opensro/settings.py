"""OpenSRO settings.

Everything that differs between machines comes from the environment:

- ``OPENSRO_DATABASE_URL``: a database URL (``postgresql://user@host:5432/name``).
  Unset, OpenSRO uses an embedded SQLite file under ``var/``.
- ``OPENSRO_SECRET_KEY``: required in production; a development default otherwise.
- ``OPENSRO_PRODUCTION=1``: production mode (no debug, secure cookies, HSTS, HTTPS).
- ``OPENSRO_ALLOWED_HOSTS``: comma-separated host names.
- ``OPENSRO_PSEUDONYM_KEY``: key for the keyed pseudonym of student IDs.
- ``OPENSRO_VAR_DIR``: where the SQLite file, uploads and logs live (default ``var/``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


PRODUCTION = env_flag("OPENSRO_PRODUCTION")
DEBUG = env_flag("OPENSRO_DEBUG", default=not PRODUCTION)
VAR_DIR = Path(os.environ.get("OPENSRO_VAR_DIR", PROJECT_DIR / "var"))

_DEV_SECRET = "opensro-development-key-not-for-production-use-0123456789abcdef"  # noqa: S105
SECRET_KEY = os.environ.get("OPENSRO_SECRET_KEY", "" if PRODUCTION else _DEV_SECRET)
if PRODUCTION and len(SECRET_KEY) < 50:
    raise RuntimeError(
        "OPENSRO_SECRET_KEY must be set to a random value of at least 50 characters "
        "in production (python -c 'import secrets; print(secrets.token_urlsafe(64))')."
    )
PSEUDONYM_KEY = os.environ.get("OPENSRO_PSEUDONYM_KEY", SECRET_KEY)

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get(
        "OPENSRO_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver"
    ).split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "opensro.core",
    "opensro.directory",
    "opensro.incidents",
    "opensro.analytics",
    "opensro.program",
    "opensro.training",
    "opensro.selection",
    "opensro.supervision",
    "opensro.surveys",
    "opensro.transparency",
    "opensro.crdc",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "opensro.transparency.middleware.PortalCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "opensro.core.middleware.RequestContextMiddleware",
]

ROOT_URLCONF = "opensro.urls"
WSGI_APPLICATION = "opensro.wsgi.application"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

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
                "django.template.context_processors.i18n",
                "opensro.navigation.navigation",
            ],
        },
    },
]


def database_config(url: str | None) -> dict[str, Any]:
    """The ``default`` database: PostgreSQL from a URL, else embedded SQLite (WAL)."""
    if url:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60))
        config.setdefault("OPTIONS", {})
        config["CONN_HEALTH_CHECKS"] = True
        return config
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(VAR_DIR / "opensro.sqlite3"),
        "OPTIONS": {
            # Readers never block the writer; a writer takes the lock at BEGIN,
            # so two writers queue instead of failing half-way.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA busy_timeout=20000;"
            ),
        },
        "TEST": {"NAME": os.environ.get("OPENSRO_TEST_SQLITE_NAME")},
    }


DATABASE_URL = os.environ.get("OPENSRO_DATABASE_URL", "")
DATABASES = {"default": database_config(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("OPENSRO_TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "uploads"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # collectstatic fills it in production

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 8
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_flag("OPENSRO_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = [
        o.strip() for o in os.environ.get("OPENSRO_CSRF_TRUSTED_ORIGINS", "").split(",")
        if o.strip()
    ]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("OPENSRO_LOG_LEVEL", "WARNING")},
}

# Program rules that are settings (docs/admin-guide.md lists them).
# The public portal's rendered pages (opensro.transparency.cache), keyed by release, so a
# page is rendered once after each publication: per process by default, or shared by
# every server process in a directory (OPENSRO_PORTAL_CACHE_DIR), as production should.
_PORTAL_CACHE_DIR = os.environ.get("OPENSRO_PORTAL_CACHE_DIR", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "portal": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": _PORTAL_CACHE_DIR,
        "TIMEOUT": 86400,
        "OPTIONS": {"MAX_ENTRIES": 100000},
    } if _PORTAL_CACHE_DIR else {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "opensro-portal",
        "TIMEOUT": 86400,
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
}

OPENSRO = {
    # Publication safety: counts from 1 to MIN_CELL_SIZE-1 are never published.
    "MIN_CELL_SIZE": int(os.environ.get("OPENSRO_MIN_CELL_SIZE", "10")),
    # API pagination.
    "API_PAGE_SIZE": 50,
    "API_MAX_PAGE_SIZE": 500,
    # A record entered this many hours after the incident needs a late-entry reason.
    "LATE_ENTRY_HOURS": int(os.environ.get("OPENSRO_LATE_ENTRY_HOURS", "24")),
    # Staffing (R-A3): an SRO assigned to more schools than this at once is "floating";
    # the staffing page warns of assignments that ended before the tenure goal (years).
    "FLOATING_SRO_MAX_SCHOOLS": int(os.environ.get("OPENSRO_FLOATING_SRO_MAX_SCHOOLS", "2")),
    "TENURE_GOAL_YEARS": 3,
    # Dashboards list what comes due within this many days.
    "DUE_SOON_DAYS": 60,
    # Early warning (R-F1): false-discovery rate across one period's flags.
    "EARLY_WARNING_FDR": 0.10,
}
