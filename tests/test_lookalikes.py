"""Names people cannot confuse: lookalike domains are refused, internationalised names show their
punycode in lists, mailbox names are compared by what they look like, and an account on an
internationalised domain owns its mailbox whichever form its address was written in."""

import pytest

from tests.conftest import PASSWORD
from webapp.extensions import db
from webapp.models import Domain, DomainStatus, Mailbox, Role
from webapp.models.mailbox import name_key
from webapp.services.accounts import create_user
from webapp.validators import normalise_email_address

CYRILLIC_A = "\u0430"
CYRILLIC_O = "\u043e"


@pytest.fixture
def owner(make_user, login_as):
    user = make_user("owner@example.org")
    login_as(user)
    return user


def create_domain(client, name, **kwargs):
    form = {"name": name, "support_email": "support@example.org"}
    return client.post_form("/domains/", form, **kwargs)


def field_error(response, field):
    page = response.get_data(as_text=True)
    start = page.index(f'id="{field}-error"')
    return page[start : page.index("</p>", start)]


def domain_count():
    return db.session.scalar(db.select(db.func.count(Domain.id)))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (f"{CYRILLIC_A}lpha.example", "mixes Cyrillic and Latin letters"),
        ("abc\u03b4.com", "mixes Greek and Latin letters"),
        # Cyrillic throughout, yet it reads "ape.com" and "apple.com": whole-script lookalikes.
        ("\u0430\u0440\u0435.com", "look exactly like the plain letters “ape”"),
        ("xn--80ak6aa92e.com", "look exactly like the plain letters “apple”"),
        ("\u043c\u043e\u0441\u043a\u0432\u0430.com", "Cyrillic letters"),
    ],
)
def test_lookalike_domains_are_refused_next_to_the_field(client, owner, name, message):
    response = create_domain(client, name, htmx=True)
    assert response.status_code == 422
    assert message in field_error(response, "name")
    assert domain_count() == 0


@pytest.mark.parametrize(
    ("name", "ascii_name"),
    [
        ("café.fr", "xn--caf-dma.fr"),
        ("münchen.de", "xn--mnchen-3ya.de"),
        ("日本語.jp", "xn--wgv71a119e.jp"),
        ("ドメイン名例.jp", "xn--eckwd4c7cu47r2wf.jp"),
        ("abc日本.jp", "xn--abc-v08fl0d.jp"),  # Latin with Han: what Japanese names do
        ("москва.рф", "xn--80adxhks.xn--p1ai"),  # Cyrillic under a Cyrillic top-level domain
        ("παράδειγμα.gr", "xn--hxajbheg2az3al.gr"),
    ],
)
def test_real_international_domains_are_listed_with_their_punycode(client, owner, name, ascii_name):
    assert create_domain(client, name).status_code == 303
    page = client.get("/domains/").get_data(as_text=True)
    assert name in page
    assert f'<span class="muted small" data-ascii>{ascii_name}</span>' in page


def test_mailbox_addresses_of_an_international_domain_show_their_punycode(
    client, owner, make_domain
):
    domain = make_domain("xn--mnchen-3ya.de", owner=owner, status=DomainStatus.PENDING)
    db.session.add(
        Mailbox(domain_id=domain.id, local_part="jane", first_name="Jane", last_name="Doe",
                name_key=name_key("Jane", "Doe"))
    )  # fmt: skip
    db.session.commit()
    page = client.get("/domains/xn--mnchen-3ya.de/mailboxes/").get_data(as_text=True)
    assert "jane@münchen.de" in page
    assert '<span class="muted small" data-ascii>jane@xn--mnchen-3ya.de</span>' in page
    own_page = client.get("/domains/xn--mnchen-3ya.de/mailboxes/jane/").get_data(as_text=True)
    assert "jane@xn--mnchen-3ya.de" in own_page


MAILBOX = {
    "first_name": "Bob",
    "last_name": "Roe",
    "local_part": "bob",
    "secondary_email": "bob@home.org",
}


@pytest.fixture
def bob(client, owner, make_domain):
    make_domain("acme.fr", owner=owner, status=DomainStatus.PENDING)
    assert client.post_form("/domains/acme.fr/mailboxes/", MAILBOX).status_code == 303


def add_mailbox(client, first, last, local_part="other"):
    form = {**MAILBOX, "first_name": first, "last_name": last, "local_part": local_part}
    return client.post_form("/domains/acme.fr/mailboxes/", form, htmx=True)


