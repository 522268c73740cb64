"""Random text in every field of every form of this issue: never a 500, never a stored bad row."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webapp.extensions import db
from webapp.models import Domain
from webapp.validators import InvalidValue, normalise_domain_name

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
text = st.text(max_size=300) | st.from_regex(r"[a-zA-Z0-9.\-_:/@ ]{0,80}", fullmatch=True)


@FUZZ
@given(name=text, support_email=text, htmx=st.booleans())
def test_domain_form_never_fails(client, make_user, login_as, name, support_email, htmx):
    if not getattr(client, "_fuzz_logged_in", False):
        login_as(make_user(superuser=True))
        client._fuzz_logged_in = True
    response = client.post_form(
        "/domains/", {"name": name, "support_email": support_email}, htmx=htmx
    )
    assert response.status_code in (200, 303, 422), response.status_code
    for stored in db.session.scalars(db.select(Domain.name)):
        assert normalise_domain_name(stored) == stored


@FUZZ
@given(email=text, password=text)
def test_login_form_never_fails(client, email, password):
    response = client.post_form("/login", {"email": email, "password": password})
    assert response.status_code == 422


@FUZZ
@given(query=text, page=text)
def test_domain_search_never_fails(client, make_user, login_as, query, page):
    if not getattr(client, "_fuzz_logged_in", False):
        login_as(make_user())
        client._fuzz_logged_in = True
    response = client.get("/domains/", query_string={"q": query, "page": page})
    assert response.status_code == 200


@FUZZ
@given(name=st.text(max_size=300))
def test_the_validator_either_accepts_a_valid_name_or_says_why(name):
    try:
        result = normalise_domain_name(name)
    except InvalidValue as exc:
        assert str(exc)
    else:
        assert result == result.lower() and len(result) <= 253
        assert all(0 < len(label) <= 63 for label in result.split("."))
