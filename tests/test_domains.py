import pytest

from webapp.extensions import db
from webapp.models import Domain, DomainAccess, DomainStatus, Role


def create(client, name, support_email="support@example.org", **kwargs):
    return client.post_form("/domains/", {"name": name, "support_email": support_email}, **kwargs)


def test_create_a_domain_makes_the_creator_owner(client, owner):
    response = create(client, "Example.FR")
    assert response.status_code == 303
    assert response.headers["Location"] == "/domains/example.fr/"
    domain = db.session.scalar(db.select(Domain).where(Domain.name == "example.fr"))
    assert domain.status == DomainStatus.PENDING
    assert domain.support_email == "support@example.org"
    access = db.session.scalar(db.select(DomainAccess).where(DomainAccess.domain_id == domain.id))
    assert (access.user_id, access.role) == (owner.id, Role.OWNER)

    page = client.get("/domains/").get_data(as_text=True)
    assert "example.fr" in page
    assert 'data-status="pending"' in page


def test_create_with_htmx_navigates_with_hx_redirect(client, owner):
    response = create(client, "example.fr", htmx=True)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/domains/example.fr/"


def test_international_names_are_stored_as_punycode_and_shown_in_unicode(client, owner):
    response = create(client, "exämple.fr")
    assert response.headers["Location"] == "/domains/xn--exmple-cua.fr/"
    page = client.get("/domains/xn--exmple-cua.fr/").get_data(as_text=True)
    assert "exämple.fr" in page
    assert "xn--exmple-cua.fr" in page
    assert "exämple.fr" in client.get("/domains/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Enter a domain name"),
        ("   ", "Enter a domain name"),
        (("a" * 62 + ".") * 4 + "fr", "at most 253 characters"),
        ("a" * 64 + ".fr", "at most 63 characters"),
        ("-example.fr", "hyphen"),
        ("example-.fr", "hyphen"),
        ("exa_mple.fr", "underscores"),
        ("exa mple.fr", "spaces"),
        ("https://x.fr", "without http"),
        ("x.fr/path", "without a path"),
        ("example.fr.", "dot at the end"),
        ("192.168.1.1", "IP address"),
        ("[::1]", "IP address"),
        ("localhost", "at least one dot"),
        ("a..fr", "two dots"),
        ("jane@example.fr", "not an email"),
        ("exa$mple.fr", "not a valid domain name"),
    ],
)
def test_bad_domain_names_get_a_message_on_the_field(client, owner, name, message):
    response = create(client, name)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert '<p class="field-error" id="name-error">' in page
    assert 'value="support@example.org"' in page  # the rest of what was typed is kept
    assert db.session.scalar(db.select(db.func.count(Domain.id))) == 0


@pytest.mark.parametrize("email", ["", "nobody", "a@", "@b.fr", "a b@c.fr", "a@b", "a@@b.fr"])
def test_bad_support_emails_are_refused(client, owner, email):
    response = create(client, "example.fr", email)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert '<p class="field-error" id="support_email-error">' in page
    assert 'value="example.fr"' in page


def test_uppercase_is_accepted_and_lowered(client, owner):
    assert create(client, "EXAMPLE.ORG").headers["Location"] == "/domains/example.org/"


def test_a_duplicate_name_gets_a_message_on_the_field(client, owner, make_domain):
    make_domain("example.fr")
    response = create(client, "Example.fr", htmx=True)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "already registered" in page
    assert page.lstrip().startswith("<form")  # htmx gets the form partial only


def test_invalid_form_with_htmx_returns_the_partial_with_422(client, owner):
    response = create(client, "bad_name", htmx=True)
    assert response.status_code == 422
    assert "<html" not in response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]


def test_domain_creation_restricted_to_superusers(app, client, owner, make_user):
    app.config["DOMAIN_CREATION"] = "superusers"
    assert create(client, "example.fr").status_code == 403
    assert 'id="create-domain"' not in client.get("/domains/").get_data(as_text=True)
    client.post_form("/logout")
    staff = make_user("staff@example.org", superuser=True)
    client.post_form("/login", {"email": staff.email, "password": "correct-horse-battery"})
    assert create(client, "example.fr").status_code == 303


def test_the_list_shows_mine_only_and_all_for_superusers(
    client, make_user, make_domain, grant, login_as
):
    me = make_user("me@example.org")
    other = make_user("other@example.org")
    mine = make_domain("mine.fr", owner=me)
    make_domain("theirs.fr", owner=other)
    shared = make_domain("shared.fr", owner=other)
    grant(me, shared, Role.VIEWER)

    login_as(me)
    page = client.get("/domains/").get_data(as_text=True)
    assert "mine.fr" in page and "shared.fr" in page and "theirs.fr" not in page
    assert "Viewer" in page and "Owner" in page
    assert mine.name == "mine.fr"

    client.post_form("/logout")
    login_as(make_user("staff@example.org", superuser=True))
    page = client.get("/domains/").get_data(as_text=True)
    assert "mine.fr" in page and "shared.fr" in page and "theirs.fr" in page


def test_the_list_shows_collaborator_counts(client, make_user, make_domain, grant, login_as):
    me = make_user()
    domain = make_domain("team.fr", owner=me)
    grant(make_user(), domain, Role.VIEWER)
    grant(make_user(), domain, Role.ADMINISTRATOR)
    login_as(me)
    page = client.get("/domains/").get_data(as_text=True)
    assert '<td class="num" data-label="Collaborators">3</td>' in page


