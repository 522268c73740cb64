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
from collections.abc import Iterable

from webapp.dimail.answers import AddressProbe, is_generic_404, require, spec_record
from webapp.dimail.checks import read_bool
from webapp.dimail.errors import (
    ERROR_CLASSES,
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
    CONTEXT_CONFLICT,
    DEFAULT_FEATURES,
    MAILBOX_FIELDS,
    PROBE_DOMAIN,
    ROUTES,
)
from webapp.dimail.settings import BearerAuth, check_base_url
from webapp.dimail.transport import DimailTransport

log = logging.getLogger("webapp.dimail")

# The client's interface: callers import errors and the probe from here.
__all__ = [
    "ERROR_CLASSES",
    "AddressProbe",
    "DimailAuthError",
    "DimailBadAnswer",
    "DimailClient",
    "DimailConfigError",
    "DimailConflict",
    "DimailError",
    "DimailNoGrant",
    "DimailNotFound",
    "DimailNotSupported",
    "DimailRejected",
    "DimailUnavailable",
    "check_base_url",
]


class DimailClient(DimailTransport):
    """One client per process (or per worker thread pool): it keeps a pooled session and a token."""

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
        mapped = CONTEXT_CONFLICT.search(exc.detail or "")
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
        return [spec_record(r) for r in records]

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
        response = self._send("GET", path, BearerAuth(self._get_token()))
        status = response.status_code
        if status == 405 or (status == 404 and is_generic_404(response)):
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
        return require(answer, "password", "POST", ROUTES["reset_password"], domain, local_part)

    def login_code(
        self, domain: str, local_part: str, expires_in: int = 3600, maxuse: int = 3
    ) -> dict:
        """A one-time webmail login code; current servers only."""
        body = {"expires_in": expires_in, "maxuse": maxuse}
        answer = self._call("POST", "login_code", json=body, domain=domain, local_part=local_part)
        return require(answer, "code", "POST", ROUTES["login_code"], domain, local_part)

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
