"""Every page family with realistic, long content, for the layout tests: one seed, one list.

A page added to the app is checked at phone width by adding its URL to PAGES (or, for pages
seen logged out, to PUBLIC_PAGES).
"""

from datetime import UTC, datetime, timedelta

from tests.browser.test_journeys import log_in
from webapp import audit
from webapp.extensions import db
from webapp.messages import say
from webapp.models import Alias, DomainStatus, Invitation, Mailbox, Role
from webapp.models.invitation import new_token

# Long names are what real people have, and what overflows a phone.
LONG_EMAIL = "marie-christine.de-la-fontaine@administration-regionale.example.org"
LONG_ALIAS = "secretariat-general-de-la-direction"
LONG_MAILBOX = "marie-christine.de-la-fontaine"
RECORDS = [
    {"target": "", "type": "MX", "value": "mx.ox.numerique.gouv.fr."},
    {"target": "", "type": "TXT", "value": "v=spf1 include:_spf.ox.numerique.gouv.fr -all"},
    {
        "target": "dimail._domainkey",
        "type": "TXT",
        "value": "v=DKIM1; h=sha256; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAx2L3"
        "tW4kq9uU0w3F1c1Tz5cVYJHq6L2f4G8u3m5a1Xc9Q0T2bK7s8dE1rF3hN4pQ6yZ8wL2mV5nB7xC9jA0kS",
    },
]
WRONG_MX = {"code": "wrong_mx", "detail": "Le MX est mx.ailleurs.example.net, pas mx.ox.gouv.fr"}
FAILING = [
    {"name": "mx", "internal": False, "ok": False, "errors": [WRONG_MX]},
    {"name": "spf", "internal": False, "ok": False, "errors": []},
]

# (what, URL, expected HTTP status) for a superuser who also owns acme.fr.
PAGES = [
    ("domains list", "/domains/", 200),
    ("domain enabled, DNS records", "/domains/acme.fr/", 200),
    ("domain failed, what is wrong", "/domains/failed.fr/", 200),
    ("domain action required, records", "/domains/action-requise.fr/", 200),
    ("domain pending", "/domains/pending.fr/", 200),
    ("domain disabled", "/domains/disabled.fr/", 200),
    ("drift", "/domains/acme.fr/drift", 200),
    ("mailboxes", "/domains/acme.fr/mailboxes/", 200),
    ("mailbox", f"/domains/acme.fr/mailboxes/{LONG_MAILBOX}/", 200),
    ("disable confirmation", f"/domains/acme.fr/mailboxes/{LONG_MAILBOX}/disable", 200),
    ("aliases", "/domains/acme.fr/aliases/", 200),
    ("alias delete confirmation", f"/domains/acme.fr/aliases/{LONG_ALIAS}/delete", 200),
    ("one destination confirmation",
     f"/domains/acme.fr/aliases/{LONG_ALIAS}/delete?destination={LONG_EMAIL}", 200),
    ("collaborators", "/domains/acme.fr/accesses/", 200),
    ("audit log", "/domains/acme.fr/log/", 200),
    ("accounts", "/users/", 200),
    ("sessions", "/account/sessions", 200),
    ("password", "/account/password", 200),
    ("waiting invitations", "/account/invitations", 200),
    ("log out confirmation", "/logout", 200),
    ("error page", "/domains/nowhere.fr/", 404),
]  # fmt: skip
PUBLIC_PAGES = [
    ("login", "/login", 200),
    ("forgot password", "/password/forgot", 200),
    ("bad reset link", "/password/reset/not-a-token", 410),
    ("invitation", "/invitations/{token}", 200),
]


def _mailbox(domain, local_part, first, last, secondary):
    return Mailbox(
        domain_id=domain.id, local_part=local_part, first_name=first, last_name=last,
        name_key=f"{first} {last}".lower(), secondary_email=secondary,
    )  # fmt: skip


def seed(make_user, make_domain, grant) -> dict:
    """acme.fr full of long names, one domain per status; returns the invitation's token."""
    staff = make_user("staff@example.org", superuser=True, name="Sam Staff")
    now = datetime.now(UTC).replace(tzinfo=None)
    acme = make_domain("acme.fr", owner=staff, status=DomainStatus.ENABLED)
    acme.support_email = LONG_EMAIL
    acme.checks = [{"name": "mx", "internal": False, "ok": True, "errors": []}]
    acme.dns_records, acme.last_check_at = RECORDS, now
    failed = make_domain("failed.fr", owner=staff, status=DomainStatus.FAILED)
    failed.checks, failed.last_check_at = FAILING, now
    action = make_domain("action-requise.fr", owner=staff, status=DomainStatus.ACTION_REQUIRED)
    action.checks, action.dns_records, action.last_check_at = FAILING, RECORDS, now
    make_domain("pending.fr", owner=staff)
    make_domain("disabled.fr", owner=staff, status=DomainStatus.DISABLED)
    for n, role in enumerate((Role.ADMINISTRATOR, Role.VIEWER, Role.OWNER)):
        person = make_user(f"{n}.{LONG_EMAIL}", name="Marie-Christine de La Fontaine-Dupré")
        grant(person, acme, role)
    db.session.add_all(
        [
            _mailbox(acme, LONG_MAILBOX, "Marie-Christine",
                     "de La Fontaine-Dupré", LONG_EMAIL),
            _mailbox(acme, "paul", "Paul", "Martin", "paul@home.example.org"),
            Alias(domain_id=acme.id, local_part=LONG_ALIAS, destination=LONG_EMAIL),
            Alias(domain_id=acme.id, local_part=LONG_ALIAS, destination="paul@acme.fr"),
        ]
    )  # fmt: skip
    for n in range(3):
        said = say("access.now", email=f"{n}.{LONG_EMAIL}", role=Role.ADMINISTRATOR.said)
        audit.record(acme, "access.changed", said, target=f"{n}.{LONG_EMAIL}", actor=staff)
    token, token_hash = new_token()
    db.session.add(
        Invitation(
            domain_id=acme.id, email=f"invited.{LONG_EMAIL}", role="administrator",
            token_hash=token_hash, expires_at=now + timedelta(days=7), invited_by_id=staff.id,
        )
    )  # fmt: skip
    db.session.commit()
    return {"token": token}


def log_in_as_staff(page):
    log_in(page, "staff@example.org")
