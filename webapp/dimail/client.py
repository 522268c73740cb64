"""HTTP client for the dimail provisioning API (see DIMAIL.md for the contract).

Every failure comes out as a `DimailError` subclass whose type tells the caller what to do:
`DimailUnavailable` is worth retrying later, `DimailRejected` (and its `DimailNotFound`,
`DimailConflict`, `DimailNoGrant` and `DimailBadAnswer` children) will fail the same way again,
`DimailNotSupported` means this dimail is an older build without the route, `DimailAuthError`
means our own credentials are refused platform-wide, `DimailConfigError` that our settings are
unusable. The client never retries on its own, except one token refresh and one same-host
redirect: retries belong to the job queue.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import jwt
import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase, HTTPBasicAuth

from webapp.dimail.checks import read_bool

log = logging.getLogger("webapp.dimail")

# Refresh the token this long before its `exp`, so that it never expires in flight.
TOKEN_MARGIN_SECONDS = 60
# How long to keep a token that carries no readable `exp`.
TOKEN_DEFAULT_LIFETIME_SECONDS = 300
# What FastAPI answers for a route it does not have; any other 404 detail names a missing object.
GENERIC_NOT_FOUND = "Not Found"
# What dimail says when the Bearer token itself is refused (not a missing grant).
BAD_TOKEN = "Invalid authentication credentials"  # noqa: S105 - a message, not a secret
# Statuses that are the proxy's way of saying "later", not a verdict on the request.
TRANSIENT_4XX = frozenset({408, 429})
# Only these keep the method and body by definition; 301/302/303 may turn a POST into a GET.
FOLLOWED_REDIRECTS = frozenset({307, 308})
DETAIL_MAX_CHARS = 200
# A domain that cannot exist (RFC 2606), to ask whether a route exists without touching one.
PROBE_DOMAIN = "can-set-active.invalid"

DEFAULT_FEATURES = ("webmail", "mailbox", "alias")
MAILBOX_FIELDS = frozenset({"givenName", "surName", "displayName", "active"})
_CONTEXT_CONFLICT = re.compile(r"mapped to OX context\s+[\"'“]?([^\"'”\s]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Route:
    """One dimail route: its path template, exactly as DIMAIL.md spells it, and its nature."""

    template: str
    auth: str  # "basic" or "bearer"
    what: str  # what the route does, in plain words for messages
    current_only: bool = False  # older servers answer 404/405
    admin: bool = False  # Basic route that needs an admin account (or a permission)

    def path(self, **segments: str) -> str:
        return self.template.format(**{k: _segment(v) for k, v in segments.items()})


# The one place where paths are spelled: FastAPI answers any other spelling with a redirect.
ROUTES = {
    "token": Route("/token/", "basic", "get a token"),
    "users": Route("/users/", "basic", "create users", admin=True),
    "allows": Route("/allows/", "basic", "grant domains", admin=True),
    "domains": Route("/domains/", "basic", "create or list domains", admin=True),
    "domain": Route("/domains/{domain}", "bearer", "read the domain"),
    "domain_check": Route("/domains/{domain}/check", "basic", "the domain check", True),
    "domain_fix": Route("/domains/{domain}/fix/", "basic", "the domain repair", True),
    "domain_spec": Route(
        "/domains/{domain}/spec/", "basic", "the list of expected DNS records", True
    ),
    "mailboxes": Route("/domains/{domain}/mailboxes/", "bearer", "list mailboxes"),
    "mailboxes_v2": Route(
        "/v2/domains/{domain}/mailboxes/", "bearer", "the mailbox list with states", True
    ),
    "mailbox": Route("/domains/{domain}/mailboxes/{local_part}", "bearer", "manage mailboxes"),
    "reset_password": Route(
        "/domains/{domain}/mailboxes/{local_part}/reset_password/",
        "bearer",
        "the password reset",
        True,
    ),
    "login_code": Route(
        "/domains/{domain}/mailboxes/{local_part}/code", "bearer", "the webmail login code", True
    ),
    "address": Route(
        "/domains/{domain}/address/{local_part}/", "bearer", "the address lookup", True
    ),
    "aliases": Route("/domains/{domain}/aliases/", "bearer", "manage aliases"),
    "alias": Route("/domains/{domain}/aliases/{local_part}/{destination}", "bearer", "aliases"),
    "all_aliases": Route("/domains/{domain}/aliases/{local_part}/all", "bearer", "aliases"),
}

_BASE_ATTRIBUTES = frozenset({"detail", "status", "method", "path"})


class DimailError(Exception):
    """Base of every dimail failure; `detail` is dimail's own words when it gave any."""

    def __init__(
        self,
        detail: str = "",
        status: int | None = None,
        method: str | None = None,
        path: str | None = None,
    ):
        super().__init__(detail)
        self.detail = detail
        self.status = status
        self.method = method
        self.path = path

    def __str__(self) -> str:
        if not self.method:
            return self.detail
        where = f"dimail {self.method} {self.path}"
        if self.status is not None:
            return f"{where}: {self.status} {self.detail}"
        return f"{where}: {self.detail}"

    def __reduce__(self):
        # Keep status, method, path and any extra attribute (a conflict's context name) when a
        # job queue pickles the exception.
        extra = {k: v for k, v in vars(self).items() if k not in _BASE_ATTRIBUTES}
        return (type(self), (self.detail, self.status, self.method, self.path), extra or None)


