"""Every route is public on purpose or guarded, and each guard answers each role as it should.

The test walks `app.url_map`, so routes added later are covered without editing it; a route
with a URL argument it does not know fails with a message asking for a sample value.
"""

from datetime import timedelta

import pytest

from tests.conftest import running_app
from tests.oidc.fixtures import provider_nowhere
from webapp.extensions import db
from webapp.models import Alias, BulkImport, DomainStatus, Invitation, Mailbox, Role, User
from webapp.models.base import utcnow

ACTORS = ("anonymous", "stranger", "viewer", "administrator", "owner", "superuser")
KNOWN_ACCESS = {"public", "authenticated", "superuser", "domain:superuser"} | {
    f"domain:{role.value}" for role in Role
}
# Flask's own static route serves the vendored files; it has no view of ours to tag.
EXEMPT = {"static"}
DOMAIN = "guarded.fr"
SAMPLE_VALUES = {
    "domain": DOMAIN,
    "local_part": "jane.doe",
    "message_id": "1-0123abcd",
    "token": "not-a-real-token",
    # No such session: walking "end this session" must not log the walker out.
    "session_id": 999_999,
}


@pytest.fixture
def app(test_config, migrated):
    # The identity provider's routes (/login/oidc...) are walked too: configured, at an address
    # where nothing listens, so that they answer without reaching anything.
    with running_app({**test_config, **provider_nowhere()}) as app:
        yield app


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in EXEMPT:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_is_public_or_guarded(app):
    untagged = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in EXEMPT
        and getattr(app.view_functions[rule.endpoint], "access", None) not in KNOWN_ACCESS
    ]
    assert untagged == [], f"routes with no guard and not marked public: {untagged}"


def expected(access: str, actor: str) -> str:
    """What a guard must answer: 'login', 'allowed', 403 or 404."""
    if access == "public":
        return "any"  # a public page may well answer 404 to a made-up token
    if actor == "anonymous":
        return "login"
    if access == "authenticated":
        return "allowed"
    if access == "superuser":
        return "allowed" if actor == "superuser" else 403
    # Domain routes: no role on the domain means it does not exist.
    if actor == "superuser":
        return "allowed"
    if actor == "stranger":
        return 404
    if access == "domain:superuser":
        return 403
    needed = Role(access.split(":", 1)[1])
    return "allowed" if Role(actor) >= needed else 403


@pytest.fixture
def actors(app, make_user, make_domain, grant):
    owner = make_user("owner@example.org")
    domain = make_domain(DOMAIN, owner=owner, status=DomainStatus.ENABLED)
    users = {
        "owner": owner,
        "stranger": make_user("stranger@example.org"),
        "superuser": make_user("staff@example.org", superuser=True),
    }
    for role in (Role.VIEWER, Role.ADMINISTRATOR):
        users[role.value] = make_user(f"{role.value}@example.org")
        grant(users[role.value], domain, role)
    # The stranger owns a domain of their own, so a 404 cannot come from having no domain at all.
    make_domain("elsewhere.fr", owner=users["stranger"])
    db.session.add_all(
        [
            Mailbox(domain_id=domain.id, local_part="jane.doe", first_name="Jane",
                    last_name="Doe", name_key="jane doe", secondary_email="jane@home.org"),
            Alias(domain_id=domain.id, local_part="jane.doe", destination="jane@home.org"),
        ]
    )  # fmt: skip
    db.session.commit()
    # Objects named in URLs: the owner (the last one: removing them is refused, so walking the
    # routes changes nothing) and a pending invitation.
    SAMPLE_VALUES["user_id"] = owner.id
    invitation = Invitation(
        domain_id=domain.id, email="new@example.org", role="viewer", token_hash="0" * 64,
        expires_at=utcnow() + timedelta(days=7),
    )  # fmt: skip
    db.session.add(invitation)
    db.session.commit()
    SAMPLE_VALUES["invitation_id"] = invitation.id
    # An import preview with nothing to create: confirming it while walking changes nothing.
    preview = BulkImport(domain_id=domain.id, kind="mailboxes", file_name="people.csv",
                         expires_at=utcnow() + timedelta(days=1), counts={})  # fmt: skip
    db.session.add(preview)
    db.session.commit()
    SAMPLE_VALUES["import_id"] = preview.id
    return users


def _url(app, rule):
    missing = [arg for arg in rule.arguments if arg not in SAMPLE_VALUES]
    assert not missing, f"add a sample value for {missing} of {rule.rule} to SAMPLE_VALUES"
    with app.test_request_context():
        return app.url_for(rule.endpoint, **{a: SAMPLE_VALUES[a] for a in rule.arguments})


@pytest.mark.parametrize("actor", ACTORS)
def test_each_route_answers_each_role_as_its_guard_says(app, actors, actor):
    client = app.test_client()
    if actor != "anonymous":
        response = client.post_form(
            "/login", {"email": actors[actor].email, "password": "correct-horse-battery"}
        )
        assert response.status_code == 303
    token = client.csrf_token()
    for rule, method in _routes(app):
        view = app.view_functions[rule.endpoint]
        access = view.access
        url = _url(app, rule)
        if method == "GET":
            response = client.get(url)
        else:
            # An empty form: a guard must answer before any validation does.
            response = client.post(url, data={"csrf_token": token})
        want = expected(access, actor)
        where = f"{method} {rule.rule} ({access}) as {actor}"
        assert response.status_code < 500, where
        if want == "login":
            assert response.status_code == 302, where
            assert response.headers["Location"].startswith("/login"), where
        elif want == "any":
            pass
        elif want == "allowed":
            assert response.status_code not in (401, 403, 404), where
        else:
            assert response.status_code == want, where
        if rule.endpoint == "auth.logout" and method == "POST" and actor != "anonymous":
            client.post_form(
                "/login", {"email": actors[actor].email, "password": "correct-horse-battery"}
            )
            token = client.csrf_token()
        db.session.rollback()


