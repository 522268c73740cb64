"""Reading dimail's domain checks: which fail, what that means, and the status that follows."""

import enum

EXTERNAL_CHECKS = ("domain_exist", "mx", "cname_imap", "cname_smtp", "cname_webmail", "spf", "dkim")
INTERNAL_CHECKS = ("postfix", "ox", "cert", "webmail_ok")

CHECK_LABELS = {
    "domain_exist": "The domain exists in the DNS",
    "mx": "Mail exchanger (MX) record",
    "cname_imap": "imap. alias (CNAME)",
    "cname_smtp": "smtp. alias (CNAME)",
    "cname_webmail": "webmail. alias (CNAME)",
    "spf": "SPF record (who may send mail for the domain)",
    "dkim": "DKIM key (signature of outgoing mail)",
    "postfix": "Mail delivery on the platform",
    "ox": "Webmail account space on the platform",
    "cert": "Security certificate on the platform",
    "webmail_ok": "Webmail reachable",
}

CODE_EXPLANATIONS = {
    "wrong_mx": "The MX record points elsewhere than the mail platform: mail for the domain "
    "would not arrive. Replace it with the expected MX record below.",
    "no_mx": "The domain has no MX record: nobody can send it mail yet. Add the expected MX "
    "record below.",
    "no_cname_imap": "The imap. name is missing: mail programs cannot find the server to read "
    "mail. Add the expected CNAME record.",
    "wrong_cname_imap": "The imap. name points to the wrong server. Fix it as listed below.",
    "no_cname_smtp": "The smtp. name is missing: mail programs cannot find the server to send "
    "mail. Add the expected CNAME record.",
    "wrong_cname_smtp": "The smtp. name points to the wrong server. Fix it as listed below.",
    "no_cname_webmail": "The webmail. name is missing: people cannot reach their webmail at "
    "its usual address. Add the expected CNAME record.",
    "wrong_cname_webmail": "The webmail. name points to the wrong server. Fix it as listed below.",
    "no_spf": "There is no SPF record: mail sent from the domain may be treated as spam. Add "
    "the expected TXT record.",
    "wrong_spf": "The SPF record does not allow the mail platform to send for the domain: mail "
    "may be treated as spam. Use the expected TXT record.",
    "no_dkim": "The DKIM key is not published: receivers cannot verify mail from the domain. "
    "Add the expected TXT record at dimail._domainkey.",
    "wrong_dkim": "The published DKIM key is not the platform's. Use the expected TXT record.",
    "no_cert": "The platform has no security certificate for the domain yet. The platform's "
    "support must act.",
}


class Outcome(enum.StrEnum):
    OK = "ok"
    EXTERNAL = "external"  # the owner must fix their DNS
    INTERNAL = "internal"  # the platform must act (dimail's fix/ may repair it)


def read_checks(result: dict) -> list[dict]:
    """Dimail's answer as a list of checks, in a stable order, keeping only what we show."""
    checks = []
    for name in (*EXTERNAL_CHECKS, *INTERNAL_CHECKS, *sorted(result)):
        value = result.get(name)
        if not isinstance(value, dict) or "ok" not in value or name in {c["name"] for c in checks}:
            continue
        errors = [
            {"code": str(e.get("code", "")), "detail": str(e.get("detail", ""))}
            for e in value.get("errors") or []
            if isinstance(e, dict)
        ]
        internal = bool(value.get("internal", name in INTERNAL_CHECKS))
        checks.append(
            {"name": name, "internal": internal, "ok": bool(value["ok"]), "errors": errors}
        )
    return checks


def outcome(result: dict, checks: list[dict]) -> Outcome:
    """The rule of DIMAIL.md: ok, else the owner's DNS first, else the platform's side."""
    if result.get("state") == "ok":
        return Outcome.OK
    if any(not c["ok"] and not c["internal"] for c in checks):
        return Outcome.EXTERNAL
    return Outcome.INTERNAL


def label(name: str) -> str:
    return CHECK_LABELS.get(name, name.replace("_", " "))


def explain(code: str) -> str:
    return CODE_EXPLANATIONS.get(code, "The mail platform reported a problem with this check.")
