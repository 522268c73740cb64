"""Deterministic domain checks and the DNS records a domain owner must publish.

Nothing here looks at the real DNS. What the checks find depends on the simulator's DNS mode:
- `by-name` (the default), steered by the domain's name so that demos and tests can choose:
  - by default every check passes (state "ok");
  - a first label ending in `-dns` (`acme-dns.fr`) fails external checks (mx, spf, dkim,
    cname_webmail) until `POST /_simulator/domains/<name>/dns {"ok": true}` says the owner
    fixed their DNS;
  - a first label ending in `-platform` fails the internal `cert` check until `GET .../fix/`
    (current generation only: older builds have no internal checks to fail);
- `none`, as on the recorded servers where no DNS was reachable: `domain_exist` fails with
  `must_exist` and, as dimail does, the other external checks are not run and answer ok with
  no errors. `POST /_simulator/domains/<name>/dns {"ok": true}` makes one domain resolve.

A check runs on `check`/`fix/` and, as dimail's background task does, once right after the
domain's creation; the domain's JSON shows the last results (state "new" before any).

The platform's host names live under `.example.net`: they are made up for the simulator.
"""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .state import Domain

PLATFORM = "mail.example.net"
MX_HOST = f"mx.{PLATFORM}"
IMAP_HOST = f"imap.{PLATFORM}"
SMTP_HOST = f"smtp.{PLATFORM}"
WEBMAIL_HOST = f"webmail.{PLATFORM}"
SPF_INCLUDE = f"_spf.{PLATFORM}"
DKIM_SELECTOR = "dimail"

EXTERNAL_CHECKS = ("domain_exist", "mx", "cname_imap", "cname_smtp", "cname_webmail", "spf", "dkim")
INTERNAL_CHECKS = ("postfix", "ox", "cert", "webmail_ok")
NOT_CHECKED_YET = [{"code": "no_test", "detail": "Did not check yet"}]


def _first_label(name: str) -> str:
    return name.split(".", 1)[0]


def health_at_creation(name: str, dns: str) -> tuple[bool, bool]:
    """(dns_ok, platform_ok) of a new domain in this DNS mode."""
    if dns == "none":
        return False, True
    label = _first_label(name)
    return not label.endswith("-dns"), not label.endswith("-platform")


def _error(code: str, detail: str) -> dict:
    return {"code": code, "detail": detail}


def _dns_errors(name: str, dns: str) -> dict[str, list[dict]]:
    """What the owner's DNS looks like when it is not right, in dimail's French."""
    if dns == "none":
        # Recorded word for word; the checks after domain_exist are skipped.
        return {"domain_exist": [_error("must_exist", f"Le domaine {name} n'existe pas")]}
    return {
        "mx": [
            _error(
                "wrong_mx",
                f"Le MX du domaine n'est pas {MX_HOST}. mais mx1.hebergeur.example.org.",
            )
        ],
        "cname_webmail": [
            _error(
                "no_cname_webmail",
                f"Aucun enregistrement CNAME pour webmail.{name} (attendu : {WEBMAIL_HOST}.)",
            )
        ],
        "spf": [
            _error(
                "wrong_spf",
                f'Le SPF du domaine n\'inclut pas {SPF_INCLUDE} (trouvé : "v=spf1 mx -all")',
            )
        ],
        "dkim": [
            _error(
                "no_dkim",
                f"Aucune clé DKIM publiée sur {DKIM_SELECTOR}._domainkey.{name}",
            )
        ],
    }


def _platform_errors(name: str) -> dict[str, list[dict]]:
    names = f"imap.{name}, smtp.{name} et webmail.{name}"
    return {"cert": [_error("no_cert", f"Pas de certificat valide pour {names}")]}


def run(domain: Domain, dns: str, internal: bool) -> None:
    """Check the domain as it stands and keep the results on it. Hold the lock."""
    errors: dict[str, list[dict]] = {}
    if not domain.dns_ok:
        found = _dns_errors(domain.name, dns)
        wrong = domain.dns_wrong
        errors.update({k: v for k, v in found.items() if wrong is None or k in wrong})
    if internal and not domain.platform_ok:
        errors.update(_platform_errors(domain.name))
    names = (*EXTERNAL_CHECKS, *INTERNAL_CHECKS) if internal else EXTERNAL_CHECKS
    domain.results = {check: errors.get(check, []) for check in names}


def state(domain: Domain) -> str:
    if domain.results is None:
        return "new"
    return "broken" if any(domain.results.values()) else "ok"


def report(domain: Domain) -> dict:
    """The body of a current server's `check` and `fix/`: the last results, with flags."""
    current = state(domain)
    result = {
        "name": domain.name,
        "state": current,
        "valid": current == "ok",
        "delivery": domain.delivery,
        "features": list(domain.features),
        "context_name": domain.context_name,
        "transport": None,
    }
    for check, found in (domain.results or {}).items():
        result[check] = {"ok": not found, "internal": check in INTERNAL_CHECKS, "errors": found}
    return result


def domain_with_checks(domain: Domain, context_name: str | None) -> dict:
    """The 2024-08-check build's domain JSON: the domain, its state, and the external checks
    without `internal` flags ("Did not check yet" before the first check)."""
    current = state(domain)
    answer = {"name": domain.name, "state": current, "valid": current == "ok"}
    answer.update(domain.as_api())
    answer["context_name"] = context_name
    for check in EXTERNAL_CHECKS:
        if domain.results is None:
            answer[check] = {"ok": False, "errors": [dict(e) for e in NOT_CHECKED_YET]}
        else:
            found = domain.results.get(check, [])
            answer[check] = {"ok": not found, "errors": found}
    return answer


def fix(domain: Domain) -> None:
    """What `fix/` repairs: the platform's side only, never the owner's DNS."""
    domain.platform_ok = True


def _dkim_public_key(name: str) -> str:
    # Looks like a 2048-bit RSA key and stays the same for a domain across restarts.
    seed = hashlib.sha256(f"simulated dkim key for {name}".encode()).digest()
    material = b"".join(hashlib.sha256(seed + bytes([i])).digest() for i in range(9))
    return base64.b64encode(material[:270]).decode()


def spec(domain: Domain) -> list[dict]:
    """The records the owner must publish, as `spec/` lists them."""
    return [
        {"target": "", "type": "mx", "value": f"{MX_HOST}."},
        {"target": "imap", "type": "cname", "value": f"{IMAP_HOST}."},
        {"target": "smtp", "type": "cname", "value": f"{SMTP_HOST}."},
        {"target": "webmail", "type": "cname", "value": f"{WEBMAIL_HOST}."},
        {"target": "", "type": "txt", "value": f"v=spf1 include:{SPF_INCLUDE} -all"},
        {
            "target": f"{DKIM_SELECTOR}._domainkey",
            "type": "txt",
            "value": f"v=DKIM1; h=sha256; k=rsa; p={_dkim_public_key(domain.name)}",
        },
    ]
