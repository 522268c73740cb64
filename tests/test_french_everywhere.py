"""Every page a person reaches, read in French, holds none of the application's own English
sentences: whole messages of the catalogue whose French differs (single words such as "Alias"
are the same in both languages and are not looked for)."""

import html
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from webapp.extensions import db
from webapp.models import Alias, AliasStatus, DomainStatus, Mailbox, MailboxStatus, Role
from webapp.models.mailbox import name_key
from webapp.services import invitations

CATALOGUE = (
    Path(__file__).resolve().parent.parent / "webapp/translations/fr/LC_MESSAGES/messages.po"
)
FR = {"Accept-Language": "fr-FR,fr;q=0.9"}
TAGS = re.compile(r"<[^>]+>")
SPACES = re.compile(r"\s+")


def english_sentences() -> list[str]:
    """The catalogue's English messages of four words or more without parameters, whose French
    is another text: any of them on a French page is a message left untranslated."""
    with CATALOGUE.open("rb") as f:
        catalogue = read_po(f, locale="fr")
    found = []
    for message in catalogue:
        if not message.id or isinstance(message.id, tuple) or not message.string:
            continue
        if "%(" in message.id or "{" in message.id or len(message.id.split()) < 4:
            continue
        if message.string != message.id:
            found.append(SPACES.sub(" ", message.id).strip())
    return found


def visible_text(body: str) -> str:
    return SPACES.sub(" ", html.unescape(TAGS.sub(" ", body)))


@pytest.fixture
def acme(make_user, make_domain, login_as, grant):
    owner = make_user("owner@example.org", superuser=True)
    domain = make_domain("acme.fr", owner=owner, status=DomainStatus.ENABLED)
    db.session.add_all([
        Mailbox(domain_id=domain.id, local_part="jane", first_name="Jane", last_name="Doe",
                name_key=name_key("Jane", "Doe"), secondary_email="jane@home.org",
                status=MailboxStatus.ENABLED),
        Mailbox(domain_id=domain.id, local_part="paul", first_name="Paul", last_name="Roe",
                name_key=name_key("Paul", "Roe"), status=MailboxStatus.FAILED),
        Alias(domain_id=domain.id, local_part="contact", destination="jane@acme.fr",
              status=AliasStatus.ENABLED),
    ])  # fmt: skip
    db.session.commit()
    grant(make_user("viewer@example.org"), domain, Role.VIEWER)
    login_as(owner)
    invitations.invite(domain, "new@example.org", "administrator", owner, Role.OWNER)
    return domain


PAGES = [
    "/domains/",
    "/domains/acme.fr/",
    "/domains/acme.fr/mailboxes/",
    "/domains/acme.fr/mailboxes/jane/",
    "/domains/acme.fr/mailboxes/paul/",
    "/domains/acme.fr/aliases/",
    "/domains/acme.fr/accesses/",
    "/domains/acme.fr/log/",
    "/domains/acme.fr/drift",
    "/account/password",
    "/account/sessions",
    "/account/invitations",
    "/account/2fa",
    "/users/",
    "/domains/no-such.fr/",
]


def test_the_catalogue_gives_enough_sentences_to_look_for():
    assert len(english_sentences()) > 150


@pytest.mark.parametrize("url", PAGES)
def test_a_page_read_in_french_holds_no_english_sentence(client, acme, url):
    response = client.get(url, headers=FR)
    assert response.status_code in (200, 404)
    page = visible_text(response.get_data(as_text=True))
    left = [sentence for sentence in english_sentences() if sentence in page]
    assert left == []


@pytest.mark.parametrize("url", ["/login", "/password/forgot", "/no-such-page"])
def test_pages_before_logging_in_read_in_french_hold_no_english_sentence(client, url):
    page = visible_text(client.get(url, headers=FR).get_data(as_text=True))
    assert [sentence for sentence in english_sentences() if sentence in page] == []
