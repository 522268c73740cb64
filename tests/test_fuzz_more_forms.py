"""Random text in the remaining forms: invitations, roles, accounts, passwords. Never a 500."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webapp.extensions import db
from webapp.models import DomainAccess, DomainStatus, Invitation, Role

FUZZ = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
text = st.text(max_size=300) | st.sampled_from(["viewer", "administrator", "owner", "", "a@b.fr"])


def _setup(client, make_user, make_domain, grant, login_as):
    if getattr(client, "_fuzz_ready", None):
        return client._fuzz_ready
    owner = make_user("owner@example.org")
    domain = make_domain("team.fr", owner=owner, status=DomainStatus.ENABLED)
    other = make_user("other@example.org")
    grant(other, domain, Role.VIEWER)
    login_as(make_user("staff@example.org", superuser=True))
    client._fuzz_ready = (owner, other)
    return client._fuzz_ready


@FUZZ
@given(email=text, role=text, htmx=st.booleans())
def test_invite_form(client, make_user, make_domain, grant, login_as, email, role, htmx):
    _setup(client, make_user, make_domain, grant, login_as)
    response = client.post_form(
        "/domains/team.fr/invitations/", {"email": email, "role": role}, htmx=htmx
    )
    assert response.status_code in (200, 303, 422)
    for stored in db.session.scalars(db.select(Invitation.role)):
        assert stored in {"viewer", "administrator", "owner"}


@FUZZ
@given(role=text, user_id=st.integers(min_value=-5, max_value=2**70), htmx=st.booleans())
def test_role_form(client, make_user, make_domain, grant, login_as, role, user_id, htmx):
    owner, other = _setup(client, make_user, make_domain, grant, login_as)
    target = other.id if user_id % 2 else user_id
    response = client.post_form(
        f"/domains/team.fr/accesses/{target}/role", {"role": role}, htmx=htmx
    )
    assert response.status_code in (200, 303, 404, 422)
    owners = db.session.scalar(
        db.select(db.func.count(DomainAccess.id)).where(DomainAccess.role == "owner")
    )
    assert owners >= 1  # never without an owner


@FUZZ
@given(email=text, name=text)
def test_new_account_form(client, make_user, make_domain, grant, login_as, email, name):
    _setup(client, make_user, make_domain, grant, login_as)
    response = client.post_form("/users/", {"email": email, "name": name})
    assert response.status_code in (303, 422)


@FUZZ
@given(token=st.text(min_size=1, max_size=80), name=text, password=text)
def test_token_pages(client, token, name, password):
    token = token.replace("/", "x").replace("?", "x").replace("#", "x").strip() or "x"
    for url in (f"/invitations/{token}", f"/password/reset/{token}"):
        form = {"name": name, "password": password, "new_password": password, "confirm": password}
        response = client.post_form(url, form)
        assert response.status_code in (404, 410), (url, response.status_code)


@FUZZ
@given(email=text)
def test_forgot_password_form(app, client, email):
    # Past the throttle's limits every answer would be the same refusal: let each reach the form.
    app.config.update(FORGOT_MAX_PER_ADDRESS=10**6, FORGOT_MAX_PER_EMAIL=10**6)
    response = client.post_form("/password/forgot", {"email": email})
    assert response.status_code in (303, 422)
