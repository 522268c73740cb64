"""The errors the dimail client raises; their type tells the caller what to do (see client.py)."""

from __future__ import annotations

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
