"""What a failed job tells the person: every error a job can meet, in plain words, decided once.

The job wrapper (`webapp.jobs.context.job`) catches whatever a job raises and asks `describe`
what it means: worth retrying or not, and the sentence the object's page shows. The job's own
recorder then writes that sentence on its row (and clears its "to sync" mark when no retry
is left), so that nothing stays "syncing" without a reason on its page.
"""

from __future__ import annotations

import enum
import smtplib
from dataclasses import dataclass, field

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
from webapp.messages import Said, say


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

_WITH_DETAIL = {
    Kind.UNREACHABLE: "failure.unreachable",
    Kind.BAD_ANSWER: "failure.bad_answer",
    Kind.MAIL_DOWN: "failure.mail_down",
    Kind.UNEXPECTED: "failure.unexpected",
}


@dataclass(frozen=True)
class Failure:
    kind: Kind
    cause: Said  # what went wrong, without what happens next
    final: bool  # no retry follows: the object is failed or left for a person to retry
    again: Said = field(default_factory=lambda: say("again.retry"))  # what the person does then

    @property
    def transient(self) -> bool:
        return self.kind in _TRANSIENT

    @property
    def reason(self) -> Said:
        """The whole message for the object's page."""
        if not self.transient:
            return self.cause
        if not self.final:
            return say("failure.retrying", cause=self.cause)
        if self.kind == Kind.MAIL_DOWN:
            # Unsent emails are queued again by the reconciler, whatever their job's tries.
            return say("failure.every_few_minutes", cause=self.cause)
        return say("failure.given_up", cause=self.cause, again=self.again)


def _detail(exc: BaseException) -> str | Said:
    """The cause in plain words: dimail's own text as it wrote it, never our internals."""
    if getattr(exc, "detail_said", None) is not None:
        return exc.detail_said
    if isinstance(exc, DimailError):
        return exc.detail or (f"HTTP {exc.status}" if exc.status else type(exc).__name__)
    if isinstance(exc, smtplib.SMTPResponseException):
        return say("detail.smtp_answer", code=exc.smtp_code)
    if isinstance(exc, ConnectionRefusedError):
        return say("detail.mail_refused_connection")
    if isinstance(exc, TimeoutError):
        return say("detail.mail_timeout")
    if isinstance(exc, OSError | smtplib.SMTPException):
        return say("detail.mail_unreachable")
    return type(exc).__name__


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


def cause_of(exc: BaseException, kind: Kind, what: Said, feature: Said | None = None) -> Said:
    """`what` names the work ("the creation of jane@example.fr"); `feature` what an older
    dimail may lack ("password resets")."""
    if kind in _WITH_DETAIL:
        detail = type(exc).__name__ if kind == Kind.UNEXPECTED else _detail(exc)
        return say(_WITH_DETAIL[kind], what=what, detail=detail)
    if kind in (Kind.CREDENTIALS, Kind.NO_GRANT, Kind.MAIL_REFUSED):
        return say(f"failure.{kind.value}", what=what)
    if kind == Kind.NOT_SUPPORTED:
        return say("failure.not_supported", feature=feature or what)
    if kind == Kind.SETTINGS:
        return say("failure.settings", detail=_detail(exc))
    return say("failure.refused", what=what, detail=refusal_of(exc) or _detail(exc))


def refusal_of(exc: BaseException) -> Said | None:
    """Why dimail refused, in words a domain owner can act on, when we know them: the reason
    a job gave its refusal (`exc.said`), or dimail's 409 about the webmail context."""
    if getattr(exc, "said", None) is not None:
        return exc.said
    context = getattr(exc, "context_name", None)
    if isinstance(exc, DimailConflict) and context:
        return say("refusal.webmail_context", context=context)
    return None


def refused(said: Said, status: int = 409) -> DimailRejected:
    """A refusal a job decides itself (after asking dimail), with its reason as a message."""
    exc = DimailRejected(str(said), status)
    exc.said = said
    return exc


def describe(
    exc: BaseException,
    what: Said,
    final: bool,
    feature: Said | None = None,
    again: Said | None = None,
) -> Failure:
    """The failure `exc` means for `what`; `final` when the job queue will not retry; `again`
    what the person can do once the cause is gone (press Retry, unless told)."""
    kind = kind_of(exc)
    final = final or kind not in _TRANSIENT
    return Failure(kind, cause_of(exc, kind, what, feature), final, again or say("again.retry"))
