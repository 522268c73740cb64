"""Random text in every field of the mailbox and alias forms: never a 5xx, never a bad row.

The domain is enabled, so every accepted change is marked and enqueued; no job is ever run here
and the test configuration's DIMAIL_URL points at a port where nothing listens, so dimail is
never called.
"""

import re

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from webapp.extensions import db
from webapp.models import DEVNULL, Alias, DomainStatus, Mailbox
from webapp.models.mailbox import name_key
from webapp.validators import clean_person_name, normalise_email_address

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
ANSWERS = (200, 303, 422)
LOCAL_PART = re.compile(r"[a-z0-9._-]{1,64}")

# Anything at all; text close to what people type (so that some of it is accepted); the values
# at the edges of the rules; and text longer than the forms take.
text = (
    st.text(max_size=300)
    | st.from_regex(r"[a-zA-Z0-9.\-_+@ éÉ%!$'\"<>]{0,70}", fullmatch=True)
    | st.emails()
    | st.sampled_from(
        ["", " ", ".", "a..b", "-", "x" * 64, "x" * 65, DEVNULL, "DevNull@DevNull", "\x00"]
    )
    | st.text(alphabet="ab", min_size=990, max_size=1100)
)
# What people mean to type, so that about half the forms posted have a chance to be accepted.
person_name = st.from_regex(r"[A-Za-zÀ-ÿ' -]{1,30}", fullmatch=True)
typed_local_part = st.from_regex(r"[A-Za-z0-9._-]{0,66}", fullmatch=True)


def form(**plausible):
    """A form's fields: all random text, or all drawn from `plausible`, half of the time each."""
    return st.fixed_dictionaries({name: text for name in plausible}) | st.fixed_dictionaries(
        plausible
    )


@pytest.fixture
def site(app, client, make_user, make_domain, login_as):
    """An enabled domain with one mailbox, and its owner logged in; the CSRF token to send."""
    assert app.config["DIMAIL_URL"] == "http://127.0.0.1:9"  # nowhere: no real call possible
    owner = make_user()
    domain = make_domain("acme.fr", owner=owner, status=DomainStatus.ENABLED)
    db.session.add(
        Mailbox(domain_id=domain.id, local_part="jane.doe", first_name="Jane", last_name="Doe",
                name_key=name_key("Jane", "Doe"), secondary_email="jane@home.org",
                status="pending")
    )  # fmt: skip
    db.session.commit()
    login_as(owner)
    return client.csrf_token()


def post(client, token, url, data, htmx):
    response = client.post_form(url, {**data, "csrf_token": token}, htmx=htmx)
    assert response.status_code in ANSWERS, (response.status_code, data)
    event(f"answered {response.status_code}")  # see --hypothesis-show-statistics
    return response


def assert_stored_mailboxes_are_valid():
    for box in db.session.scalars(db.select(Mailbox)):
        assert LOCAL_PART.fullmatch(box.local_part), box.local_part
        for name in (box.first_name, box.last_name):
            assert name and clean_person_name(name, "name") == name, name
        assert box.name_key == name_key(box.first_name, box.last_name)
        if box.secondary_email is not None:
            assert normalise_email_address(box.secondary_email) == box.secondary_email
            assert box.secondary_email != box.address


def assert_stored_aliases_are_valid():
    for alias in db.session.scalars(db.select(Alias)):
        assert LOCAL_PART.fullmatch(alias.local_part), alias.local_part
        if alias.destination != DEVNULL:
            assert normalise_email_address(alias.destination) == alias.destination
        assert alias.destination != f"{alias.local_part}@acme.fr"


@FUZZ
@given(
    data=form(
        first_name=person_name,
        last_name=person_name,
        local_part=typed_local_part,
        secondary_email=st.emails(),
    ),
    htmx=st.booleans(),
)
def test_mailbox_creation_never_fails(client, site, data, htmx):
    post(client, site, "/domains/acme.fr/mailboxes/", data, htmx)
    assert_stored_mailboxes_are_valid()


@FUZZ
@given(
    data=form(first_name=person_name, last_name=person_name, secondary_email=st.emails()),
    htmx=st.booleans(),
)
def test_mailbox_edit_never_fails(client, site, data, htmx):
    post(client, site, "/domains/acme.fr/mailboxes/jane.doe/", data, htmx)
    assert_stored_mailboxes_are_valid()
    assert db.session.scalar(db.select(db.func.count()).select_from(Mailbox)) == 1


@FUZZ
@given(
    data=form(local_part=typed_local_part, destination=st.emails() | st.just(DEVNULL)),
    htmx=st.booleans(),
)
def test_alias_form_never_fails(client, site, data, htmx):
    post(client, site, "/domains/acme.fr/aliases/", data, htmx)
    assert_stored_aliases_are_valid()