def test_a_domain_that_does_not_exist_is_404_for_everybody(app, actors):
    for actor in ("viewer", "superuser"):
        client = app.test_client()
        client.post_form(
            "/login", {"email": actors[actor].email, "password": "correct-horse-battery"}
        )
        for rule, method in _routes(app):
            if "domain" not in rule.arguments or method != "GET":
                continue
            with app.test_request_context():
                url = app.url_for(rule.endpoint, **{**SAMPLE_VALUES, "domain": "missing.fr"})
            assert client.get(url).status_code == 404, (rule.rule, actor)


def test_the_guard_of_a_view_cannot_be_forgotten(app):
    """A route added without a guard is caught: proven on a throwaway view."""

    @app.get("/unguarded-for-the-test")
    def unguarded():
        return "oops"

    with pytest.raises(AssertionError, match="unguarded-for-the-test"):
        test_every_route_is_public_or_guarded(app)


def test_a_viewer_may_edit_the_names_of_their_own_mailbox_only(
    app, make_user, make_domain, grant, login_as, client
):
    domain = make_domain("own.fr", owner=make_user(), status=DomainStatus.ENABLED)
    me = make_user("jane.doe@own.fr")
    grant(me, domain, Role.VIEWER)
    db.session.add_all(
        [
            Mailbox(domain_id=domain.id, local_part="jane.doe", first_name="Jane",
                    last_name="Doe", name_key="jane doe", secondary_email="jane@home.org"),
            Mailbox(domain_id=domain.id, local_part="paul", first_name="Paul",
                    last_name="Roe", name_key="paul roe", secondary_email="paul@home.org"),
        ]
    )  # fmt: skip
    db.session.commit()
    login_as(me)
    mine = client.post_form(
        "/domains/own.fr/mailboxes/jane.doe/",
        {"first_name": "Janet", "last_name": "Doe", "secondary_email": "evil@x.org"},
    )
    assert mine.status_code == 303
    theirs = client.post_form(
        "/domains/own.fr/mailboxes/paul/", {"first_name": "P", "last_name": "R"}
    )
    assert theirs.status_code == 403
    rows = dict(db.session.execute(db.select(Mailbox.local_part, Mailbox.first_name)).all())
    assert rows == {"jane.doe": "Janet", "paul": "Paul"}
    # Names only: the secondary email is not a viewer's to change.
    assert (
        db.session.scalar(
            db.select(Mailbox.secondary_email).where(Mailbox.local_part == "jane.doe")
        )
        == "jane@home.org"
    )


CONFIRMATIONS = {"mailboxes.disable", "aliases.delete"}


def test_confirmation_pages_answer_a_get_with_the_guard_of_their_post(app, actors):
    """A GET shows the confirmation page: only to those who may confirm, and it changes nothing."""
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint in CONFIRMATIONS]
    assert {rule.endpoint for rule in rules if "GET" in rule.methods} == CONFIRMATIONS
    want = {"viewer": 403, "stranger": 404, "administrator": 200, "owner": 200, "superuser": 200}
    for actor, status in want.items():
        client = app.test_client()
        client.post_form(
            "/login", {"email": actors[actor].email, "password": "correct-horse-battery"}
        )
        for rule in rules:
            assert client.get(_url(app, rule)).status_code == status, (rule.rule, actor)
            with app.test_request_context():
                missing = app.url_for(rule.endpoint, **{**SAMPLE_VALUES, "domain": "missing.fr"})
            assert client.get(missing).status_code == 404, (rule.rule, actor)
    assert db.session.scalar(db.select(Mailbox.enabled_wanted)) is True
    assert db.session.scalar(db.select(Alias.status)) == "pending"


def test_require_2fa_holds_every_route_but_enrolment_logout_and_static(test_config, migrated):
    """A superuser REQUIRE_2FA=superusers holds, walked through every route: each one sends
    them to enrolment, but the few a person needs to get there or to leave."""
    from tests.conftest import running_app
    from webapp.two_factor.guard import ALLOWED

    with running_app({**test_config, "REQUIRE_2FA": "superusers"}) as app:
        staff = User(email="staff@example.org", is_superuser=True)
        staff.set_password("correct-horse-battery")
        db.session.add(staff)
        db.session.commit()
        SAMPLE_VALUES["user_id"] = staff.id
        SAMPLE_VALUES.setdefault("invitation_id", 1)
        SAMPLE_VALUES.setdefault("import_id", 1)
        client = app.test_client()
        client.post_form("/login", {"email": staff.email, "password": "correct-horse-battery"})
        token = client.csrf_token()
        for rule, method in _routes(app):
            if rule.endpoint in ALLOWED:
                continue
            url = _url(app, rule)
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": token})
            where = f"{method} {rule.rule}"
            assert response.status_code == 303, where
            assert response.headers["Location"] == "/account/2fa", where
