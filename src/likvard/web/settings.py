"""Django settings, read from the environment by small typed helpers that fail loudly.

SQLite (a file under ``var/``) by default; PostgreSQL with ``DATABASE_URL``. Production is the
default posture: ``LIKVARD_DEBUG=1`` is needed for debug mode, and without it a
``LIKVARD_SECRET_KEY`` is required.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = Path(os.environ.get("LIKVARD_HOME", Path.cwd()))
if not PROJECT_DIR.is_dir():
    raise ImproperlyConfigured(f"LIKVARD_HOME={str(PROJECT_DIR)!r} is not a directory (create it, or point LIKVARD_HOME elsewhere)")


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"set the environment variable {name}")
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1 or 0)")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from None


def database_from_url(url: str) -> dict[str, object]:
    """``postgresql://user:pass@host:port/name`` or ``sqlite:///path`` → a DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme in ("postgres", "postgresql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
        }
    if parsed.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": unquote(parsed.path) or ":memory:", "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 60}}
    raise ImproperlyConfigured(f"DATABASE_URL scheme {parsed.scheme!r} is not supported (postgresql or sqlite)")


DEBUG = env_bool("LIKVARD_DEBUG", False)
DEMO = env_bool("LIKVARD_DEMO", False)
SECRET_KEY = env_str("LIKVARD_SECRET_KEY", "dev-only-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz" if (DEBUG or DEMO) else None)
ALLOWED_HOSTS = [h.strip() for h in env_str("LIKVARD_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h.strip()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "likvard.web.accounts",
    "likvard.web.audit",
    "likvard.web.schools",
    "likvard.web.imports",
    "likvard.web.results",
    "likvard.web.allocation",
    "likvard.web.goals",
    "likvard.web.interventions",
    "likvard.web.dialogues",
    "likvard.web.support",
    "likvard.web.api",
]
#: Uploads are held in memory only (never a temporary file: a register may carry personal
#: identity numbers until the import has pseudonymised it). The limit is enforced on the
#: request's declared length before its body is read (likvard.web.security).
UPLOAD_MAX_BYTES = env_int("LIKVARD_UPLOAD_MAX_MB", 100) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
DATA_UPLOAD_MAX_NUMBER_FILES = 20

MIDDLEWARE = [
    "likvard.web.errors.RequestIdMiddleware",  # first: every log line of the request carries its id
    "django.middleware.security.SecurityMiddleware",
    "likvard.web.security.UploadLimitMiddleware",
    "likvard.web.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "likvard.web.locale_middleware.PreferredLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into the lockout page
]

ROOT_URLCONF = "likvard.web.urls"
WSGI_APPLICATION = "likvard.web.wsgi.application"
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
                "likvard.web.accounts.context.role",
            ]
        },
    }
]

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}
else:
    (PROJECT_DIR / "var").mkdir(exist_ok=True)
    # IMMEDIATE: a write transaction takes the lock when it starts, so a second import waits for
    # the first (up to the timeout) instead of failing half-way with "database is locked".
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": PROJECT_DIR / "var" / "likvard.sqlite3", "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 60}}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Validators run where a password is chosen (``add_user``, the password change form); the demo
# loader sets the demo users' password directly. The last entry is not a rule: its
# ``password_changed`` hook revokes the user's API tokens whenever the password is changed.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "likvard.web.accounts.throttle.RevokeTokensOnPasswordChange"},
]
# Login throttling (django-axes): LIKVARD_LOGIN_FAILURES failed logins for one account (from
# any address) or from one client address (for any account) lock that account or address for
# LIKVARD_LOCKOUT_MINUTES. Failures count until that long has passed since the last one;
# attempts during a lockout are refused and do not extend it. ``authenticate()`` without a
# request (the test client's ``login``) is not throttled: every login form passes its request.
AUTHENTICATION_BACKENDS = ["likvard.web.accounts.throttle.LoginThrottle", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("LIKVARD_LOGIN_FAILURES", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LIKVARD_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "likvard.web.accounts.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "likvard.web.accounts.throttle.client_address"
AXES_DISABLE_ACCESS_LOG = True  # successful logins are not kept (no address history per user)
AXES_VERBOSE = False
#: Proxies in front of the app that append the client's address to X-Forwarded-For (a TLS
#: proxy: 1). 0 = the connection's own address, which a client cannot forge.
PROXY_COUNT = env_int("LIKVARD_PROXY_COUNT", 0)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"  # each role to its own start page (accounts.views.home)
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", "Svenska"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = PROJECT_DIR / "var" / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage" if not DEBUG else "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

MODEL_DIR = env_str("LIKVARD_MODEL_DIR", str(Path(__file__).resolve().parents[3] / "models" / "stockholm-2024"))

# security (python -m django check --deploy is clean with LIKVARD_DEBUG=0)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("LIKVARD_SESSION_HOURS", 8) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG and not DEMO:
    SECURE_SSL_REDIRECT = env_bool("LIKVARD_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("LIKVARD_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

#: Every server error is logged with its traceback and the request's id (likvard.web.errors),
#: on the console — the development server's and gunicorn's output alike.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "likvard.web.errors.RequestIdFilter"}},
    "formatters": {"with_id": {"format": "%(asctime)s %(levelname)s [request %(request_id)s] %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": "with_id"}},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "likvard": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "axes": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