def local_parts():
    return set(db.session.scalars(db.select(Mailbox.local_part)))


@pytest.mark.parametrize(
    ("last_name", "message"),
    [
        ("R\u200boe", "U+200B ZERO WIDTH SPACE"),
        ("Roe\u200d", "U+200D ZERO WIDTH JOINER"),
        ("\u202eeoR", "U+202E RIGHT-TO-LEFT OVERRIDE"),  # shows as "Roe"
        ("\u2067Roe\u2069", "U+2067 RIGHT-TO-LEFT ISOLATE, U+2069 POP DIRECTIONAL ISOLATE"),
        ("Ro\u00ade", "U+00AD SOFT HYPHEN"),
        ("Roe\u3164", "U+3164 HANGUL FILLER"),
    ],
)
def test_invisible_characters_are_refused_in_names(client, bob, last_name, message):
    response = add_mailbox(client, "Bob", last_name)
    assert response.status_code == 422
    error = field_error(response, "last_name")
    assert "Remove the invisible character" in error and message in error
    assert local_parts() == {"bob"}


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("Bob", f"R{CYRILLIC_O}e"),  # Cyrillic о
        (f"B{CYRILLIC_O}b", f"R{CYRILLIC_O}e"),
        ("ＢＯＢ", "ｒｏｅ"),  # fullwidth
        ("B0b", "Roe"),  # a zero for an o
        ("bob", "ROE"),
    ],
)
def test_names_that_look_like_bob_roe_are_refused_naming_his_mailbox(client, bob, first, last):
    response = add_mailbox(client, first, last)
    assert response.status_code == 422
    error = field_error(response, "first_name")
    assert "bob@acme.fr" in error
    assert local_parts() == {"bob"}


def test_nfd_and_nfc_spellings_of_one_name_are_one_name(client, bob):
    assert add_mailbox(client, "Bob", "Ro\u00e9", "nfc").status_code == 200  # HX-Redirect
    response = add_mailbox(client, "Bob", "Roe\u0301", "nfd")
    assert response.status_code == 422
    assert "nfc@acme.fr" in field_error(response, "first_name")
    assert local_parts() == {"bob", "nfc"}


def test_renaming_into_a_lookalike_is_refused_too(client, bob):
    assert add_mailbox(client, "Alice", "Roe", "alice").status_code == 200
    response = client.post_form(
        "/domains/acme.fr/mailboxes/alice/",
        {"first_name": "Bob", "last_name": f"R{CYRILLIC_O}e", "secondary_email": "a@home.org"},
        htmx=True,
    )
    assert response.status_code == 422
    assert "looks the same as “Bob Roe”" in field_error(response, "first_name")
    names = db.session.scalar(db.select(Mailbox.last_name).where(Mailbox.local_part == "alice"))
    assert names == "Roe"


def test_a_search_folds_compatibility_forms_and_case(client, bob):
    page = client.get("/domains/acme.fr/mailboxes/", query_string={"q": "ＲＯＥ"})
    assert "1 mailbox matching “ＲＯＥ”" in page.get_data(as_text=True)


@pytest.mark.parametrize("made_by", ["invitation", "command line"])
def test_a_viewer_edits_their_own_mailbox_on_an_international_domain(
    client, make_user, make_domain, grant, login_as, made_by
):
    domain = make_domain("xn--mnchen-3ya.de", owner=make_user(), status=DomainStatus.ENABLED)
    db.session.add(
        Mailbox(domain_id=domain.id, local_part="jane.doe", first_name="Jane", last_name="Doe",
                name_key=name_key("Jane", "Doe"), secondary_email="jane@home.org")
    )  # fmt: skip
    db.session.commit()
    if made_by == "invitation":  # invitations store the address as email-validator writes it
        me = make_user(normalise_email_address("Jane.Doe@XN--MNCHEN-3YA.DE"))
    else:  # flask create-user with the address as the domain row spells it
        me = create_user("Jane.Doe@XN--MNCHEN-3YA.DE", PASSWORD).value
    grant(me, domain, Role.VIEWER)
    login_as(me)
    page = client.get("/domains/xn--mnchen-3ya.de/mailboxes/jane.doe/")
    assert 'name="first_name"' in page.get_data(as_text=True)  # the edit form
    response = client.post_form(
        "/domains/xn--mnchen-3ya.de/mailboxes/jane.doe/",
        {"first_name": "Janet", "last_name": "Doe"},
    )
    assert response.status_code == 303
    assert db.session.scalar(db.select(Mailbox.first_name)) == "Janet"