class DimailUnavailable(DimailError):
    """Transient: dimail was unreachable, too slow, or failed on its side (5xx)."""


class DimailRejected(DimailError):
    """Permanent: dimail refused the request; sending it again will not help."""


class DimailNotFound(DimailRejected):
    """The domain, mailbox or alias named in the path does not exist in dimail."""


class DimailConflict(DimailRejected):
    """The object already exists (409). On domain creation, `context_name` names the
    Open-XChange context the domain is already mapped to, when dimail says so."""

    context_name: str | None = None


class DimailNoGrant(DimailRejected):
    """Our credentials work (the token call succeeds), but this application's dimail account
    has no rights on this domain: typically it exists in dimail under another account."""


class DimailBadAnswer(DimailRejected):
    """An answer the client cannot use: a redirect to another host or a second redirect, a
    body that is not the JSON the route promises. Permanent: the same call gets the same."""


class DimailNotSupported(DimailError):
    """This dimail is an older build that lacks the route (404/405 on a current-only route),
    or ignores what we asked (PATCH `active` on 2024 builds)."""


class DimailAuthError(DimailError):
    """Our credentials were refused, even with a freshly fetched token."""


class DimailConfigError(DimailError):
    """The client's own settings are unusable (DIMAIL_URL without a scheme or host...)."""


# Every class the client raises, for the tests that prove each one is handled by every job.
ERROR_CLASSES = (
    DimailUnavailable,
    DimailRejected,
    DimailNotFound,
    DimailConflict,
    DimailNoGrant,
    DimailBadAnswer,
    DimailNotSupported,
    DimailAuthError,
    DimailConfigError,
    DimailError,
)


class _BearerAuth(AuthBase):
    """Bearer header as a requests auth object, so that a ~/.netrc entry can never replace it."""

    def __init__(self, token: str):
        self._token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "<BearerAuth>"


def _segment(value: str) -> str:
    """One URL path segment, quoted so that `+`, `/` or `@` cannot change the route."""
    value = str(value)
    if not value:
        # An empty segment would silently turn an item route into its collection route.
        raise ValueError("empty path segment in a dimail URL")
    return quote(value, safe="")


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _format_validation(items: list) -> str:
    """FastAPI's 422 list as "field: msg; field: msg" without the body/query prefix."""
    parts = []
    for item in items:
        if not isinstance(item, Mapping):
            parts.append(str(item))
            continue
        loc = [str(p) for p in item.get("loc") or ()]
        if loc and loc[0] in ("body", "query", "path", "header"):
            loc = loc[1:]
        msg = str(item.get("msg") or item.get("type") or "invalid")
        parts.append(f"{'.'.join(loc)}: {msg}" if loc else msg)
    return "; ".join(parts)


def _body_start(response: requests.Response) -> str:
    text = " ".join((response.text or "").split())
    if len(text) > DETAIL_MAX_CHARS:
        text = text[: DETAIL_MAX_CHARS - 3] + "..."
    return text


def _json_detail(response: requests.Response) -> tuple[bool, str | None]:
    """(whether the body is JSON with a `detail`, that detail as readable text)."""
    try:
        data = response.json()
    except ValueError:
        return False, None
    if not isinstance(data, Mapping) or "detail" not in data:
        return False, None
    detail = data["detail"]
    if isinstance(detail, list):
        return True, _format_validation(detail)
    return True, str(detail)


