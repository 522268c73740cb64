"""The page states the axe test checks, for each person who sees them.

Every GET route of the URL map gives states by itself: its arguments are filled from the
samples that seed_more returns (keyed by argument name), so a page added later is checked
without touching this file, and a route whose argument has no sample fails the test. On top
come the states that a GET alone does not reach (extra_states): forms sent back with errors,
error pages, a confirmation after a change.
"""

from dataclasses import dataclass
from datetime import timedelta
from itertools import product
from urllib.parse import quote

from tests.browser.pages import LONG_ALIAS, LONG_EMAIL, LONG_MAILBOX
from webapp.extensions import db
from webapp.models import BulkImport, Domain, DomainStatus, PasswordToken, Role, User
from webapp.models.base import utcnow
from webapp.models.invitation import new_token
from webapp.services import imports

VIEWER = f"1.{LONG_EMAIL}"  # pages.seed's viewer of acme.fr
# The domains of pages.seed, one per status.
DOMAINS = {
    DomainStatus.ENABLED: "acme.fr",
    DomainStatus.FAILED: "failed.fr",
    DomainStatus.ACTION_REQUIRED: "action-requise.fr",
    DomainStatus.PENDING: "pending.fr",
    DomainStatus.DISABLED: "disabled.fr",
}
# GET routes that answer no HTML page, so nothing axe could read.
NOT_PAGES = {
    "static",  # the CSS, JavaScript and icon files
    "main.healthz",  # plain text for the load balancer
    "domains.zone_file",  # a text file to download
    "exports.mailboxes",  # CSV downloads, from here on
    "exports.aliases",
    "exports.collaborators",
    "exports.domain_managers",
    "imports.result",
    "imports.mailboxes_template",
    "imports.aliases_template",
}
# Routes answering an htmx fragment: checked swapped into the page that asks for it (the
# endpoint given, with the same arguments), as the person meets it.
FRAGMENTS = {
    "domains.status_panel": "domains.show",
    "mailboxes.status": "mailboxes.show",
    "mailboxes.suggest": "mailboxes.index",
}
# The pages where a domain's status changes most of what is shown: each is checked for a domain
# in every status. The other domain pages are checked for acme.fr, the domain with everything
# (mailboxes, aliases, collaborators, imports, its log).
EVERY_STATUS = {"domains.show", "mailboxes.index", "aliases.index", "accesses.index"}
# The query a route needs to show something (a fragment of what was typed so far).
QUERIES = {"mailboxes.suggest": {"first_name": "Hélène", "last_name": "Dupré-Lefèvre"}}
# A route that is not the page itself for someone: what it answers them (HTTP status).
ANSWERS = {("accesses.accept", "staff"): 403}  # staff is not the one invited


@dataclass(frozen=True)
class State:
    name: str
    who: str  # "anonymous", "staff" (a superuser owning every domain) or "viewer" (of acme.fr)
    url: str
    status: int = 200
    act: tuple = ()  # what the person does once the page is shown, see test_axe.ACTIONS
    endpoint: str = ""  # the route whose page this is


def seed_more(staff_email: str, invitation_token: str) -> dict:
    """What pages.seed lacks for the URL map's arguments (password links, imports); returns
    the samples: for each URL argument, its values (by blueprint where they differ)."""
    staff = db.session.scalar(db.select(User).where(User.email == staff_email))
    newcomer = User(email="newcomer@example.org", name="")
    newcomer.set_password("unused-password-1")
    db.session.add(newcomer)
    db.session.commit()
    tokens = [_password_token(staff, "reset"), _password_token(newcomer, "setup")]
    acme = db.session.scalar(db.select(Domain).where(Domain.name == "acme.fr"))
    people = (
        "first name,last name,address,secondary email\r\nHélène,Dupré,,h@home.org\r\n"
        f"Paul,Martin,paul,p@home.org\r\nAnne,Leroy,anne,not-an-address\r\n"
        f"Marie,Fontaine,{LONG_MAILBOX},m@home.org\r\n"
    )
    preview = imports.preview(acme, "mailboxes", people.encode(), "people.csv", staff).value
    aliases = b"alias,destination\r\nsales,a@example.org\r\nsupport,b@example.org\r\n"
    started = imports.preview(acme, "aliases", aliases, "aliases.csv", staff).value
    assert isinstance(preview, BulkImport) and isinstance(started, BulkImport)
    assert imports.confirm(started).ok
    return {
        "domain": list(DOMAINS.values()),
        "local_part": {"mailboxes": [LONG_MAILBOX], "aliases": [LONG_ALIAS]},
        "import_id": [preview.id, started.id],
        "token": {"auth": tokens, "accesses": [invitation_token]},
        "filename": ["app.css"],
    }


def _password_token(user, purpose: str) -> str:
    token, token_hash = new_token()
    db.session.add(
        PasswordToken(
            user_id=user.id, token_hash=token_hash, purpose=purpose,
            expires_at=utcnow() + timedelta(days=1), password_fingerprint=user.password_fingerprint,
        )
    )  # fmt: skip
    db.session.commit()
    return token


