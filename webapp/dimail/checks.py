"""Reading dimail's domain checks: which fail, what that means, and the status that follows.

Answers come in several shapes (DIMAIL.md): current servers send one object per check with an
`internal` flag; the August 2024 check build sends the external checks only, without `internal`,
inside the domain's own JSON; fixtures of another client carry booleans as "true"/"false".
"""

import enum

from flask_babel import gettext

from webapp.wordings import N_

EXTERNAL_CHECKS = ("domain_exist", "mx", "cname_imap", "cname_smtp", "cname_webmail", "spf", "dkim")
INTERNAL_CHECKS = ("postfix", "ox", "cert", "webmail_ok")
# The check that, when failing, means dimail did not run the others.
EXISTENCE_CHECK = "domain_exist"
# The code given to a check dimail skipped, so that it is never shown as passing.
NOT_CHECKED = "not_checked"

CHECK_LABELS = {
    "domain_exist": N_("The domain exists in the DNS"),
    "mx": N_("Mail exchanger (MX) record"),
    "cname_imap": N_("imap. alias (CNAME)"),
    "cname_smtp": N_("smtp. alias (CNAME)"),
    "cname_webmail": N_("webmail. alias (CNAME)"),
    "spf": N_("SPF record (who may send mail for the domain)"),
    "dkim": N_("DKIM key (signature of outgoing mail)"),
    "postfix": N_("Mail delivery on the platform"),
    "ox": N_("Webmail account space on the platform"),
    "cert": N_("Security certificate on the platform"),
    "webmail_ok": N_("Webmail reachable"),
}

CODE_EXPLANATIONS = {
    "must_exist": N_(
        "The domain does not exist in the DNS (yet): register it, or wait until its "
        "registration is visible, then check again."
    ),
    "no_test": N_(
        "The mail platform has not checked this yet. It will soon; you can also ask for "
        "a check now."
    ),
    NOT_CHECKED: N_(
        "Not checked: the mail platform checks this once the domain exists in the DNS."
    ),
    "wrong_mx": N_(
        "The MX record points elsewhere than the mail platform: mail for the domain "
        "would not arrive. Replace it with the expected MX record below."
    ),
    "no_mx": N_(
        "The domain has no MX record: nobody can send it mail yet. Add the expected MX "
        "record below."
    ),
    "one_mx": N_(
        "The domain has several MX records: the mail platform must be the only one. Keep "
        "only the expected MX record below."
    ),
    "no_cname_imap": N_(
        "The imap. name is missing: mail programs cannot find the server to read "
        "mail. Add the expected CNAME record."
    ),
    "wrong_cname_imap": N_("The imap. name points to the wrong server. Fix it as listed below."),
    "no_cname_smtp": N_(
        "The smtp. name is missing: mail programs cannot find the server to send "
        "mail. Add the expected CNAME record."
    ),
    "wrong_cname_smtp": N_("The smtp. name points to the wrong server. Fix it as listed below."),
    "no_cname_webmail": N_(
        "The webmail. name is missing: people cannot reach their webmail at "
        "its usual address. Add the expected CNAME record."
    ),
    "wrong_cname_webmail": N_(
        "The webmail. name points to the wrong server. Fix it as listed below."
    ),
    "no_spf": N_(
        "There is no SPF record: mail sent from the domain may be treated as spam. Add "
        "the expected TXT record."
    ),
    "wrong_spf": N_(
        "The SPF record does not allow the mail platform to send for the domain: mail "
        "may be treated as spam. Use the expected TXT record."
    ),
    "no_dkim": N_(
        "The DKIM key is not published: receivers cannot verify mail from the domain. "
        "Add the expected TXT record at dimail._domainkey."
    ),
    "wrong_dkim": N_("The published DKIM key is not the platform's. Use the expected TXT record."),
    "no_cert": N_(
        "The platform has no security certificate for the domain yet. The platform's "
        "support must act."
    ),
}
GENERIC_EXPLANATION = N_("The mail platform reported a problem with this check.")

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0", ""})


class Outcome(enum.StrEnum):
    OK = "ok"
    EXTERNAL = "external"  # the owner must fix their DNS
    INTERNAL = "internal"  # the platform must act (dimail's fix/ may repair it)


def read_bool(value, default: bool = False) -> bool:
    """A boolean as dimail (or a fixture) wrote it: the string "false" is False, not truthy;
    anything unreadable is `default`."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return default


def _looks_like_check(name: str, value) -> bool:
    if not isinstance(value, dict) or "ok" not in value:
        return False
    # Beside the checks sit the domain's own fields (mailbox_domain, features...): a key we do
    # not know is a check only if it has the whole shape of one.
    return name in EXTERNAL_CHECKS or name in INTERNAL_CHECKS or "errors" in value


def _errors(value: dict) -> list[dict]:
    errors = value.get("errors")
    if not isinstance(errors, list):
        return []
    return [
        {"code": str(e.get("code") or ""), "detail": str(e.get("detail") or "")}
        for e in errors
        if isinstance(e, dict)
    ]


def _read_one(name: str, value: dict) -> dict:
    # Without a flag, the name tells: only the owner's DNS checks are external.
    internal = read_bool(value.get("internal"), default=name not in EXTERNAL_CHECKS)
    return {
        "name": name,
        "internal": internal,
        "ok": read_bool(value.get("ok")),
        "checked": True,
        "errors": _errors(value),
    }


def read_checks(result: dict) -> list[dict]:
    """Dimail's answer as a list of checks, in a stable order, keeping only what we show:
    {name, internal, ok, checked, errors: [{code, detail}]}. A check dimail did not run is
    `checked: False` and not ok, with the error code NOT_CHECKED."""
    if not isinstance(result, dict):
        return []
    checks: dict[str, dict] = {}
    for name in (*EXTERNAL_CHECKS, *INTERNAL_CHECKS, *sorted(result)):
        value = result.get(name)
        if name not in checks and _looks_like_check(name, value):
            checks[name] = _read_one(name, value)
    existence = checks.get(EXISTENCE_CHECK)
    if existence is not None and not existence["ok"]:
        for check in checks.values():
            if check is not existence and check["ok"] and not check["errors"]:
                # "ok" with nothing said, after the domain was found missing: not run at all.
                check.update(ok=False, checked=False, errors=[{"code": NOT_CHECKED, "detail": ""}])
    return list(checks.values())


def outcome(result: dict, checks: list[dict]) -> Outcome:
    """The rule of DIMAIL.md: ok, else the owner's DNS first, else the platform's side."""
    state = result.get("state") if isinstance(result, dict) else None
    if isinstance(state, str) and state.strip().lower() == "ok":
        return Outcome.OK
    if any(not c["ok"] and not c["internal"] for c in checks):
        return Outcome.EXTERNAL
    return Outcome.INTERNAL


def label(name: str) -> str:
    known = CHECK_LABELS.get(name)
    return gettext(known) if known else name.replace("_", " ")


def explain(code: str, detail: str = "") -> str:
    """Our own plain words for an error code; for a code we do not know, a generic sentence
    with dimail's words (`detail`) when given."""
    known = CODE_EXPLANATIONS.get(code)
    if known:
        return gettext(known)
    if detail:  # dimail's words stay as dimail wrote them
        return gettext("%(generic)s It says: %(detail)s", generic=gettext(GENERIC_EXPLANATION),
                       detail=detail)  # fmt: skip
    return gettext(GENERIC_EXPLANATION)
