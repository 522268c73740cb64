"""Deterministic domain checks and the DNS records a domain owner must publish.

Nothing here looks at the real DNS. The outcome follows the domain's name, so that demos and
tests can steer it:
- by default every check passes (state "ok");
- a first label ending in `-dns` (`acme-dns.fr`) fails external checks (mx, spf, dkim,
  cname_webmail) until `POST /_simulator/domains/<name>/dns {"ok": true}` says the owner fixed
  their DNS;
- a first label ending in `-platform` fails the internal `cert` check until `GET .../fix/`.

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


def _first_label(name: str) -> str:
    return name.split(".", 1)[0]


def dns_ok_at_creation(name: str) -> bool:
    return not _first_label(name).endswith("-dns")


def platform_ok_at_creation(name: str) -> bool:
    return not _first_label(name).endswith("-platform")


def _error(code: str, detail: str) -> dict:
    return {"code": code, "detail": detail}


def _dns_errors(name: str) -> dict[str, list[dict]]:
    """What a domain whose owner has not published our records looks like, in dimail's French."""
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


def report(domain: Domain) -> dict:
    """The body of `check/` and `fix/` for this domain as it stands."""
    errors: dict[str, list[dict]] = {}
    if not domain.dns_ok:
        errors.update(_dns_errors(domain.name))
    if not domain.platform_ok:
        errors.update(_platform_errors(domain.name))
    ok = not errors
    result = {
        "name": domain.name,
        "state": "ok" if ok else "broken",
        "valid": ok,
        "delivery": domain.delivery,
        "features": list(domain.features),
        "context_name": domain.context_name,
        "transport": None,
    }
    for check in (*EXTERNAL_CHECKS, *INTERNAL_CHECKS):
        found = errors.get(check, [])
        result[check] = {"ok": not found, "internal": check in INTERNAL_CHECKS, "errors": found}
    return result


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
        {"target": "", "type": "MX", "value": f"{MX_HOST}."},
        {"target": "imap", "type": "CNAME", "value": f"{IMAP_HOST}."},
        {"target": "smtp", "type": "CNAME", "value": f"{SMTP_HOST}."},
        {"target": "webmail", "type": "CNAME", "value": f"{WEBMAIL_HOST}."},
        {"target": "", "type": "TXT", "value": f"v=spf1 include:{SPF_INCLUDE} -all"},
        {
            "target": f"{DKIM_SELECTOR}._domainkey",
            "type": "TXT",
            "value": f"v=DKIM1; h=sha256; k=rsa; p={_dkim_public_key(domain.name)}",
        },
    ]
