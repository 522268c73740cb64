"""How the dimail client talks HTTP: one pooled session, tokens, redirects, and the
translation of every failure into a DimailError."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import jwt
import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase, HTTPBasicAuth

from webapp.dimail.answers import body_start, describe, is_generic_404, json_detail, seconds_text
from webapp.dimail.errors import (
    DimailAuthError,
    DimailBadAnswer,
    DimailConfigError,
    DimailConflict,
    DimailError,
    DimailNoGrant,
    DimailNotFound,
    DimailNotSupported,
    DimailRejected,
    DimailUnavailable,
)
from webapp.dimail.routes import (
    BAD_TOKEN,
    FOLLOWED_REDIRECTS,
    ROUTES,
    TOKEN_DEFAULT_LIFETIME_SECONDS,
    TOKEN_MARGIN_SECONDS,
    TRANSIENT_4XX,
    Route,
)
from webapp.dimail.settings import BearerAuth, check_base_url, origin, positive_seconds
from webapp.messages import say

log = logging.getLogger("webapp.dimail")


class DimailTransport:
    """The HTTP half of the client: one pooled session and a token per process."""

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
        self.timeout = positive_seconds(timeout, "DIMAIL_TIMEOUT")
        if connect_timeout:
            self.connect_timeout = positive_seconds(connect_timeout, "DIMAIL_CONNECT_TIMEOUT")
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
    def from_config(cls, config: Mapping) -> DimailTransport:
        missing = [k for k in ("DIMAIL_URL", "DIMAIL_USER", "DIMAIL_PASSWORD") if not config.get(k)]
        if missing:
            raise DimailConfigError(f"dimail is not configured: missing {', '.join(missing)}")
        connect = config.get("DIMAIL_CONNECT_TIMEOUT")
        return cls(
            config["DIMAIL_URL"],
            config["DIMAIL_USER"],
            config["DIMAIL_PASSWORD"],
            timeout=positive_seconds(config.get("DIMAIL_TIMEOUT") or 10.0, "DIMAIL_TIMEOUT"),
            connect_timeout=positive_seconds(connect, "DIMAIL_CONNECT_TIMEOUT")
            if connect
            else None,
        )

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> DimailTransport:
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
        if origin(target) != origin(self.base_url):
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
        # The log keeps the English detail; pages show the same cause as a message.
        if isinstance(exc, requests.ConnectTimeout):
            seconds = seconds_text(self.connect_timeout)
            detail, said = (
                f"connection timed out after {seconds}",
                say("detail.connect_timeout", seconds=seconds),
            )
        elif isinstance(exc, requests.Timeout):
            seconds = seconds_text(self.timeout)
            detail, said = f"timed out after {seconds}", say("detail.timeout", seconds=seconds)
        elif isinstance(exc, requests.exceptions.SSLError):
            detail, said = "TLS handshake failed", say("detail.tls")
        elif isinstance(exc, requests.ConnectionError):
            detail, said = "connection refused or dropped", say("detail.no_connection")
        elif isinstance(exc, requests.exceptions.ChunkedEncodingError):
            detail, said = "connection dropped in the middle of the answer", say("detail.dropped")
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
            detail, said = f"the request failed ({name})", say("detail.request_failed")
        error = DimailUnavailable(detail, None, method, path)
        error.detail_said = said
        return error

    def _error(self, response, method: str, path: str, route: Route) -> DimailError:
        """Map a non-2xx answer (auth refusals aside) to the type that tells the caller what
        to do."""
        status = response.status_code
        detail = describe(response)
        args = (detail, status, method, path)
        if status >= 500 or status in TRANSIENT_4XX:
            return DimailUnavailable(*args)
        missing_route = status == 405 or (status == 404 and is_generic_404(response))
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
        detail = describe(response)
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
        response = self._send(method, path, BearerAuth(token), json=json, params=params)
        if response.status_code in (401, 403):
            # The token may have been revoked or the server restarted with a new key: once more.
            self._drop_token(token)
            token = self._get_token()
            response = self._send(method, path, BearerAuth(token), json=json, params=params)
        if response.status_code in (401, 403):
            if json_detail(response)[1] == BAD_TOKEN:
                # A token fetched a moment ago is refused as such: platform-wide, not this domain.
                raise DimailAuthError(describe(response), response.status_code, method, path)
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
            found = body_start(response) or "an empty body"
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
