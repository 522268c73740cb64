"""HTTP client for the dimail provisioning API (see DIMAIL.md for the contract).

Every failure comes out as a `DimailError` subclass whose type tells the caller what to do:
`DimailUnavailable` is worth retrying later, `DimailRejected` (and its `DimailNotFound` and
`DimailConflict` children) will fail the same way again, `DimailNotSupported` means this dimail
is an older build without the route, and `DimailAuthError` means our own credentials are wrong.
The client never retries on its own, except one token refresh: retries belong to the job queue.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

import jwt
import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase, HTTPBasicAuth

log = logging.getLogger("webapp.dimail")

# Refresh the token this long before its `exp`, so that it never expires in flight.
TOKEN_MARGIN_SECONDS = 60
# How long to keep a token that carries no readable `exp`.
TOKEN_DEFAULT_LIFETIME_SECONDS = 300
# What FastAPI answers for a route it does not have; any other 404 detail names a missing object.
GENERIC_NOT_FOUND = "Not Found"
# Statuses that are the proxy's way of saying "later", not a verdict on the request.
TRANSIENT_4XX = frozenset({408, 429})
DETAIL_MAX_CHARS = 200

DEFAULT_FEATURES = ("webmail", "mailbox", "alias")
MAILBOX_FIELDS = frozenset({"givenName", "surName", "displayName", "active"})


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
        # Keep status, method and path when a job queue pickles the exception.
        return (type(self), (self.detail, self.status, self.method, self.path))


class DimailUnavailable(DimailError):
    """Transient: dimail was unreachable, too slow, or failed on its side (5xx)."""


class DimailRejected(DimailError):
    """Permanent: dimail refused the request; sending it again will not help."""


class DimailNotFound(DimailRejected):
    """The domain, mailbox or alias named in the path does not exist in dimail."""


class DimailConflict(DimailRejected):
    """The object already exists (409)."""


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
        self.base_url = base_url.rstrip("/")
        self.user = user
        self._basic = HTTPBasicAuth(user, password)
        self.timeout = float(timeout)
        self.connect_timeout = float(connect_timeout or min(self.timeout, 5.0))
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

    @classmethod
    def from_config(cls, config: Mapping) -> DimailClient:
        missing = [k for k in ("DIMAIL_URL", "DIMAIL_USER", "DIMAIL_PASSWORD") if not config.get(k)]
        if missing:
            raise ValueError(f"dimail is not configured: missing {', '.join(missing)}")
        connect = config.get("DIMAIL_CONNECT_TIMEOUT")
        return cls(
            config["DIMAIL_URL"],
            config["DIMAIL_USER"],
            config["DIMAIL_PASSWORD"],
            timeout=float(config.get("DIMAIL_TIMEOUT") or 10.0),
            connect_timeout=float(connect) if connect else None,
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
        """One HTTP request, counted and logged; transport failures become DimailUnavailable."""
        with self._calls_lock:
            self.calls += 1
        started = time.perf_counter()
        try:
            response = self._session.request(
                method,
                self.base_url + path,
                json=json,
                params=params,
                auth=auth,
                timeout=(self.connect_timeout, self.timeout),
                # A redirect means a wrong URL; following it could carry credentials elsewhere.
                allow_redirects=False,
            )
        except requests.RequestException as exc:
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
        else:
            # Invalid URL and the like: a configuration problem, not worth retrying.
            return DimailError(f"request failed: {type(exc).__name__}", None, method, path)
        return DimailUnavailable(detail, None, method, path)

    def _error(self, response, method: str, path: str, current_only: bool) -> DimailError:
        """Map a non-2xx answer to the exception type that tells the caller what to do."""
        status = response.status_code
        detail = _describe(response)
        args = (detail, status, method, path)
        if status >= 500 or status in TRANSIENT_4XX:
            return DimailUnavailable(*args)
        if status in (401, 403):
            return DimailAuthError(*args)
        if current_only and (status == 405 or (status == 404 and self._is_generic_404(response))):
            return DimailNotSupported(*args)
        if status == 404:
            return DimailNotFound(*args)
        if status == 409:
            return DimailConflict(*args)
        if 400 <= status < 500:
            return DimailRejected(*args)
        location = response.headers.get("Location", "")
        return DimailError(f"unexpected answer {location}".strip(), status, method, path)

    @staticmethod
    def _is_generic_404(response) -> bool:
        # Route missing (older server, or a proxy page) rather than a named object missing.
        has_detail, detail = _json_detail(response)
        return not has_detail or detail == GENERIC_NOT_FOUND

    def _basic_call(self, method, path, json=None, params=None, current_only=False):
        response = self._send(method, path, self._basic, json=json, params=params)
        if not 200 <= response.status_code < 300:
            raise self._error(response, method, path, current_only)
        return response

    def _bearer_call(self, method, path, json=None, params=None, current_only=False):
        token = self._get_token()
        response = self._send(method, path, _BearerAuth(token), json=json, params=params)
        if response.status_code in (401, 403):
            # The token may have been revoked or the server restarted with a new key: once more.
            self._drop_token(token)
            token = self._get_token()
            response = self._send(method, path, _BearerAuth(token), json=json, params=params)
        if not 200 <= response.status_code < 300:
            raise self._error(response, method, path, current_only)
        return response

    @staticmethod
    def _json(response, method: str, path: str) -> Any:
        try:
            return response.json()
        except ValueError:
            # A 2xx that is not JSON comes from something in front of dimail (maintenance page).
            raise DimailUnavailable(
                f"answer is not JSON: {_body_start(response) or 'empty body'}",
                response.status_code,
                method,
                path,
            ) from None

    # ----------------------------------------------------------------- token

    def _get_token(self) -> str:
        with self._token_lock:
            if self._token and self._clock() < self._token_valid_until:
                return self._token
            self._token = None
            response = self._basic_call("GET", "/token/")
            data = self._json(response, "GET", "/token/")
            token = data.get("access_token") if isinstance(data, Mapping) else None
            if not isinstance(token, str) or not token:
                raise DimailUnavailable("no access_token in the answer", 200, "GET", "/token/")
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

    def _drop_token(self, token: str) -> None:
        with self._token_lock:
            # Another thread may already have replaced it with a good one: keep that.
            if self._token == token:
                self._token = None

    # ----------------------------------------------------------------- domains

    def create_domain(
        self,
        name: str,
        context_name: str | None = None,
        features: Iterable[str] = DEFAULT_FEATURES,
    ) -> dict:
        """Create the domain in its own Open-XChange context (named after it by default)."""
        body = {
            "name": name,
            "features": list(features),
            "context_name": context_name or name,
            "delivery": "virtual",  # older servers ignore it
        }
        response = self._basic_call("POST", "/domains/", json=body)
        return self._json(response, "POST", "/domains/")

    def get_domain(self, name: str) -> dict:
        path = f"/domains/{_segment(name)}"
        return self._json(self._bearer_call("GET", path), "GET", path)

    def list_domains(self) -> list[dict]:
        return self._json(self._basic_call("GET", "/domains/"), "GET", "/domains/")

    def _domain_report(self, name: str, action: str):
        path = f"/domains/{_segment(name)}/{action}/"
        response = self._basic_call("GET", path, current_only=True)
        return self._json(response, "GET", path)

    def check_domain(self, name: str) -> dict:
        """Run dimail's checks (DNS and platform side); current servers only."""
        return self._domain_report(name, "check")

    def fix_domain(self, name: str) -> dict:
        """Let dimail repair its own side, then report like check_domain; current servers only."""
        return self._domain_report(name, "fix")

    def domain_spec(self, name: str) -> list[dict]:
        """The DNS records the domain's owner must publish; current servers only."""
        return self._domain_report(name, "spec")

    # ----------------------------------------------------------------- mailboxes

    @staticmethod
    def _mailbox_path(domain: str, local_part: str) -> str:
        return f"/domains/{_segment(domain)}/mailboxes/{_segment(local_part)}"

    def create_mailbox(
        self, domain: str, local_part: str, given_name: str, sur_name: str, display_name: str
    ) -> dict:
        """Create the mailbox; the answer holds the generated password, shown only this once."""
        path = self._mailbox_path(domain, local_part)
        body = {"givenName": given_name, "surName": sur_name, "displayName": display_name}
        return self._json(self._bearer_call("POST", path, json=body), "POST", path)

    def list_mailboxes(self, domain: str) -> list[dict]:
        path = f"/domains/{_segment(domain)}/mailboxes/"
        return self._json(self._bearer_call("GET", path), "GET", path)

    def list_mailboxes_v2(self, domain: str) -> list[dict]:
        """Mailboxes with their `active` flag and features; current servers only."""
        path = f"/v2/domains/{_segment(domain)}/mailboxes/"
        return self._json(self._bearer_call("GET", path, current_only=True), "GET", path)

    def get_mailbox(self, domain: str, local_part: str) -> dict:
        path = self._mailbox_path(domain, local_part)
        return self._json(self._bearer_call("GET", path), "GET", path)

    def update_mailbox(self, domain: str, local_part: str, **fields) -> dict:
        """PATCH with dimail's field names; unknown names are refused here because dimail
        would silently ignore them (and renaming is not possible anyway)."""
        unknown = set(fields) - MAILBOX_FIELDS
        if unknown:
            raise TypeError(f"update_mailbox() got unknown fields: {', '.join(sorted(unknown))}")
        if isinstance(fields.get("active"), bool):
            fields["active"] = "yes" if fields["active"] else "no"
        path = self._mailbox_path(domain, local_part)
        return self._json(self._bearer_call("PATCH", path, json=fields), "PATCH", path)

    def disable_mailbox(self, domain: str, local_part: str) -> dict:
        return self.update_mailbox(domain, local_part, active="no")

    def enable_mailbox(
        self, domain: str, local_part: str, given_name: str, sur_name: str, display_name: str
    ) -> dict:
        """Re-enable a mailbox; older servers answer 200 without changing anything."""
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
        path = self._mailbox_path(domain, local_part) + "/reset_password/"
        return self._json(self._bearer_call("POST", path, current_only=True), "POST", path)

    def login_code(
        self, domain: str, local_part: str, expires_in: int = 3600, maxuse: int = 3
    ) -> dict:
        """A one-time webmail login code; current servers only."""
        path = self._mailbox_path(domain, local_part) + "/code"
        body = {"expires_in": expires_in, "maxuse": maxuse}
        return self._json(
            self._bearer_call("POST", path, json=body, current_only=True), "POST", path
        )

    def probe_address(self, domain: str, local_part: str) -> dict | None:
        """What dimail knows of an address, or None when it does not exist; current servers
        only. Used after a plain-text 500 on mailbox creation to tell a duplicate apart."""
        path = f"/domains/{_segment(domain)}/address/{_segment(local_part)}/"
        try:
            response = self._bearer_call("GET", path, current_only=True)
        except DimailNotFound:
            return None
        return self._json(response, "GET", path)

    # ----------------------------------------------------------------- aliases

    def create_alias(self, domain: str, user_name: str, destination: str) -> dict:
        """201 on current servers, 200 on older ones: both mean created."""
        path = f"/domains/{_segment(domain)}/aliases/"
        body = {"user_name": user_name, "destination": destination}
        return self._json(self._bearer_call("POST", path, json=body), "POST", path)

    def list_aliases(
        self, domain: str, user_name: str | None = None, destination: str | None = None
    ) -> list[dict]:
        path = f"/domains/{_segment(domain)}/aliases/"
        params = {"user_name": user_name, "destination": destination}
        params = {k: v for k, v in params.items() if v is not None}
        try:
            response = self._bearer_call("GET", path, params=params or None)
        except DimailNotFound:
            # dimail answers an exact (user_name, destination) lookup that matches nothing with
            # 404 rather than an empty list.
            if user_name is not None and destination is not None:
                return []
            raise
        return self._json(response, "GET", path)

    def delete_alias(self, domain: str, user_name: str, destination: str) -> bool:
        """True when deleted, False when it was already absent."""
        path = f"/domains/{_segment(domain)}/aliases/{_segment(user_name)}/{_segment(destination)}"
        try:
            self._bearer_call("DELETE", path)
        except DimailNotFound:
            return False
        return True

    def delete_all_aliases(self, domain: str, user_name: str) -> None:
        """Remove every destination of `user_name`, whichever server generation answers."""
        path = f"/domains/{_segment(domain)}/aliases/{_segment(user_name)}/all"
        try:
            self._bearer_call("DELETE", path)
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
