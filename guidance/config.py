"""Settings, read from the environment once at start-up."""
from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

from guidance.oidc import providers_from_env

ROOT = Path(__file__).resolve().parent.parent


def _secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment; the demo generates one into instance/ when absent."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if os.environ.get("GUIDANCE_ENV") == "production":
        raise RuntimeError("SECRET_KEY must be set in production")
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _whole_number(name: str, default: str) -> int:
    value = os.environ.get(name, default).strip()
    if not value.isdigit():
        raise RuntimeError(f"{name} must be a whole number, not {value!r}")
    return int(value)


def _database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style URLs name the driver-less scheme; we use psycopg 3.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://"):]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    return f"sqlite:///{instance_path / 'guidance.sqlite3'}"


def build_config(instance_path: Path, overrides: dict | None = None) -> dict:
    """Return the settings dictionary for one application instance."""
    production = os.environ.get("GUIDANCE_ENV") == "production"
    config = {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        # hide_parameters: SQL logs and database error messages never carry the values (names, phones).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "REDIS_URL": os.environ.get("REDIS_URL"),
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER", str(instance_path / "uploads")),
        "QUEUE_PATH": os.environ.get("QUEUE_PATH", str(instance_path / "queue.sqlite3")),
        "QUEUE_NAME": os.environ.get("QUEUE_NAME", "guidance"),
        "MAX_CONTENT_LENGTH": 100 * 1024 * 1024,
        "BABEL_DEFAULT_LOCALE": "nb",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Oslo",
        "LANGUAGES": ["nb", "nn", "en"],
        "SESSION_COOKIE_HTTPONLY": True,
        # Server-side sessions (services/sessions.py): end after this long without a request,
        # and this long after sign-in whatever happens; the cookie itself never outlives the latter.
        "SESSION_IDLE_MINUTES": _whole_number("SESSION_IDLE_MINUTES", "60"),
        "SESSION_MAX_HOURS": _whole_number("SESSION_MAX_HOURS", "12"),
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "WTF_CSRF_TIME_LIMIT": None,
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # A Redis outage must not turn every limited route into a 500: count in memory meanwhile.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute"),
        # The county's login button guesses no password (the provider checks it): a whole office behind one address
        # signs in at 08:00, and the eleventh in a minute was turned away by the password form's limit.
        "OIDC_START_RATE_LIMIT": os.environ.get("OIDC_START_RATE_LIMIT", "300 per minute"),
        # While Redis is down each web process counts limits alone: it allows its share of each limit
        # (guidance/web/rate_limits.py). gunicorn reads its worker count from WEB_CONCURRENCY too.
        "RATELIMIT_FALLBACK_PROCESSES": _whole_number("RATELIMIT_FALLBACK_PROCESSES", os.environ.get("WEB_CONCURRENCY", "1")),
        # Reverse proxies in front of the app whose X-Forwarded-For and -Proto it believes. Behind
        # one, without this every client has the proxy's address and shares one login budget;
        # with it set higher than the real number, a client could pick its own address.
        "TRUSTED_PROXIES": _whole_number("TRUSTED_PROXIES", "0"),
        # Compiled templates kept on disk between application starts (Jinja's bytecode cache; each
        # entry is checked against its template's source). Off unless set: the test suite builds an
        # application per test and would otherwise compile every page it renders again each time.
        "TEMPLATE_CACHE_DIR": os.environ.get("TEMPLATE_CACHE_DIR"),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_SENDER": os.environ.get("MAIL_SENDER", "noreply@veiled.invalid"),
        # The delivery job's SMTP timeout and retry backoff: first retry after MAIL_RETRY_SECONDS,
        # doubling up to MAIL_RETRY_MAX_SECONDS; a message is retried until it is sent, refused
        # permanently (5xx) or has failed MAIL_MAX_ATTEMPTS times (then it is marked failed).
        "MAIL_TIMEOUT": int(os.environ.get("MAIL_TIMEOUT", "10")),
        "MAIL_RETRY_SECONDS": int(os.environ.get("MAIL_RETRY_SECONDS", "60")),
        "MAIL_RETRY_MAX_SECONDS": int(os.environ.get("MAIL_RETRY_MAX_SECONDS", "3600")),
        "MAIL_MAX_ATTEMPTS": int(os.environ.get("MAIL_MAX_ATTEMPTS", "12")),
        # Text messages (services/sms.py, docs/sms-gateway.md): off unless SMS_GATEWAY_URL is set.
        "SMS_GATEWAY_URL": os.environ.get("SMS_GATEWAY_URL"),
        "SMS_GATEWAY_USERNAME": os.environ.get("SMS_GATEWAY_USERNAME"),
        "SMS_GATEWAY_PASSWORD": os.environ.get("SMS_GATEWAY_PASSWORD"),
        "SMS_SENDER": os.environ.get("SMS_SENDER", "Veiled"),
        "SMS_TIMEOUT": int(os.environ.get("SMS_TIMEOUT", "10")),
        # Absolute links in e-mails and calendars are built from this, never from a request's Host.
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000"),
        # Calendar clients poll; a generous limit per feed token that still stops a runaway client.
        "CALENDAR_FEED_RATE_LIMIT": os.environ.get("CALENDAR_FEED_RATE_LIMIT", "120 per hour"),
        # Per API token: ample for a case system's submissions and status polls, and a loop
        # in one municipality's integration cannot slow intake for the others.
        "API_RATE_LIMIT": os.environ.get("API_RATE_LIMIT", "600 per minute"),
        "PRODUCTION": production,
        # Sign-in: OpenID Connect providers (guidance/oidc.py, README) and the local password form.
        "OIDC_PROVIDERS": providers_from_env(os.environ),
        "OIDC_TIMEOUT": int(os.environ.get("OIDC_TIMEOUT", "10")),
        "LOCAL_LOGIN": os.environ.get("LOCAL_LOGIN", "1").strip().lower() not in ("0", "false", "no", "off"),
        # A password-reset link works once, for this many seconds.
        "PASSWORD_RESET_SECONDS": 3600,
        # An invitation to a person the centre entered works once, for two weeks (services/invitations.py).
        "INVITATION_SECONDS": 14 * 86400,
    }
    if overrides:
        config.update(overrides)
    config.setdefault("PERMANENT_SESSION_LIFETIME", dt.timedelta(hours=config["SESSION_MAX_HOURS"]))
    if production and not os.environ.get("BASE_URL") and not (overrides or {}).get("BASE_URL"):
        # Links in e-mails and calendars would point at 127.0.0.1:5000: the web app and the queue consumer (which
        # writes most e-mails) must both be given the public address.
        raise RuntimeError("BASE_URL must be set in production (the public address, e.g. https://veiled.example.no), "
                           "for the web app and the queue consumer alike")
    if not config["LOCAL_LOGIN"] and not config["OIDC_PROVIDERS"]:
        raise RuntimeError("LOCAL_LOGIN=0 needs at least one sign-in provider in OIDC_PROVIDERS: nobody could log in")
    return config