def _who(access: str) -> tuple[str, ...]:
    if access == "public":
        return ("anonymous", "staff")
    if access in ("authenticated", f"domain:{Role.VIEWER.value}"):
        return ("staff", "viewer")
    return ("staff",)


def _values(samples: dict, rule, argument: str, who: str) -> list:
    found = samples.get(argument)
    assert found is not None, f"add sample values for <{argument}> of {rule.rule} to seed_more"
    if isinstance(found, dict):
        found = found.get(rule.endpoint.split(".")[0])
        assert found, f"add sample values for <{argument}> of {rule.rule} to seed_more"
    if argument == "domain" and (who == "viewer" or rule.endpoint not in EVERY_STATUS):
        return ["acme.fr"]  # the viewer's domain, the one with mailboxes, aliases, imports
    return found


def route_states(app, samples: dict, left_out: bool = False) -> list[State]:
    """One state per GET route of the URL map, person who may see it and sample arguments
    (with `left_out`, of the routes in NOT_PAGES instead)."""
    states = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or (rule.endpoint in NOT_PAGES) != left_out:
            continue
        access = getattr(app.view_functions[rule.endpoint], "access", "public")
        for who in _who(access):
            arguments = sorted(rule.arguments)
            choices = [_values(samples, rule, a, who) for a in arguments]
            for values in product(*choices):
                states.append(_state(app, rule, who, dict(zip(arguments, values, strict=True))))
    return states


def _state(app, rule, who: str, arguments: dict) -> State:
    with app.test_request_context():
        url = app.url_for(rule.endpoint, **arguments, **QUERIES.get(rule.endpoint, {}))
        name = f"{rule.endpoint} {' '.join(map(str, arguments.values()))}".strip()
        host = FRAGMENTS.get(rule.endpoint)
        if host is None:
            return State(name, who, url, ANSWERS.get((rule.endpoint, who), 200),
                         endpoint=rule.endpoint)  # fmt: skip
        return State(name, who, app.url_for(host, **arguments), act=("swap_in", url),
                     endpoint=rule.endpoint)  # fmt: skip


FLASH = "#flashes .flash"
MAILBOXES = "/domains/acme.fr/mailboxes/"
EXTRA = [
    State("login, wrong password", "anonymous", "/login",
          act=("submit", "#login-form", {"email": "nobody@example.org", "password": "wrong"})),
    State("forgot password, no address", "anonymous", "/password/forgot",
          act=("submit", "main form[method=post]", {})),
    State("forgot password, link sent", "anonymous", "/password/forgot",
          act=("submit", "main form[method=post]", {"email": "someone@example.org"}, FLASH)),
    State("reset link, not a link", "anonymous", "/password/reset/not-a-token", 410),
    State("invitation, not a link", "anonymous", "/invitations/not-a-token", 404),
    State("page not found, logged out", "anonymous", "/nowhere", 404),
    State("new domain, errors", "staff", "/domains/", act=("submit", "#create-domain", {})),
    State("new domain, created", "staff", "/domains/",
          act=("submit", "#create-domain", {"name": "nouveau-{lang}.fr",
                                            "support_email": "it@example.org"}, FLASH)),
    State("new mailbox, errors", "staff", MAILBOXES,
          act=("submit", "#create-mailbox", {"secondary_email": "not an address"})),
    State("mailbox edit, errors", "staff", f"{MAILBOXES}{LONG_MAILBOX}/",
          act=("submit", "#edit-mailbox", {"first_name": ""})),
    State("mailbox search, nothing found", "staff", MAILBOXES + "?q=zzzzzz"),
    State("new alias, errors", "staff", "/domains/acme.fr/aliases/",
          act=("submit", "#create-alias", {"destination": "not an address"})),
    State("one destination delete confirmation", "staff",
          f"/domains/acme.fr/aliases/{LONG_ALIAS}/delete?destination={quote(LONG_EMAIL)}"),
    State("invite, errors", "staff", "/domains/acme.fr/accesses/",
          act=("submit", "#invite-form", {"email": "not an address"})),
    State("password, errors", "staff", "/account/password", act=("submit", "#password-form", {})),
    State("import, no file", "staff", "/domains/acme.fr/imports/mailboxes",
          act=("submit", "#import-form", {})),
    State("import, file too large", "staff", "/domains/acme.fr/imports/mailboxes",
          act=("upload_too_large",)),
    State("error page, too large", "staff", "/domains/", act=("post_too_large", "/domains/")),
    State("error page, form expired", "staff", "/logout", act=("expired_form",)),
    State("error page, not found", "staff", "/domains/nowhere.fr/", 404),
    State("error page, forbidden", "viewer", "/domains/acme.fr/log/", 403),
]  # fmt: skip


def extra_states(samples: dict) -> list[State]:
    """EXTRA, and the forms behind the sample links, sent back with errors."""
    reset = samples["token"]["auth"][0]
    invitation = samples["token"]["accesses"][0]
    return EXTRA + [
        State("new password, errors", "anonymous", f"/password/reset/{reset}",
              act=("submit", "main form[method=post]", {})),
        State("invitation, errors", "anonymous", f"/invitations/{invitation}",
              act=("submit", "main form[method=post]", {})),
    ]  # fmt: skip
