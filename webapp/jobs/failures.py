"""What a failed job tells the person: every error a job can meet, in plain words, decided once.

The job wrapper (`webapp.jobs.context.job`) catches whatever a job raises and asks `describe`
what it means: worth retrying or not, and the sentence the object's page shows. The job's own
recorder then writes that sentence on its row (and clears its "to sync" mark when no retry
is left), so that nothing stays "syncing" without a reason on its page.
"""

from __future__ import annotations

import enum
import smtplib
from dataclasses import dataclass

from webapp.dimail.client import (
    DimailAuthError,
    DimailBadAnswer,
    DimailConfigError,
    DimailConflict,
    DimailError,
    DimailNoGrant,
    DimailNotSupported,
    DimailRejected,
    DimailUnavailable,
)


class Kind(enum.StrEnum):
    UNREACHABLE = "unreachable"
    CREDENTIALS = "credentials"
    NO_GRANT = "no_grant"
    REFUSED = "refused"
    NOT_SUPPORTED = "not_supported"
    BAD_ANSWER = "bad_answer"
    SETTINGS = "settings"
    MAIL_DOWN = "mail_down"
    MAIL_REFUSED = "mail_refused"
    UNEXPECTED = "unexpected"


class RetryLater(Exception):  # noqa: N818 - it is an instruction, not an error
    """Not a failure: the work cannot start yet (another job holds the object). RQ tries the
    job again; nothing is shown to the person."""


# Transient causes are retried by RQ; the others fail the object at once.
_TRANSIENT = frozenset({Kind.UNREACHABLE, Kind.CREDENTIALS, Kind.MAIL_DOWN, Kind.UNEXPECTED})

_RETRYING = " It is tried again automatically."
_GIVEN_UP = " It was tried several times; {again} once the cause is gone."
# Unsent emails are queued again by the reconciler, whatever their job's tries.
_LATER = " It is tried again automatically, every few minutes."


@dataclass(frozen=True)
class Failure:
    kind: Kind
    cause: str  # the sentence without what happens next
    final: bool  # no retry follows: the object is failed or left for a person to retry
    again: str = "press Retry"  # what the person does then, on that page

    @property
    def transient(self) -> bool:
        return self.kind in _TRANSIENT

    @property
    def reason(self) -> str:
        """The whole sentence for the object's page."""
        if not self.transient:
            return self.cause
        if not self.final:
            return self.cause + _RETRYING
        if self.kind == Kind.MAIL_DOWN:
            return self.cause + _LATER
        return self.cause + _GIVEN_UP.format(again=self.again)


def _detail(exc: DimailError) -> str:
    return exc.detail or (f"HTTP {exc.status}" if exc.status else type(exc).__name__)


def kind_of(exc: BaseException) -> Kind:
    # Subclasses before their parents: DimailNoGrant and DimailBadAnswer are DimailRejected.
    for cls, kind in (
        (DimailUnavailable, Kind.UNREACHABLE),
        (DimailAuthError, Kind.CREDENTIALS),
        (DimailNoGrant, Kind.NO_GRANT),
        (DimailBadAnswer, Kind.BAD_ANSWER),
        (DimailRejected, Kind.REFUSED),
        (DimailNotSupported, Kind.NOT_SUPPORTED),
        (DimailConfigError, Kind.SETTINGS),
    ):
        if isinstance(exc, cls):
            return kind
    if isinstance(exc, DimailError):
        return Kind.BAD_ANSWER  # a dimail failure nobody classified: the same call fails again
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return Kind.MAIL_REFUSED
    if isinstance(exc, smtplib.SMTPException | OSError):
        return Kind.MAIL_DOWN  # the mail server is down or answered "later"
    return Kind.UNEXPECTED


def cause_of(exc: BaseException, kind: Kind, what: str, feature: str | None = None) -> str:
    """`what` names the work in a few words ("the creation of jane@example.fr"); `feature`
    what an older dimail may lack ("password resets")."""
    if kind == Kind.UNREACHABLE:
        return f"The mail platform could not be reached for {what} ({_detail(exc)})."
    if kind == Kind.CREDENTIALS:
        return (
            f"This application could not log in to the mail platform for {what}: dimail "
            "refused its credentials. The platform's staff must check DIMAIL_USER and "
            "DIMAIL_PASSWORD."
        )
    if kind == Kind.NO_GRANT:
        return (
            f"This application's dimail account has no rights on this domain, so {what} "
            "could not be done. The domain probably exists in dimail under another account: "
            "the platform's staff must grant it to this application's account."
        )
    if kind == Kind.NOT_SUPPORTED:
        return f"This mail platform (an older dimail) does not offer {feature or what}."
    if kind == Kind.BAD_ANSWER:
        return (
            f"The mail platform gave an answer this application cannot use for {what} "
            f"({_detail(exc)}). The platform's staff can find the details in the log."
        )
    if kind == Kind.SETTINGS:
        return f"This application's dimail settings are wrong ({_detail(exc)})."
    if kind == Kind.REFUSED:
        return f"dimail refused {what}: {conflict_words(exc) or _detail(exc)}"
    if kind == Kind.MAIL_DOWN:
        return f"{_capital(what)} could not be sent ({exc})."
    if kind == Kind.MAIL_REFUSED:
        return f"{_capital(what)} could not be delivered: the mail server refused the address."
    return f"An unexpected error stopped {what} ({type(exc).__name__})."


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def conflict_words(exc: BaseException) -> str | None:
    """dimail's 409 about the webmail context, in words a domain owner can act on."""
    if not isinstance(exc, DimailConflict):
        return None
    context = getattr(exc, "context_name", None)
    if context:
        return (
            f"the domain is already mapped to the webmail context {context} in dimail; "
            "the platform's staff must move it or remove it from that context"
        )
    return None


def describe(
    exc: BaseException,
    what: str,
    final: bool,
    feature: str | None = None,
    again: str = "press Retry",
) -> Failure:
    """The failure `exc` means for `what`; `final` when the job queue will not retry; `again`
    what the person can do once the cause is gone."""
    kind = kind_of(exc)
    final = final or kind not in _TRANSIENT
    return Failure(kind, cause_of(exc, kind, what, feature), final, again)
