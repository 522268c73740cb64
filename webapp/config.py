"""Settings read from environment variables, with safe development defaults."""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

ENVIRONMENTS = ("development", "production", "testing")
DEFAULT_RETRY_INTERVALS = (5, 15, 60, 180, 600)
# Shorter keys can be guessed offline from one signed cookie, and a guessed key forges sessions.
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(RuntimeError):
    """The application cannot start with the configuration it was given."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def _float(name: str, default: float | None) -> float | None:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from exc
    if value <= 0:
        raise ConfigError(f"{name} must be more than 0 seconds, got {raw!r}")
    return value


def _seconds_list(name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        values = tuple(int(part) for part in raw.split(","))
    except ValueError as exc:
        raise ConfigError(
            f"{name} must be whole numbers of seconds separated by commas, got {raw!r}"
        ) from exc
    if any(value < 0 for value in values):
        raise ConfigError(f"{name} cannot hold negative waits, got {raw!r}")
    return values


def _development_secret(instance_path: Path) -> str:
    # Kept in instance/ so that development sessions survive a restart of `make run`.
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.write_text(secrets.token_urlsafe(48))
    path.chmod(0o600)
    return path.read_text().strip()


def normalise_database_url(url: str) -> str:
    # Users paste the libpq form; SQLAlchemy needs to be told to use psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def from_environment(instance_path: Path) -> dict:
    env = os.environ.get("APP_ENV", "production").strip().lower()
    if env not in ENVIRONMENTS:
        raise ConfigError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}, got {env!r}")
    secret_key = os.environ.get("SECRET_KEY", "")
    if not secret_key and env == "development":
        secret_key = _development_secret(instance_path)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'webapp.db'}"
    domain_creation = os.environ.get("DOMAIN_CREATION", "anyone").strip().lower()
    if domain_creation not in ("anyone", "superusers"):
        raise ConfigError(
            f"DOMAIN_CREATION must be 'anyone' or 'superusers', got {domain_creation!r}"
        )
    return {
        "APP_ENV": env,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "DOMAIN_CREATION": domain_creation,
        **_dimail(),
        **_mail(),
        **_security(env),
        **_oidc(),
        **_jobs(),
        **_reading(),
        # The development outbox page (/dev/outbox): on in development; elsewhere only when
        # asked (a demo behind docker compose), reading the folder the mail catcher writes.
        "DEV_OUTBOX": _bool(os.environ.get("DEV_OUTBOX")),
        "DEV_OUTBOX_DIR": os.environ.get("DEV_OUTBOX_DIR") or None,
        # The static files under hashed names and compressed (webapp/static_files.py); the
        # Docker image builds them there in advance, so that nothing is written at run time.
        "STATIC_BUILD_DIR": os.environ.get("STATIC_BUILD_DIR") or str(instance_path / "static"),
        # The largest request body read (bytes): a spreadsheet import fits; more is a 413.
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 16 * 1024 * 1024),
        # The most rows one imported file may hold (mailboxes or aliases).
        "IMPORT_MAX_ROWS": _int("IMPORT_MAX_ROWS", 20_000),
    }


def _dimail() -> dict:
    """The dimail API and the webmail it serves."""
    return {
        "DIMAIL_URL": os.environ.get("DIMAIL_URL", "http://127.0.0.1:8001"),
        "DIMAIL_USER": os.environ.get("DIMAIL_USER", "people"),
        "DIMAIL_PASSWORD": os.environ.get("DIMAIL_PASSWORD", "people"),
        "DIMAIL_TIMEOUT": _float("DIMAIL_TIMEOUT", 10.0),
        # Waiting for the connection itself; unset: the smaller of DIMAIL_TIMEOUT and 5 s.
        "DIMAIL_CONNECT_TIMEOUT": _float("DIMAIL_CONNECT_TIMEOUT", None),
        "WEBMAIL_URL": os.environ.get("WEBMAIL_URL", "http://127.0.0.1:8001/webmail"),
    }


def _mail() -> dict:
    """Outgoing mail and the links it carries."""
    return {
        "SMTP_HOST": os.environ.get("SMTP_HOST", "127.0.0.1"),
        "SMTP_PORT": _int("SMTP_PORT", 1025),
        "SMTP_USER": os.environ.get("SMTP_USER", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        # Without it, SMTP_USER and SMTP_PASSWORD are only sent once STARTTLS has succeeded.
        "SMTP_ALLOW_PLAINTEXT": _bool(os.environ.get("SMTP_ALLOW_PLAINTEXT")),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Mail domains <no-reply@localhost>"),
        # The address people use to reach this application, for links in emails.
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000"),
        "SEND_MAILBOX_PASSWORD": _bool(os.environ.get("SEND_MAILBOX_PASSWORD")),
        "INVITATION_DAYS": _int("INVITATION_DAYS", 7),
        "PASSWORD_LINK_HOURS": _int("PASSWORD_LINK_HOURS", 24),
    }


REQUIRE_2FA_CHOICES = ("off", "superusers", "all-local")


def _require_2fa() -> str:
    value = os.environ.get("REQUIRE_2FA", "off").strip().lower() or "off"
    if value not in REQUIRE_2FA_CHOICES:
        raise ConfigError(
            f"REQUIRE_2FA must be one of {', '.join(REQUIRE_2FA_CHOICES)}, got {value!r}"
        )
    return value


def _security(env: str) -> dict:
    """Logins, their throttles and second factor, cookies and proxies."""
    return {
        # Who must have a second factor when logging in with a password: nobody ("off"),
        # superusers, or every local account ("all-local"); single sign-on is left to its
        # provider.
        "REQUIRE_2FA": _require_2fa(),
        # The name authenticator apps show beside the account.
        "TWO_FACTOR_ISSUER": os.environ.get("TWO_FACTOR_ISSUER", "").strip() or "Mail domains",
        "LOGIN_MAX_FAILURES": _int("LOGIN_MAX_FAILURES", 5),
        "LOGIN_LOCKOUT_SECONDS": _int("LOGIN_LOCKOUT_SECONDS", 900),
        # Failed logins from one address, whatever the emails: higher, over a longer window.
        "LOGIN_MAX_FAILURES_PER_ADDRESS": _int("LOGIN_MAX_FAILURES_PER_ADDRESS", 50),
        "LOGIN_ADDRESS_WINDOW_SECONDS": _int("LOGIN_ADDRESS_WINDOW_SECONDS", 3600),
        # "Forgot password" requests per typed email and per address, in one window.
        "FORGOT_MAX_PER_EMAIL": _int("FORGOT_MAX_PER_EMAIL", 3),
        "FORGOT_MAX_PER_ADDRESS": _int("FORGOT_MAX_PER_ADDRESS", 10),
        "FORGOT_WINDOW_SECONDS": _int("FORGOT_WINDOW_SECONDS", 3600),
        "PASSWORD_HASH_METHOD": os.environ.get("PASSWORD_HASH_METHOD", "scrypt"),
        "SESSION_COOKIE_SECURE": _bool(
            os.environ.get("SESSION_COOKIE_SECURE"), env == "production"
        ),
        # How many reverse proxies stand in front of the app and set X-Forwarded-* headers.
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
    }


def _oidc() -> dict:
    """Signing in through an OpenID Provider (ProConnect, Keycloak...), and who keeps a password."""
    local_login = os.environ.get("LOCAL_LOGIN", "on").strip().lower() or "on"
    if local_login not in ("on", "superusers"):
        raise ConfigError(f"LOCAL_LOGIN must be 'on' or 'superusers', got {local_login!r}")
    return {
        # The provider's issuer URL; its settings are read from /.well-known/openid-configuration.
        "OIDC_ISSUER": os.environ.get("OIDC_ISSUER", "").strip(),
        "OIDC_CLIENT_ID": os.environ.get("OIDC_CLIENT_ID", "").strip(),
        "OIDC_CLIENT_SECRET": os.environ.get("OIDC_CLIENT_SECRET", ""),
        "OIDC_SCOPES": " ".join(os.environ.get("OIDC_SCOPES", "").split())
        or "openid email profile",
        # The provider's name on the sign-in button: "Sign in with ProConnect".
        "OIDC_LOGIN_LABEL": os.environ.get("OIDC_LOGIN_LABEL", "").strip() or "SSO",
        # A first sign-in with no account here creates one (else only invitations do).
        "OIDC_CREATE_USERS": _bool(os.environ.get("OIDC_CREATE_USERS")),
        "OIDC_TIMEOUT": _float("OIDC_TIMEOUT", 10.0),
        # Clock difference allowed with the provider when checking the ID token's times.
        "OIDC_CLOCK_LEEWAY": _int("OIDC_CLOCK_LEEWAY", 60),
        # "superusers": only superusers log in with a password (for when the provider is down).
        "LOCAL_LOGIN": local_login,
    }


def _jobs() -> dict:
    """Background work: checks, retries, the reconciler."""
    return {
        # Re-check cadence by domain status, in seconds.
        "CHECK_EVERY": {
            "pending": _int("CHECK_EVERY_PENDING", 300),
            "action_required": _int("CHECK_EVERY_ACTION_REQUIRED", 3600),
            "failed": _int("CHECK_EVERY_FAILED", 3600),
            "enabled": _int("CHECK_EVERY_ENABLED", 7 * 24 * 3600),
        },
        # Waits between the tries of a job that met a transient failure (dimail down, timeout).
        "JOB_RETRY_INTERVALS": _seconds_list("JOB_RETRY_INTERVALS", DEFAULT_RETRY_INTERVALS),
        "JOB_TIMEOUT": _int("JOB_TIMEOUT", 180),
        # A row still marked "to sync" this long after the mark, with no live job, is re-enqueued.
        "RECONCILE_AFTER_SECONDS": _int("RECONCILE_AFTER_SECONDS", 60),
    }


LOCALES = ("fr", "en")


def _reading() -> dict:
    """What people read: their language, the time zone of dates, whom to contact, the footer."""
    locale = os.environ.get("DEFAULT_LOCALE", "fr").strip().lower() or "fr"
    if locale not in LOCALES:
        raise ConfigError(f"DEFAULT_LOCALE must be one of {', '.join(LOCALES)}, got {locale!r}")
    return {
        # The language of people whose browser asks for none we have, and the time zone of
        # the dates shown.
        "DEFAULT_LOCALE": locale,
        "TIMEZONE": os.environ.get("TIMEZONE", "Europe/Paris"),
        # Whom a domain's people contact when the platform failed to set it up (shown as
        # written: an email address, a phone number, a web page).
        "SUPPORT_CONTACT": os.environ.get("SUPPORT_CONTACT", "").strip(),
        "FOOTER_LINKS": footer_links(os.environ.get("FOOTER_LINKS", "")),
    }


def footer_links(raw: str) -> tuple[tuple[str, str], ...]:
    """`label|url;label|url`: the footer's links, in that order (the accessibility statement,
    legal notices, personal data...), labels shown as written."""
    links = []
    for part in raw.split(";"):
        if not part.strip():
            continue
        label, sep, url = part.partition("|")
        label, url = label.strip(), url.strip()
        if not sep or not label or not url.startswith(("https://", "http://", "/", "mailto:")):
            raise ConfigError(
                "FOOTER_LINKS must be label|url pairs separated by semicolons, each URL starting "
                f"with https://, http://, / or mailto:, got {part.strip()!r}"
            )
        links.append((label, url))
    return tuple(links)


DEFAULTS = {
    # hide_parameters: an SQL error that reaches a log never carries its values (a password
    # hash, an email) beside the statement.
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    # "Remember me" lasts a month (Flask-Login's default is a year); its session record too.
    "REMEMBER_COOKIE_DURATION": timedelta(days=30),
    "WTF_CSRF_TIME_LIMIT": None,
    # WTForms' own messages ("Not a valid choice.") in the reader's language, by Flask-Babel.
    "WTF_I18N_ENABLED": True,
    "PAGE_SIZE": 50,
}


def finalise(config: dict) -> None:
    """Checks that must hold whatever the source of the settings."""
    if not config.get("SECRET_KEY"):
        raise ConfigError(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
            "string (for example: python -c 'import secrets; print(secrets.token_urlsafe(48))'), "
            "or set APP_ENV=development for a local development setup."
        )
    if config.get("APP_ENV") == "production" and len(config["SECRET_KEY"]) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            f"SECRET_KEY is too short ({len(config['SECRET_KEY'])} characters): use at least "
            f"{MIN_SECRET_KEY_LENGTH} random characters (for example: python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))')."
        )
    config.setdefault("REMEMBER_COOKIE_SECURE", config.get("SESSION_COOKIE_SECURE", False))
    _check_oidc(config)
    problem = dimail_url_problem(config.get("DIMAIL_URL") or "")
    if problem:
        raise ConfigError(f"DIMAIL_URL {problem}, for example http://127.0.0.1:8001")


def _check_oidc(config: dict) -> None:
    issuer = config.get("OIDC_ISSUER")
    if not issuer:
        if config.get("LOCAL_LOGIN") == "superusers":
            raise ConfigError(
                "LOCAL_LOGIN=superusers needs OIDC_ISSUER: otherwise only superusers could log in"
            )
        return
    parts = urlsplit(issuer)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise ConfigError(f"OIDC_ISSUER must be the provider's https:// URL, got {issuer!r}")
    if not config.get("OIDC_CLIENT_ID") or not config.get("OIDC_CLIENT_SECRET"):
        raise ConfigError(
            "OIDC_ISSUER is set: OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set too (the "
            "client registered for this application at the provider)"
        )
    if "openid" not in config.get("OIDC_SCOPES", "").split():
        raise ConfigError(f"OIDC_SCOPES must include openid, got {config['OIDC_SCOPES']!r}")


def dimail_url_problem(url: str) -> str | None:
    """Why `url` cannot be dimail's address, or None: refused at start-up, not at the first
    job, where it would only show as a failure on some domain's page."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return f"is not a URL ({url!r})"
    if parts.scheme not in ("http", "https"):
        return f"must start with http:// or https:// ({url!r})"
    if not parts.hostname or any(c.isspace() for c in url):
        return f"must name a host ({url!r})"
    if parts.query or parts.fragment:
        return f"must not carry a query or fragment ({url!r})"
    return None