def test_search_works_as_a_plain_get_and_as_htmx(client, make_user, make_domain, login_as):
    me = make_user()
    for name in ("alpha.fr", "beta.fr", "alphabet.org"):
        make_domain(name, owner=me)
    login_as(me)
    full = client.get("/domains/?q=alpha")
    page = full.get_data(as_text=True)
    assert (
        "<html" in page and "alpha.fr" in page and "alphabet.org" in page and "beta.fr" not in page
    )
    assert 'value="alpha"' in page

    partial = client.get("/domains/?q=ALPHA", headers={"HX-Request": "true"})
    body = partial.get_data(as_text=True)
    assert "<html" not in body and 'id="domain-list"' in body
    assert "alpha.fr" in body and "beta.fr" not in body
    assert "HX-Request" in partial.headers["Vary"]

    restore = client.get(
        "/domains/?q=alpha", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.get_data(as_text=True)


def test_search_finds_unicode_names_by_their_unicode_form(client, make_user, make_domain, login_as):
    me = make_user()
    make_domain("xn--exmple-cua.fr", owner=me)
    login_as(me)
    assert "exämple.fr" in client.get("/domains/?q=exämple.fr").get_data(as_text=True)


def test_the_list_is_paginated(app, client, make_user, make_domain, login_as):
    app.config["PAGE_SIZE"] = 5
    me = make_user()
    for i in range(12):
        make_domain(f"d{i:02}.fr", owner=me)
    login_as(me)
    page3 = client.get("/domains/?page=3").get_data(as_text=True)
    assert "Page 3 of 3" in page3 and "d10.fr" in page3 and "d00.fr" not in page3
    assert "Page 3 of 3" in client.get("/domains/?page=99").get_data(as_text=True)
    assert "Page 1 of 3" in client.get("/domains/?page=abc").get_data(as_text=True)


def test_domain_page_shows_status_explanation_support_role_and_collaborators(
    client, make_user, make_domain, grant, login_as
):
    owner = make_user("owner@example.org", name="Olive Owner")
    domain = make_domain("example.fr", owner=owner)
    viewer = make_user("viewer@example.org")
    grant(viewer, domain, Role.VIEWER)
    login_as(viewer)
    page = client.get("/domains/example.fr/").get_data(as_text=True)
    assert 'data-status="pending"' in page
    assert DomainStatus.PENDING.explanation in page
    assert "support@example.fr" in page
    assert "Olive Owner" in page and "owner@example.org" in page and "viewer@example.org" in page
    assert "<dt>My role</dt><dd>Viewer</dd>" in page
    assert 'id="status-form"' not in page  # only superusers set statuses


def test_strangers_get_404_on_a_domain(client, make_user, make_domain, login_as):
    make_domain("secret.fr", owner=make_user())
    login_as(make_user())
    assert client.get("/domains/secret.fr/").status_code == 404
    assert client.get("/domains/does-not-exist.fr/").status_code == 404


def test_a_viewer_sees_no_create_controls_when_creation_is_restricted(
    app, client, make_user, login_as
):
    app.config["DOMAIN_CREATION"] = "superusers"
    login_as(make_user())
    page = client.get("/domains/").get_data(as_text=True)
    assert 'id="create-domain"' not in page
    assert "Ask the owner of a domain to invite you" in page


@pytest.mark.parametrize("status", list(DomainStatus))
def test_a_superuser_sets_any_status_by_hand(client, make_user, make_domain, login_as, status):
    domain = make_domain("example.fr", owner=make_user())
    login_as(make_user(superuser=True))
    response = client.post_form("/domains/example.fr/status", {"status": status.value})
    assert response.status_code == 303
    db.session.refresh(domain)
    assert domain.status == status
    page = client.get("/domains/example.fr/").get_data(as_text=True)
    assert f'data-status="{status.value}"' in page


def test_an_unknown_status_is_refused_on_the_field(client, make_user, make_domain, login_as):
    domain = make_domain("example.fr", owner=make_user())
    login_as(make_user(superuser=True))
    response = client.post_form("/domains/example.fr/status", {"status": "hacked"}, htmx=True)
    assert response.status_code == 422
    assert "field-error" in response.get_data(as_text=True)
    db.session.refresh(domain)
    assert domain.status == DomainStatus.PENDING


def test_owners_cannot_set_a_status_by_hand(client, make_user, make_domain, login_as):
    owner = make_user()
    domain = make_domain("example.fr", owner=owner)
    login_as(owner)
    assert client.post_form("/domains/example.fr/status", {"status": "enabled"}).status_code == 403
    db.session.refresh(domain)
    assert domain.status == DomainStatus.PENDING


def test_flash_messages_travel_out_of_band_to_htmx(client, make_user, make_domain, login_as):
    make_domain("example.fr", owner=make_user())
    login_as(make_user(superuser=True))
    client.post_form("/domains/example.fr/status", {"status": "disabled"})
    # The flash waits for the next page; an htmx fragment carries it out of band.
    response = client.get("/domains/?q=example", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    # Into the permanent live region: its content only, never the element.
    assert 'id="flashes"' in body and 'hx-swap-oob="innerHTML"' in body
    assert "The domain is now disabled." in body


def test_csrf_token_in_the_htmx_header_is_accepted(client, make_user, login_as):
    login_as(make_user())
    token = client.csrf_token()
    response = client.post(
        "/domains/",
        data={"name": "header.fr", "support_email": "a@header.fr"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/domains/header.fr/"


def test_posts_without_csrf_are_refused(client, make_user, login_as):
    login_as(make_user())
    response = client.post("/domains/", data={"name": "x.fr", "support_email": "a@x.fr"})
    assert response.status_code == 400
    assert "The form has expired" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Domain.id))) == 0
