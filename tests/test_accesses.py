"""Collaborators: the rank rules, cell by cell, and what each page offers."""

import pytest

from webapp.extensions import db
from webapp.models import AuditEntry, DomainAccess, DomainStatus, Role

V, A, O = Role.VIEWER, Role.ADMINISTRATOR, Role.OWNER  # noqa: E741 - short, for the table
OK, REFUSED, FORBIDDEN, HIDDEN = 303, 422, 403, 404

# (actor, target's role, action) -> answer. Actions: "viewer", "administrator", "owner" set that
# role (a grant, a demotion or nothing new); "remove" takes the access away. The domain always
# has another owner than the target, so these cells are never about the last owner.
MATRIX = {
    ("stranger", V, "viewer"): HIDDEN, ("stranger", V, "administrator"): HIDDEN,
    ("stranger", V, "owner"): HIDDEN, ("stranger", V, "remove"): HIDDEN,
    ("stranger", A, "viewer"): HIDDEN, ("stranger", A, "administrator"): HIDDEN,
    ("stranger", A, "owner"): HIDDEN, ("stranger", A, "remove"): HIDDEN,
    ("stranger", O, "viewer"): HIDDEN, ("stranger", O, "administrator"): HIDDEN,
    ("stranger", O, "owner"): HIDDEN, ("stranger", O, "remove"): HIDDEN,

    ("viewer", V, "viewer"): FORBIDDEN, ("viewer", V, "administrator"): FORBIDDEN,
    ("viewer", V, "owner"): FORBIDDEN, ("viewer", V, "remove"): FORBIDDEN,
    ("viewer", A, "viewer"): FORBIDDEN, ("viewer", A, "administrator"): FORBIDDEN,
    ("viewer", A, "owner"): FORBIDDEN, ("viewer", A, "remove"): FORBIDDEN,
    ("viewer", O, "viewer"): FORBIDDEN, ("viewer", O, "administrator"): FORBIDDEN,
    ("viewer", O, "owner"): FORBIDDEN, ("viewer", O, "remove"): FORBIDDEN,

    ("administrator", V, "viewer"): OK, ("administrator", V, "administrator"): OK,
    ("administrator", V, "owner"): REFUSED, ("administrator", V, "remove"): OK,
    ("administrator", A, "viewer"): OK, ("administrator", A, "administrator"): OK,
    ("administrator", A, "owner"): REFUSED, ("administrator", A, "remove"): OK,
    ("administrator", O, "viewer"): REFUSED, ("administrator", O, "administrator"): REFUSED,
    ("administrator", O, "owner"): OK, ("administrator", O, "remove"): REFUSED,

    ("owner", V, "viewer"): OK, ("owner", V, "administrator"): OK,
    ("owner", V, "owner"): OK, ("owner", V, "remove"): OK,
    ("owner", A, "viewer"): OK, ("owner", A, "administrator"): OK,
    ("owner", A, "owner"): OK, ("owner", A, "remove"): OK,
    ("owner", O, "viewer"): OK, ("owner", O, "administrator"): OK,
    ("owner", O, "owner"): OK, ("owner", O, "remove"): OK,

    ("superuser", V, "viewer"): OK, ("superuser", V, "administrator"): OK,
    ("superuser", V, "owner"): OK, ("superuser", V, "remove"): OK,
    ("superuser", A, "viewer"): OK, ("superuser", A, "administrator"): OK,
    ("superuser", A, "owner"): OK, ("superuser", A, "remove"): OK,
    ("superuser", O, "viewer"): OK, ("superuser", O, "administrator"): OK,
    ("superuser", O, "owner"): OK, ("superuser", O, "remove"): OK,
}  # fmt: skip