def _describe(response: requests.Response) -> str:
    has_detail, detail = _json_detail(response)
    if has_detail:
        return detail or ""
    return _body_start(response) or f"HTTP {response.status_code} {response.reason or ''}".strip()


def _is_generic_404(response: requests.Response) -> bool:
    # Route missing (older server, or a proxy page) rather than a named object missing.
    has_detail, detail = _json_detail(response)
    return not has_detail or detail == GENERIC_NOT_FOUND


def _origin(url: str) -> tuple[str, str, int | None]:
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


def _positive(value: object, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DimailConfigError(f"{name} must be a number of seconds, not {value!r}") from None
    if not number > 0:
        raise DimailConfigError(f"{name} must be more than 0 seconds, not {value!r}")
    return number


@dataclass(frozen=True)
class AddressProbe:
    """What dimail knows of one address (`GET /domains/{d}/address/{local_part}/`)."""

    domain_name: str
    user_name: str
    is_alias: bool
    is_mailbox: bool
    is_ox: bool
    ox_primary_email: str | None
    ox_senders: tuple[str, ...] = ()

    @classmethod
    def from_answer(cls, data: Mapping, domain: str, local_part: str) -> AddressProbe:
        primary = data.get("ox_primary_email")
        senders = data.get("ox_senders")
        return cls(
            domain_name=str(data.get("domain_name") or domain),
            user_name=str(data.get("user_name") or local_part),
            is_alias=read_bool(data.get("is_alias")),
            is_mailbox=read_bool(data.get("is_mailbox")),
            is_ox=read_bool(data.get("is_ox")),
            ox_primary_email=str(primary) if primary else None,
            ox_senders=tuple(str(s) for s in senders) if isinstance(senders, list) else (),
        )

    @property
    def address(self) -> str:
        return f"{self.user_name}@{self.domain_name}"

    def verdict(self, address: str | None = None) -> str:
        """ "exists" (a mailbox at this address), "display_name_taken" (the webmail account
        found is another address's: see `taken_by`) or "free" (an alias alone is no obstacle:
        a mailbox may share its local part)."""
        address = (address or self.address).casefold()
        if self.is_mailbox:
            return "exists"
        if self.is_ox:
            if (self.ox_primary_email or "").casefold() in ("", address):
                return "exists"
            return "display_name_taken"
        return "free"

    @property
    def taken_by(self) -> str | None:
        """The other mailbox whose webmail account holds the display name, if any."""
        if self.verdict() == "display_name_taken":
            return self.ox_primary_email
        return None

    # Read access by key, for callers written when the probe answered a plain dict.
    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)


