"""Two requests at the same moment: rules that hold one request at a time must hold for two.

Each request runs in its own thread with its own test client, so its own application context,
database session and connection. A race needs both requests to pass their check before either
writes; rather than hoping the threads fall that way, `meet_after` makes each caller of a
service function wait (a little) for the other after it returns. When the code serialises the
two requests, the second cannot reach the meeting point while the first waits there: the first
gives up waiting and goes on, which is the point.
"""

import contextlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD
from webapp.extensions import db
from webapp.models import AuditEntry, Domain, DomainAccess, Invitation, Mailbox, Role, User
from webapp.models.base import utcnow
from webapp.models.invitation import new_token
from webapp.models.mailbox import name_key
from webapp.permissions import LAST_OWNER
from webapp.services import accesses, accounts, invitations, mailboxes

LAST_TO_LEAVE = "You are the last owner: make someone else owner before leaving."
PATIENCE = 1.5  # seconds a request waits for the other at the meeting point


def meet_after(monkeypatch, module, name: str, parties: int = 2) -> None:
    """Make every call of `module.name` wait, after its answer, until `parties` calls met."""
    real = getattr(module, name)
    barrier = threading.Barrier(parties, timeout=PATIENCE)

    def waiting(*args, **kwargs):
        answer = real(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return answer

    monkeypatch.setattr(module, name, waiting)


def at_once(*calls):
    """Run each call in its own thread, released together; their answers (or errors) in order."""
    start = threading.Barrier(len(calls), timeout=10)

    def run(call):
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [future.result(timeout=60) for future in futures]


def logged_in(app, user: User):
    client = app.test_client()
    response = client.post_form("/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 303
    return client


def owners(domain) -> int:
    db.session.expire_all()
    return db.session.scalar(
        db.select(db.func.count(DomainAccess.id)).where(
            DomainAccess.domain_id == domain.id, DomainAccess.role == Role.OWNER
        )
    )


# ----------------------------------------------------------------------- the last owner


@pytest.fixture
def two_owners(app, make_user, make_domain, grant):
    anna, bob = make_user("anna@example.org"), make_user("bob@example.org")
    domain = make_domain("team.fr", owner=anna)
    grant(bob, domain, Role.OWNER)
    return domain, anna, bob


# The urls are built here, in the test's context: the threads have no application context to
# load an expired attribute of the test's objects with.
def _demote(client, user):
    url = f"/domains/team.fr/accesses/{user.id}/role"
    return lambda: client.post_form(url, {"role": "administrator"})


def _remove(client, user):
    url = f"/domains/team.fr/accesses/{user.id}/remove"
    return lambda: client.post_form(url)


@pytest.mark.parametrize(
    "scenario", ["demote each other", "demote the other and leave", "both leave"]
)
def test_two_owners_at_once_leave_an_owner(app, monkeypatch, two_owners, scenario):
    domain, anna, bob = two_owners
    as_anna, as_bob = logged_in(app, anna), logged_in(app, bob)
    calls = {
        "demote each other": (_demote(as_anna, bob), _demote(as_bob, anna)),
        # Anna in two tabs: she demotes Bob in one and leaves in the other.
        "demote the other and leave": (_demote(as_anna, bob), _remove(as_anna, anna)),
        "both leave": (_remove(as_anna, anna), _remove(as_bob, bob)),
    }[scenario]
    meet_after(monkeypatch, accesses, "_owners")

    answers = at_once(*calls)

    assert owners(domain) == 1
    assert sorted(a.status_code for a in answers) == [303, 422]
    [refused] = [a for a in answers if a.status_code == 422]
    page = refused.get_data(as_text=True)
    assert str(LAST_OWNER) in page or LAST_TO_LEAVE in page


def test_demoting_an_owner_who_leaves_at_that_moment(app, monkeypatch, two_owners):
    """Whichever comes first, the other request answers with a message, never a 500."""
    domain, anna, bob = two_owners
    as_anna, as_bob = logged_in(app, anna), logged_in(app, bob)
    meet_after(monkeypatch, accesses, "_owners")

    answers = at_once(_demote(as_anna, bob), _remove(as_bob, bob))

    assert all(a.status_code in (303, 422) for a in answers), [a.status_code for a in answers]
    assert owners(domain) == 1
    assert db.session.scalar(
        db.select(DomainAccess).where(DomainAccess.user_id == bob.id)
    ) is None  # fmt: skip


def test_a_lock_not_granted_in_time_is_a_message(app, two_owners):
    """SQLite gives up after its busy timeout ("database is locked"), PostgreSQL after its lock
    timeout: the request then says so, and changes nothing."""
    domain, anna, bob = two_owners
    as_anna = logged_in(app, anna)
    sqlite = db.engine.dialect.name == "sqlite"
    url = f"/domains/team.fr/accesses/{bob.id}/role"
    domain_id = domain.id

    @sa.event.listens_for(db.engine, "connect")
    def _impatient(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=200" if sqlite else "SET lock_timeout = '200ms'")
        cursor.close()
        if not sqlite:
            dbapi_connection.commit()  # a SET rolled back with its transaction is undone

    db.session.remove()
    db.engine.dispose()  # new connections, with the short timeout
    with db.engine.connect() as holder:
        holder.execute(sa.text("UPDATE domains SET id = id WHERE id = :id"), {"id": domain_id})
        response = as_anna.post_form(url, {"role": "administrator"})
        holder.rollback()

    assert response.status_code == 422
    assert "right now: try again in a moment" in response.get_data(as_text=True)
    assert owners(db.session.get(Domain, domain_id)) == 2


# ----------------------------------------------------------------------- unique constraints


@pytest.fixture
def as_in_production(app):
    """An error answers 500 and is logged, as in production, instead of reaching the test."""
    app.config["PROPAGATE_EXCEPTIONS"] = False


def _invitation(domain, email="new@example.org", role=Role.VIEWER) -> str:
    token, token_hash = new_token()
    db.session.add(
        Invitation(domain_id=domain.id, email=email, role=role, token_hash=token_hash,
                   expires_at=utcnow() + timedelta(days=7))
    )  # fmt: skip
    db.session.commit()
    return token


def _no_parameters_logged(caplog):
    logged = caplog.text
    hashes = db.session.scalars(db.select(User.password_hash)).all()
    assert "[parameters" not in logged and "IntegrityError" not in logged, logged[-2000:]
    assert not any(h in logged for h in hashes)


def test_two_people_accepting_one_invitation_at_once(
    app, monkeypatch, caplog, as_in_production, make_user, make_domain
):
    """The link forwarded to a colleague, both following it at the same moment."""
    domain = make_domain("team.fr", owner=make_user("owner@example.org"))
    url = f"/invitations/{_invitation(domain)}"
    first, second = app.test_client(), app.test_client()
    forms = [(c, c.csrf_token()) for c in (first, second)]
    meet_after(monkeypatch, invitations, "find_user_by_email")
    caplog.set_level(logging.DEBUG)

    answers = at_once(*(
        lambda c=c, t=t: c.post(url, data={"name": "New", "password": "a-long-password",
                                           "csrf_token": t})
        for c, t in forms
    ))  # fmt: skip

    assert sorted(a.status_code for a in answers) == [303, 422], [a.status_code for a in answers]
    [refused] = [a for a in answers if a.status_code == 422]
    assert "An account with this email exists now: log in to accept." in refused.get_data(
        as_text=True
    )
    assert (
        db.session.scalar(db.select(db.func.count(User.id)).where(User.email == "new@example.org"))
        == 1
    )
    assert db.session.scalar(db.select(db.func.count(DomainAccess.id))) == 2
    _no_parameters_logged(caplog)


def test_one_person_accepting_in_two_tabs_at_once(
    app, monkeypatch, caplog, as_in_production, make_user, make_domain
):
    domain = make_domain("team.fr", owner=make_user("owner@example.org"))
    invitee = make_user("new@example.org")
    url = f"/invitations/{_invitation(domain)}"
    tab = logged_in(app, invitee)
    token = tab.csrf_token()
    meet_after(monkeypatch, invitations, "by_token")
    caplog.set_level(logging.DEBUG)

    answers = at_once(*[lambda: tab.post(url, data={"csrf_token": token})] * 2)

    assert sorted(a.status_code for a in answers) == [303, 410], [a.status_code for a in answers]
    [late] = [a for a in answers if a.status_code == 410]
    assert "This invitation was already used." in late.get_data(as_text=True)
    role = db.session.scalar(db.select(DomainAccess.role).where(DomainAccess.user_id == invitee.id))
    assert role == "viewer"
    entries = db.session.scalar(
        db.select(db.func.count(AuditEntry.id)).where(AuditEntry.kind == "invitation.accepted")
    )
    assert entries == 1
    _no_parameters_logged(caplog)


def test_invited_twice_at_once_an_existing_account_gets_one_access(
    app, monkeypatch, caplog, as_in_production, make_user, make_domain, grant
):
    domain = make_domain("team.fr", owner=make_user("owner@example.org"))
    admin = make_user("admin@example.org")
    grant(admin, domain, Role.ADMINISTRATOR)
    make_user("known@example.org")
    as_owner = logged_in(app, make_user("owner2@example.org"))
    grant(db.session.scalar(db.select(User).where(User.email == "owner2@example.org")), domain,
          Role.OWNER)  # fmt: skip
    as_admin = logged_in(app, admin)
    meet_after(monkeypatch, invitations, "find_user_by_email")
    caplog.set_level(logging.DEBUG)

    answers = at_once(*(
        lambda c=c: c.post_form("/domains/team.fr/invitations/",
                                {"email": "known@example.org", "role": "viewer"})
        for c in (as_owner, as_admin)
    ))  # fmt: skip

    assert sorted(a.status_code for a in answers) == [303, 422], [a.status_code for a in answers]
    [refused] = [a for a in answers if a.status_code == 422]
    assert "known@example.org is already a collaborator (viewer)." in refused.get_data(as_text=True)
    _no_parameters_logged(caplog)


# ----------------------------------------------------------------------- mailbox names


@pytest.fixture
def two_mailboxes(app, make_user, make_domain):
    owner = make_user("owner@example.org")
    domain = make_domain("acme.fr", owner=owner)
    for local, first in (("anna", "Anna"), ("bob", "Bob")):
        db.session.add(
            Mailbox(domain_id=domain.id, local_part=local, first_name=first, last_name="X",
                    name_key=name_key(first, "X"), secondary_email=f"{local}@home.org")
        )  # fmt: skip
    db.session.commit()
    return domain, owner


NAME_TAKEN = "already has a mailbox here"


@pytest.mark.parametrize("on_the_platform", [False, True])
def test_two_mailboxes_renamed_to_the_same_names_at_once(
    app, monkeypatch, caplog, as_in_production, two_mailboxes, on_the_platform
):
    domain, owner = two_mailboxes
    if on_the_platform:  # the rename then marks the mailbox for a sync job as it commits
        db.session.execute(sa.update(Mailbox).values(dimail_created_at=utcnow()))
        db.session.commit()
    first, second = logged_in(app, owner), logged_in(app, owner)
    meet_after(monkeypatch, mailboxes, "name_taken")
    caplog.set_level(logging.DEBUG)

    answers = at_once(*(
        lambda c=c, local=local, names=names: c.post_form(
            f"/domains/acme.fr/mailboxes/{local}/",
            {"first_name": names[0], "last_name": names[1],
             "secondary_email": f"{local}@home.org"})
        for c, local, names in ((first, "anna", ("Sam", "Same")), (second, "bob", ("SAM", "same")))
    ))  # fmt: skip

    assert sorted(a.status_code for a in answers) == [303, 422], [a.status_code for a in answers]
    [refused] = [a for a in answers if a.status_code == 422]
    assert NAME_TAKEN in refused.get_data(as_text=True)
    keys = db.session.scalars(db.select(Mailbox.name_key).order_by(Mailbox.local_part)).all()
    kept = {name_key("Anna", "X"), name_key("Bob", "X")} & set(keys)
    assert len(kept) == 1 and sorted(keys) == sorted([*kept, name_key("Sam", "Same")])
    _no_parameters_logged(caplog)


def test_two_mailboxes_created_with_the_same_names_at_once(
    app, monkeypatch, caplog, as_in_production, two_mailboxes
):
    _domain, owner = two_mailboxes
    first, second = logged_in(app, owner), logged_in(app, owner)
    meet_after(monkeypatch, mailboxes, "name_taken")
    caplog.set_level(logging.DEBUG)

    answers = at_once(*(
        lambda c=c, local=local: c.post_form(
            "/domains/acme.fr/mailboxes/",
            {"first_name": "Sam", "last_name": "Same", "local_part": local,
             "secondary_email": "sam@home.org"})
        for c, local in ((first, "sam"), (second, "sam.same"))
    ))  # fmt: skip

    assert sorted(a.status_code for a in answers) == [303, 422], [a.status_code for a in answers]
    [refused] = [a for a in answers if a.status_code == 422]
    page = refused.get_data(as_text=True)
    assert NAME_TAKEN in page and "already exists" not in page
    _no_parameters_logged(caplog)


def test_staff_creating_one_account_twice_at_once(
    app, monkeypatch, caplog, as_in_production, make_user
):
    staff = make_user("staff@example.org", superuser=True)
    first, second = logged_in(app, staff), logged_in(app, staff)
    meet_after(monkeypatch, accounts, "find_user_by_email")
    caplog.set_level(logging.DEBUG)

    answers = at_once(*(
        lambda c=c: c.post_form("/users/", {"email": "fresh@example.org", "name": "Fresh"})
        for c in (first, second)
    ))  # fmt: skip

    assert sorted(a.status_code for a in answers) == [303, 422], [a.status_code for a in answers]
    [refused] = [a for a in answers if a.status_code == 422]
    assert "An account with this email already exists." in refused.get_data(as_text=True)
    _no_parameters_logged(caplog)