@pytest.mark.parametrize(("actor_kind", "target_role", "action"), sorted(MATRIX, key=str))
def test_rank_rules(
    client, make_user, make_domain, grant, login_as, actor_kind, target_role, action
):
    domain = make_domain("team.fr", owner=make_user("first-owner@example.org"), status="enabled")
    target = make_user("target@example.org")
    grant(target, domain, target_role)
    actor = make_user("actor@example.org", superuser=actor_kind == "superuser")
    if actor_kind in ("viewer", "administrator", "owner"):
        grant(actor, domain, Role(actor_kind))
    login_as(actor)
    entries_before = db.session.scalar(db.select(db.func.count(AuditEntry.id)))

    if action == "remove":
        response = client.post_form(f"/domains/team.fr/accesses/{target.id}/remove")
    else:
        response = client.post_form(f"/domains/team.fr/accesses/{target.id}/role", {"role": action})

    expected = MATRIX[(actor_kind, target_role, action)]
    assert response.status_code == expected, response.get_data(as_text=True)[:400]
    role = db.session.scalar(
        db.select(DomainAccess.role).where(
            DomainAccess.domain_id == domain.id, DomainAccess.user_id == target.id
        )
    )
    entries_after = db.session.scalar(db.select(db.func.count(AuditEntry.id)))
    if expected == OK:
        assert role == (None if action == "remove" else action)
    else:
        assert role == target_role  # a refusal changes nothing...
        assert entries_after == entries_before  # ...and records nothing
    if expected == REFUSED:
        page = response.get_data(as_text=True)
        assert "owner" in page.lower() or "above your own" in page


@pytest.mark.parametrize("actor_kind", ["owner", "superuser"])
@pytest.mark.parametrize("action", ["viewer", "administrator", "remove"])
def test_the_last_owner_stays(client, make_user, make_domain, login_as, actor_kind, action):
    sole = make_user("sole@example.org")
    domain = make_domain("team.fr", owner=sole)
    actor = sole if actor_kind == "owner" else make_user("staff@example.org", superuser=True)
    login_as(actor)
    url = f"/domains/team.fr/accesses/{sole.id}/" + ("remove" if action == "remove" else "role")
    response = client.post_form(url, {} if action == "remove" else {"role": action})
    assert response.status_code == REFUSED
    assert "owner" in response.get_data(as_text=True)
    role = db.session.scalar(
        db.select(DomainAccess.role).where(DomainAccess.domain_id == domain.id)
    )
    assert role == "owner"


def test_anyone_may_leave_but_the_last_owner(client, make_user, make_domain, grant, login_as):
    domain = make_domain("team.fr", owner=make_user())
    viewer = make_user("viewer@example.org")
    grant(viewer, domain, Role.VIEWER)
    login_as(viewer)
    response = client.post_form(f"/domains/team.fr/accesses/{viewer.id}/remove")
    assert response.status_code == 303 and response.headers["Location"] == "/domains/"
    assert client.get("/domains/team.fr/").status_code == 404


def test_the_page_offers_only_what_the_rules_allow(client, make_user, make_domain, grant, login_as):
    owner = make_user("owner@example.org")
    domain = make_domain("team.fr", owner=owner)
    admin = make_user("admin@example.org")
    grant(admin, domain, Role.ADMINISTRATOR)
    grant(make_user("viewer@example.org"), domain, Role.VIEWER)
    login_as(admin)
    page = client.get("/domains/team.fr/accesses/").get_data(as_text=True)
    # The owner's row has no controls for an administrator; the viewer's offers up to admin.
    owner_row = page.split("<td>owner@example.org</td>")[1].split("</tr>")[0]
    assert "<select" not in owner_row and "Remove" not in owner_row
    viewer_row = page.split("<td>viewer@example.org</td>")[1].split("</tr>")[0]
    assert 'value="administrator"' in viewer_row and 'value="owner"' not in viewer_row
    assert '<option value="owner"' not in page.split('id="invite-form"')[1]


def test_viewers_see_collaborators_without_controls(
    client, make_user, make_domain, grant, login_as
):
    domain = make_domain(
        "team.fr", owner=make_user("owner@example.org"), status=DomainStatus.ENABLED
    )
    viewer = make_user()
    grant(viewer, domain, Role.VIEWER)
    login_as(viewer)
    page = client.get("/domains/team.fr/accesses/").get_data(as_text=True)
    assert "owner@example.org" in page
    assert "<select" not in page and 'id="invite-form"' not in page