class DimailClient:
    """One client per process (or per worker thread pool): it keeps a pooled session and a token."""

    def __init__(
        self,
        base_url: str,
        user: str,
        password: str,
        timeout: float = 10.0,
        connect_timeout: float | None = None,
        session: requests.Session | None = None,
    ):
        self.base_url = check_base_url(base_url)
        if not user or not password:
            raise DimailConfigError("DIMAIL_USER and DIMAIL_PASSWORD must both be set")
        self.user = user
        self._basic = HTTPBasicAuth(user, password)
        self.timeout = _positive(timeout, "DIMAIL_TIMEOUT")
        if connect_timeout:
            self.connect_timeout = _positive(connect_timeout, "DIMAIL_CONNECT_TIMEOUT")
        else:
            self.connect_timeout = min(self.timeout, 5.0)
        self._owns_session = session is None
        if session is None:
            session = requests.Session()
            # No urllib3 retries: a retried POST could create twice, and the queue retries anyway.
            adapter = HTTPAdapter(pool_connections=10, pool_maxsize=10, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            # Proxy and CA settings from the environment, read once: requests would otherwise
            # read them (and ~/.netrc) again on every call, a cost jobs pay per mailbox.
            found = session.merge_environment_settings(self.base_url, {}, None, None, None)
            session.proxies, session.verify = found["proxies"], found["verify"]
            session.trust_env = False
        self._session = session
        self.calls = 0
        self._calls_lock = threading.Lock()
        self._token: str | None = None
        self._token_valid_until = 0.0
        # Held while fetching, so that concurrent callers share one token request.
        self._token_lock = threading.Lock()
        self._clock = time.time
        self._can_set_active: bool | None = None

    @classmethod
    def from_config(cls, config: Mapping) -> DimailClient:
        missing = [k for k in ("DIMAIL_URL", "DIMAIL_USER", "DIMAIL_PASSWORD") if not config.get(k)]
        if missing:
            raise DimailConfigError(f"dimail is not configured: missing {', '.join(missing)}")
        connect = config.get("DIMAIL_CONNECT_TIMEOUT")
        return cls(
            config["DIMAIL_URL"],
            config["DIMAIL_USER"],
            config["DIMAIL_PASSWORD"],
            timeout=_positive(config.get("DIMAIL_TIMEOUT") or 10.0, "DIMAIL_TIMEOUT"),
            connect_timeout=_positive(connect, "DIMAIL_CONNECT_TIMEOUT") if connect else None,
        )

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> DimailClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # ----------------------------------------------------------------- transport

    def _send(self, method: str, path: str, auth: AuthBase, json=None, params=None):
        """One call: a request, plus at most one same-host 307/308 followed by hand (requests
        would drop the credentials or turn the POST into a GET); any other redirect is an
        answer the client cannot use."""
        response = self._send_once(method, path, auth, json, params)
        if not 300 <= response.status_code < 400:
            return response
        target = self._redirect_target(response, method, path)
        target_path = target[len(self.base_url) :] if target.startswith(self.base_url) else target
        log.warning(
            "dimail %s %s -> %s to %s: followed once; correct this path in ROUTES "
            "(webapp/dimail/client.py)",
            method,
            path,
            response.status_code,
            target_path,
        )
        # The Location already carries the query string when there was one.
        if urlsplit(target).query:
            params = None
        response = self._send_once(method, target_path, auth, json, params, url=target)
        if 300 <= response.status_code < 400:
            raise DimailBadAnswer(
                f"dimail redirected twice ({path}, then {target_path}): the client gives up",
                response.status_code,
                method,
                path,
            )
        return response

    def _redirect_target(self, response, method: str, path: str) -> str:
        status = response.status_code
        location = response.headers.get("Location")
        if not location:
            raise DimailBadAnswer(
                f"dimail answered {status} with no address to go to", status, method, path
            )
        target = urljoin(self.base_url + path, location)
        if status not in FOLLOWED_REDIRECTS:
            raise DimailBadAnswer(
                f"dimail answered {status} (a redirect to {location} that would not keep the "
                "request as it is): not followed",
                status,
                method,
                path,
            )
        if _origin(target) != _origin(self.base_url):
            # Following it would send our credentials to another server.
            raise DimailBadAnswer(
                f"dimail redirected to another server ({location}): not followed",
                status,
                method,
                path,
            )
        return target

    def _send_once(self, method, path, auth, json, params, url: str | None = None):
        """One HTTP request, counted and logged; a requests failure becomes a DimailError."""
        with self._calls_lock:
            self.calls += 1
        started = time.perf_counter()
        try:
            response = self._session.request(
                method,
                url or self.base_url + path,
                json=json,
                params=params,
                auth=auth,
                timeout=(self.connect_timeout, self.timeout),
                allow_redirects=False,
            )
        except (requests.RequestException, urllib3.exceptions.HTTPError, ValueError) as exc:
            elapsed = (time.perf_counter() - started) * 1000
            error = self._transport_error(exc, method, path)
            log.info(
                "dimail %s %s -> %s (%s) in %.0f ms",
                method,
                path,
                type(exc).__name__,
                error.detail,
                elapsed,
            )
            raise error from exc
        elapsed = (time.perf_counter() - started) * 1000
        log.info("dimail %s %s -> %s in %.0f ms", method, path, response.status_code, elapsed)
        return response

    def _transport_error(self, exc: Exception, method: str, path: str) -> DimailError:
        name = type(exc).__name__
        if isinstance(exc, requests.ConnectTimeout):
            detail = f"connection timed out after {_seconds(self.connect_timeout)}"
        elif isinstance(exc, requests.Timeout):
            detail = f"timed out after {_seconds(self.timeout)}"
        elif isinstance(exc, requests.exceptions.SSLError):
            detail = "TLS handshake failed"
        elif isinstance(exc, requests.ConnectionError):
            detail = "connection refused or dropped"
        elif isinstance(exc, requests.exceptions.ChunkedEncodingError):
            detail = "connection dropped in the middle of the answer"
        elif isinstance(
            exc,
            (
                requests.exceptions.InvalidURL,
                requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema,
                requests.exceptions.InvalidHeader,
                requests.exceptions.URLRequired,
                urllib3.exceptions.LocationValueError,
                ValueError,
            ),
        ):
            # The URL or the credentials cannot even be sent: our settings, not worth retrying.
            return DimailConfigError(
                f"the request could not be built ({name}): check DIMAIL_URL and DIMAIL_USER",
                None,
                method,
                path,
            )
        elif isinstance(exc, requests.exceptions.ContentDecodingError):
            return DimailBadAnswer(
                "the answer could not be decoded (bad compression)", None, method, path
            )
        else:
            # Something in between failed in a way nobody planned for: worth another try, and
            # the job's last retry records it in plain words.
            detail = f"the request failed ({name})"
        return DimailUnavailable(detail, None, method, path)

    def _error(self, response, method: str, path: str, route: Route) -> DimailError:
        """Map a non-2xx answer (auth refusals aside) to the type that tells the caller what
        to do."""
        status = response.status_code
        detail = _describe(response)
        args = (detail, status, method, path)
        if status >= 500 or status in TRANSIENT_4XX:
            return DimailUnavailable(*args)
        missing_route = status == 405 or (status == 404 and _is_generic_404(response))
        if route.current_only and missing_route:
            return DimailNotSupported(
                f"{route.what} is not available on this mail platform (dimail: {detail})",
                status,
                method,
                path,
            )
        if status == 404:
            return DimailNotFound(*args)
        if status == 409:
            return DimailConflict(*args)
        if status in (401, 403):
            return DimailAuthError(*args)
        if 400 <= status < 500:
            return DimailRejected(*args)
        return DimailBadAnswer(f"unexpected answer: {detail}", status, method, path)

    def _no_grant(self, response, method, path, route: Route, domain: str | None) -> DimailError:
        """A 401/403 while our credentials demonstrably work: a matter of rights, not of
        credentials. Say which rights, so that nobody hunts for a wrong password."""
        detail = _describe(response)
        if domain is not None:
            text = (
                f"this application's dimail account ({self.user}) has no rights on the domain "
                f"{domain}: it probably exists in dimail under another account (dimail: {detail})"
            )
        else:
            text = (
                f"this application's dimail account ({self.user}) may not {route.what}: it is "
                f"not a dimail admin and lacks that permission (dimail: {detail})"
            )
        return DimailNoGrant(text, response.status_code, method, path)

    def _refusal(self, response, method, path, route: Route, domain: str | None) -> DimailError:
        """A 401/403 on a Basic route: asking for a token tells bad credentials (the token
        call raises DimailAuthError) from missing rights (it works)."""
        if route is ROUTES["token"]:
            return self._error(response, method, path, route)
        self._drop_token(self._token)
        self._get_token()
        return self._no_grant(response, method, path, route, domain)

    def _basic_call(self, method, route: Route, path, domain, json=None, params=None):
        response = self._send(method, path, self._basic, json=json, params=params)
        if response.status_code in (401, 403):
            raise self._refusal(response, method, path, route, domain)
        return response

    def _bearer_call(self, method, route: Route, path, domain, json=None, params=None):
        token = self._get_token()
        response = self._send(method, path, _BearerAuth(token), json=json, params=params)
        if response.status_code in (401, 403):
            # The token may have been revoked or the server restarted with a new key: once more.
            self._drop_token(token)
            token = self._get_token()
            response = self._send(method, path, _BearerAuth(token), json=json, params=params)
        if response.status_code in (401, 403):
            if _json_detail(response)[1] == BAD_TOKEN:
                # A token fetched a moment ago is refused as such: platform-wide, not this domain.
                raise DimailAuthError(_describe(response), response.status_code, method, path)
            raise self._no_grant(response, method, path, route, domain)
        return response

    def _call(
        self,
        method: str,
        name: str,
        *,
        expect: type | None = dict,
        json=None,
        params=None,
        **segments: str,
    ) -> Any:
        """Call the route `name` of ROUTES; the parsed answer, checked to be what it promises
        (`expect`: dict, list, or None when the body does not matter)."""
        route = ROUTES[name]
        path = route.path(**segments)
        call = self._basic_call if route.auth == "basic" else self._bearer_call
        response = call(method, route, path, segments.get("domain"), json=json, params=params)
        if not 200 <= response.status_code < 300:
            raise self._error(response, method, path, route)
        if expect is None:
            return None
        return self._parse(response, expect, method, path)

    @staticmethod
    def _parse(response, expect: type, method: str, path: str) -> Any:
        try:
            data = response.json()
        except ValueError:
            data = ValueError
        kind = {dict: "a JSON object", list: "a JSON list"}[expect]
        wrong = data is ValueError or not isinstance(data, Mapping if expect is dict else list)
        if not wrong and expect is list:
            wrong = not all(isinstance(item, Mapping) for item in data)
        if wrong:
            # A 2xx that is not what the route promises (a proxy's page, another service):
            # the same call would get the same, so it is not worth retrying.
            found = _body_start(response) or "an empty body"
            raise DimailBadAnswer(
                f"dimail's answer is not {kind} as expected: {found}",
                response.status_code,
                method,
                path,
            )
        return data

    # ----------------------------------------------------------------- token

    def _get_token(self) -> str:
        with self._token_lock:
            if self._token and self._clock() < self._token_valid_until:
                return self._token
            self._token = None
            data = self._call("GET", "token")
            token = data.get("access_token")
            if not isinstance(token, str) or not token:
                raise DimailBadAnswer("no access_token in the answer", 200, "GET", "/token/")
            self._token = token
            self._token_valid_until = self._valid_until(token)
            return token

    def _valid_until(self, token: str) -> float:
        # The signature is dimail's business; we only read `exp` to know when to ask again.
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
            exp = float(claims["exp"])
        except (jwt.PyJWTError, KeyError, TypeError, ValueError):
            return self._clock() + TOKEN_DEFAULT_LIFETIME_SECONDS
        return exp - TOKEN_MARGIN_SECONDS

    def _drop_token(self, token: str | None) -> None:
        with self._token_lock:
            # Another thread may already have replaced it with a good one: keep that.
            if self._token == token:
                self._token = None

    # ----------------------------------------------------------------- admin

    def create_user(self, name: str, password: str, is_admin: bool = False) -> dict:
        """Create a dimail account (admin; development set-up). 409: DimailConflict."""
        body = {"name": name, "password": password, "is_admin": bool(is_admin)}
        return self._call("POST", "users", json=body)

    def allow_domain(self, domain: str, user: str | None = None) -> bool:
        """Grant `user` (this application's account by default) the domain: True when
        granted now, False when it already was."""
        body = {"user": user or self.user, "domain": domain}
        try:
            self._call("POST", "allows", json=body)
        except DimailConflict:
            return False
        return True

    def _grant_self(self, domain: str) -> None:
        """A non-admin account must grant itself a domain it creates before any other call on
        it; an admin needs no grant and may be refused one, which is fine."""
        route = ROUTES["allows"]
        body = {"user": self.user, "domain": domain}
        response = self._send("POST", route.template, self._basic, json=body)
        status = response.status_code
        if 200 <= status < 300 or status == 409:
            return
        if status in (401, 403):
            # Without the right to grant, a later call on the domain says DimailNoGrant.
            log.debug("dimail refused to grant %s to %s: %s", domain, self.user, status)
            return
        error = self._error(response, "POST", route.template, route)
        if isinstance(error, DimailUnavailable):
            raise error  # the job retries; the creation then answers 409 and grants again
        log.warning("dimail did not grant %s to %s: %s", domain, self.user, error)

    # ----------------------------------------------------------------- domains

    def create_domain(
        self,
        name: str,
        context_name: str | None = None,
        features: Iterable[str] = DEFAULT_FEATURES,
    ) -> dict:
        """Create the domain in its own Open-XChange context (named after it by default), then
        grant it to our own account. 409: DimailConflict when the domain already exists (also
        granted first) or is mapped to another context (`context_name` says which); other
        409s (a feature without its context...) are plain refusals."""
        body = {
            "name": name,
            "features": list(features),
            "context_name": context_name or name,
            "delivery": "virtual",  # older servers ignore it
        }
        try:
            created = self._call("POST", "domains", json=body)
        except DimailConflict as exc:
            raise self._creation_conflict(exc, name) from None
        self._grant_self(name)
        return created

    def _creation_conflict(self, exc: DimailConflict, name: str) -> DimailRejected:
        mapped = _CONTEXT_CONFLICT.search(exc.detail or "")
        if mapped:
            exc.context_name = mapped.group(1).rstrip(".")
            return exc
        if "already exist" in (exc.detail or "").lower():
            self._grant_self(name)
            return exc
        # Not "it is there already": retrying with the same body cannot help.
        return DimailRejected(exc.detail, exc.status, exc.method, exc.path)

    def get_domain(self, name: str) -> dict:
        return self._call("GET", "domain", domain=name)

    def list_domains(self) -> list[dict]:
        return self._call("GET", "domains", expect=list)

    def check_domain(self, name: str) -> dict:
        """Run dimail's checks (DNS and platform side); current servers only. Read the answer
        with webapp.dimail.checks.read_checks."""
        return self._call("GET", "domain_check", domain=name)

    def fix_domain(self, name: str) -> dict:
        """Let dimail repair its own side, then report like check_domain; current servers only."""
        return self._call("GET", "domain_fix", domain=name)

    def domain_spec(self, name: str) -> list[dict]:
        """The DNS records the domain's owner must publish, types in upper case; current
        servers only."""
        records = self._call("GET", "domain_spec", expect=list, domain=name)
        return [_record(r) for r in records]

    # ----------------------------------------------------------------- mailboxes

    def create_mailbox(
        self, domain: str, local_part: str, given_name: str, sur_name: str, display_name: str
    ) -> dict:
        """Create the mailbox; the answer holds the generated password, shown only this once."""
        body = {"givenName": given_name, "surName": sur_name, "displayName": display_name}
        return self._call("POST", "mailbox", json=body, domain=domain, local_part=local_part)

    def list_mailboxes(self, domain: str) -> list[dict]:
        return self._call("GET", "mailboxes", expect=list, domain=domain)

    def list_mailboxes_v2(self, domain: str) -> list[dict]:
        """Mailboxes with their `active` flag and features; current servers only."""
        return self._call("GET", "mailboxes_v2", expect=list, domain=domain)

    def get_mailbox(self, domain: str, local_part: str) -> dict:
        return self._call("GET", "mailbox", domain=domain, local_part=local_part)

    def delete_mailbox(self, domain: str, local_part: str) -> bool:
        """True when deleted, False when it was already absent."""
        try:
            self._call("DELETE", "mailbox", expect=None, domain=domain, local_part=local_part)
        except DimailNotFound:
            return False
        return True

    def can_set_active(self) -> bool:
        """Whether this dimail can disable and enable mailboxes. Older builds answer PATCH
        `active` with 200 and change nothing; they also lack the /v2/ routes, which a current
        server has: ask one of them about a domain that cannot exist. Asked once per client."""
        if self._can_set_active is None:
            self._can_set_active = self._has_v2_routes()
        return self._can_set_active

    def _has_v2_routes(self) -> bool:
        route = ROUTES["mailboxes_v2"]
        path = route.path(domain=PROBE_DOMAIN)
        response = self._send("GET", path, _BearerAuth(self._get_token()))
        status = response.status_code
        if status == 405 or (status == 404 and _is_generic_404(response)):
            return False
        if status in (401, 403, 404) or 200 <= status < 300:
            return True  # the route exists: only the domain is unknown or not ours
        raise self._error(response, "GET", path, route)

    def update_mailbox(self, domain: str, local_part: str, **fields) -> dict:
        """PATCH with dimail's field names; unknown names are refused here because dimail
        would silently ignore them (and renaming is not possible anyway). Setting `active`
        on a server that would ignore it raises DimailNotSupported instead of pretending."""
        unknown = set(fields) - MAILBOX_FIELDS
        if unknown:
            raise TypeError(f"update_mailbox() got unknown fields: {', '.join(sorted(unknown))}")
        if isinstance(fields.get("active"), bool):
            fields["active"] = "yes" if fields["active"] else "no"
        if "active" in fields and not self.can_set_active():
            action = "enable" if read_bool(fields["active"]) else "disable"
            raise DimailNotSupported(
                f"this mail platform cannot {action} mailboxes",
                None,
                "PATCH",
                ROUTES["mailbox"].path(domain=domain, local_part=local_part),
            )
        return self._call("PATCH", "mailbox", json=fields, domain=domain, local_part=local_part)

    def disable_mailbox(self, domain: str, local_part: str) -> dict:
        """DimailNotSupported on servers that cannot disable mailboxes."""
        return self.update_mailbox(domain, local_part, active="no")

    def enable_mailbox(
        self, domain: str, local_part: str, given_name: str, sur_name: str, display_name: str
    ) -> dict:
        """Re-enable a mailbox; DimailNotSupported on servers that cannot."""
        return self.update_mailbox(
            domain,
            local_part,
            active="yes",
            givenName=given_name,
            surName=sur_name,
            displayName=display_name,
        )

    def reset_password(self, domain: str, local_part: str) -> dict:
        """A new generated password {email, password}; current servers only."""
        answer = self._call("POST", "reset_password", domain=domain, local_part=local_part)
        return _require(answer, "password", "POST", ROUTES["reset_password"], domain, local_part)

    def login_code(
        self, domain: str, local_part: str, expires_in: int = 3600, maxuse: int = 3
    ) -> dict:
        """A one-time webmail login code; current servers only."""
        body = {"expires_in": expires_in, "maxuse": maxuse}
        answer = self._call("POST", "login_code", json=body, domain=domain, local_part=local_part)
        return _require(answer, "code", "POST", ROUTES["login_code"], domain, local_part)

    def probe_address(self, domain: str, local_part: str) -> AddressProbe | None:
        """What dimail knows of an address, or None when it knows nothing of it; current
        servers only. Used after a plain-text 500 on mailbox creation: see AddressProbe.verdict."""
        try:
            answer = self._call("GET", "address", domain=domain, local_part=local_part)
        except DimailNotFound:
            return None
        return AddressProbe.from_answer(answer, domain, local_part)

    # ----------------------------------------------------------------- aliases

    def create_alias(self, domain: str, user_name: str, destination: str) -> dict:
        """201 on current servers, 200 on older ones: both mean created."""
        body = {"user_name": user_name, "destination": destination}
        return self._call("POST", "aliases", json=body, domain=domain)

    def list_aliases(
        self, domain: str, user_name: str | None = None, destination: str | None = None
    ) -> list[dict]:
        params = {"user_name": user_name, "destination": destination}
        params = {k: v for k, v in params.items() if v is not None}
        try:
            return self._call("GET", "aliases", expect=list, params=params or None, domain=domain)
        except DimailNotFound:
            # dimail answers an exact (user_name, destination) lookup that matches nothing with
            # 404 rather than an empty list.
            if user_name is not None and destination is not None:
                return []
            raise

    def delete_alias(self, domain: str, user_name: str, destination: str) -> bool:
        """True when deleted, False when it was already absent."""
        try:
            self._call(
                "DELETE",
                "alias",
                expect=None,
                domain=domain,
                local_part=user_name,
                destination=destination,
            )
        except DimailNotFound:
            return False
        return True

    def delete_all_aliases(self, domain: str, user_name: str) -> None:
        """Remove every destination of `user_name`, whichever server generation answers."""
        try:
            self._call("DELETE", "all_aliases", expect=None, domain=domain, local_part=user_name)
            return
        except DimailNotFound:
            pass
        # 404 means either "there was none" or a server that takes "all" as a literal
        # destination: look, and delete one by one whatever is left.
        try:
            remaining = self.list_aliases(domain, user_name)
        except DimailNotFound:
            return
        for alias in remaining:
            self.delete_alias(domain, user_name, alias["destination"])


def _record(record: Mapping) -> dict:
    """A spec record with its type in upper case (current servers send "mx", "txt"...)."""
    return {
        **record,
        "target": str(record.get("target") or ""),
        "type": str(record.get("type") or "").upper(),
        "value": str(record.get("value") or ""),
    }


def _require(answer: dict, key: str, method: str, route: Route, domain, local_part) -> dict:
    if not answer.get(key):
        raise DimailBadAnswer(
            f"dimail's answer has no {key}",
            200,
            method,
            route.path(domain=domain, local_part=local_part),
        )
    return answer
