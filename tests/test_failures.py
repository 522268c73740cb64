"""The sentences a failed job leaves on its object, decided in one place (webapp.jobs.failures)."""

import smtplib

from webapp.dimail.client import DimailConflict, DimailUnavailable
from webapp.jobs import failures


def test_a_transient_cause_says_it_is_retried_then_what_to_do():
    exc = DimailUnavailable("timed out after 10 s", None, "GET", "/domains/acme.fr/check")
    retried = failures.describe(exc, "the check of this domain", final=False)
    assert retried.transient and not retried.final
    assert str(retried.reason) == (
        "The mail platform could not be reached for the check of this domain "
        "(timed out after 10 s). It is tried again automatically."
    )
    given_up = failures.describe(exc, "the check of this domain", True, again="press Check now")
    assert str(given_up.reason).endswith(
        "It was tried several times; press Check now once the cause is gone."
    )


def test_the_webmail_context_conflict_is_said_as_such():
    exc = DimailConflict(
        "The domain is currently mapped to OX context acme-old", 409, "POST", "/domains/"
    )
    exc.context_name = "acme-old"
    failure = failures.describe(exc, "the creation of this domain", final=False)
    assert failure.final and failure.kind == failures.Kind.REFUSED
    assert "already mapped to the webmail context acme-old" in str(failure.reason)


def test_a_refused_address_is_not_retried_but_a_mail_server_down_is():
    refused = smtplib.SMTPRecipientsRefused({"x@y": (550, b"no such user")})
    failure = failures.describe(refused, "the email to x@y", final=False)
    assert failure.final and "could not be delivered" in str(failure.reason)
    down = failures.describe(ConnectionRefusedError(111, "refused"), "the email to x@y", True)
    assert down.transient and str(down.reason).endswith(
        "tried again automatically, every few minutes."
    )
