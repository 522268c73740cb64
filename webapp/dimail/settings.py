"""The dimail settings and credentials: their checks (shared with the application's start-up)
and the Bearer header that carries the token."""

from __future__ import annotations

from urllib.parse import urlsplit

from requests.auth import AuthBase

from webapp.dimail.errors import DimailConfigError

_BASE_ATTRIBUTES = frozenset({"detail", "status", "method", "path"})


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


def check_base_url(url: object) -> str:
    """DIMAIL_URL without its trailing slash, or DimailConfigError saying what is wrong."""
    if not isinstance(url, str) or not url:
        raise DimailConfigError("DIMAIL_URL is empty: set it to dimail's address, http(s)://host")
    shown = repr(url)
    if any(c.isspace() for c in url):
        raise DimailConfigError(f"DIMAIL_URL {shown} contains spaces or line breaks")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it validates it
    except ValueError:
        raise DimailConfigError(f"DIMAIL_URL {shown} has an invalid host or port") from None
    if parts.scheme not in ("http", "https"):
        raise DimailConfigError(f"DIMAIL_URL {shown} must start with http:// or https://")
    if not parts.hostname:
        raise DimailConfigError(f"DIMAIL_URL {shown} has no host name")
    if parts.username or parts.password:
        raise DimailConfigError(
            f"DIMAIL_URL {shown} must not carry credentials: use DIMAIL_USER and DIMAIL_PASSWORD"
        )
    if parts.query or parts.fragment:
        raise DimailConfigError(f"DIMAIL_URL {shown} must not carry a query string or fragment")
    return url.rstrip("/")


def positive_seconds(value: object, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DimailConfigError(f"{name} must be a number of seconds, not {value!r}") from None
    if not number > 0:
        raise DimailConfigError(f"{name} must be more than 0 seconds, not {value!r}")
    return number


class BearerAuth(AuthBase):
    """Bearer header as a requests auth object, so that a ~/.netrc entry can never replace it."""

    def __init__(self, token: str):
        self._token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "<BearerAuth>"
