"""Mailboxes, aliases, collaborators, invitations, the audit log, the dev outbox and the emails,
read in French: with Accept-Language: fr the pages speak French (and none of their English
sentences is left), with en they still speak English; the emails, rendered in French, are French
in both their text and HTML parts."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from flask_babel import force_locale

from tests.conftest import CSRFClient
from tests.test_dev_outbox import build, drop
from webapp import audit, create_app, mail
from webapp.dimail import checks as dimail_checks
from webapp.extensions import db
from webapp.messages import legacy
from webapp.models import Alias, DomainStatus, Invitation, Mailbox, MailboxStatus
from webapp.models.base import utcnow
from webapp.models.invitation import new_token
from webapp.models.mailbox import name_key

NNBSP = "\u202f"


@pytest.fixture
def acme(owner, make_domain):
    """acme.fr, enabled here, owned by the logged-in owner (no dimail needed to read pages)."""
    return make_domain("acme.fr", owner=owner, status=DomainStatus.ENABLED)


def add_mailbox(domain, local_part, first, last, status=MailboxStatus.ENABLED) -> Mailbox:
    box = Mailbox(
        domain_id=domain.id, local_part=local_part, first_name=first, last_name=last,
        name_key=name_key(first, last), secondary_email=f"{local_part}@home.org", status=status,
        dimail_created_at=utcnow() if status == MailboxStatus.ENABLED else None,
        confirmation_sent_at=utcnow() if status == MailboxStatus.ENABLED else None,
    )  # fmt: skip
    db.session.add(box)
    db.session.commit()
    return box


def read(client, url, lang="fr") -> str:
    response = client.get(url, headers={"Accept-Language": lang})
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def assert_french(page: str, french: list[str], english: list[str]) -> None:
    for sentence in french:
        assert sentence in page, sentence
    for sentence in english:
        assert sentence not in page, sentence


def test_the_empty_mailbox_list_in_french_and_in_english(client, acme):
    french = [
        "Boîtes mail de acme.fr", "Aucune boîte mail pour l’instant.", "0 boîte mail",
        "Rechercher des boîtes mail", 'placeholder="Nom ou adresse"', "Nouvelle boîte mail",
        "Créer la boîte mail", "Importer depuis la plateforme de messagerie",
    ]  # fmt: skip
    english = [
        "Mailboxes of acme.fr", "No mailbox yet.", "0 mailboxes", "Search mailboxes",
        "Name or address", "New mailbox", "Create the mailbox", "Import from the mail platform",
        "Brings in the mailboxes",
    ]  # fmt: skip
    assert_french(read(client, "/domains/acme.fr/mailboxes/"), french, english)
    assert_french(read(client, "/domains/acme.fr/mailboxes/", "en"), english, french)


def test_the_mailbox_list_with_rows_counts_in_french(client, acme):
    add_mailbox(acme, "jane.doe", "Jane", "Doe")
    add_mailbox(acme, "zoe.dupont", "Zoé", "Dupont", MailboxStatus.PENDING)
    page = read(client, "/domains/acme.fr/mailboxes/")
    assert_french(
        page,
        ["2 boîtes mail", "1 active", "1 en attente", ">Nom</th>", ">Adresse</th>"],
        ["2 mailboxes", "1 enabled", "1 pending", ">Name</th>", ">Address</th>"],
    )
    found = read(client, "/domains/acme.fr/mailboxes/?q=zoe")
    assert "1 boîte mail correspond à «\u00a0zoe\u00a0»" in found
    nothing = read(client, "/domains/acme.fr/mailboxes/?q=nobody")
    assert "Aucune boîte mail ne correspond à cette recherche." in nothing
    assert "2 mailboxes" in read(client, "/domains/acme.fr/mailboxes/", "en")


def test_a_mailbox_page_in_french(client, acme):
    add_mailbox(acme, "jane.doe", "Jane", "Doe")
    page = read(client, "/domains/acme.fr/mailboxes/jane.doe/")
    assert_french(
        page,
        [
            f"La boîte mail fonctionne{NNBSP}; sa confirmation a été envoyée à jane.doe@home.org.",
            ">Désactiver</button>", f"Désactiver jane.doe@acme.fr{NNBSP}?", ">Enregistrer</button>",
            "L’adresse jane.doe@acme.fr ne peut pas être modifiée.",
        ],
        [
            "The mailbox works", ">Disable</button>", "Its owner will no longer", ">Save</button>",
            "cannot be changed",
        ],
    )  # fmt: skip
    assert "The mailbox works; its confirmation" in read(
        client, "/domains/acme.fr/mailboxes/jane.doe/", "en"
    )


def test_the_alias_list_in_french(client, acme):
    empty = read(client, "/domains/acme.fr/aliases/")
    assert_french(
        empty,
        ["Alias de acme.fr", "Aucun alias pour l’instant.", "Ajouter une destination",
         "Rechercher des alias", 'placeholder="Alias ou destination"', ">Ajouter</button>"],
        ["Aliases of", "No alias yet.", "Add a destination", "Search aliases",
         "Alias or destination", ">Add</button>", "A new alias, or one more"],
    )  # fmt: skip
    db.session.add(Alias(domain_id=acme.id, local_part="contact", destination="jane@home.org"))
    db.session.commit()
    page = read(client, "/domains/acme.fr/aliases/")
    assert_french(
        page,
        ["1 alias", ">Tout supprimer</button>", ">Destination</th>", ">Retirer<",
         f"Ne plus envoyer contact@acme.fr vers jane@home.org{NNBSP}?"],
        ["1 alias matching", "Delete all", ">Remove<", "Stop sending", "and all its destinations"],
    )  # fmt: skip
    assert "Stop sending contact@acme.fr" in read(client, "/domains/acme.fr/aliases/", "en")


def test_the_collaborators_page_with_an_invitation_in_french(client, acme):
    response = client.post_form(
        "/domains/acme.fr/invitations/", {"email": "new@example.org", "role": "viewer"}
    )
    assert response.status_code == 303
    page = read(client, "/domains/acme.fr/accesses/")
    assert_french(
        page,
        ["Collaborateurs de acme.fr", "Membres", "Invitations en attente", "En attente",
         "valable jusqu’au", "Lecteur", ">Renvoyer<",
         f"Annuler l’invitation envoyée à new@example.org{NNBSP}?",
         "Inviter une personne", "avec un lien valable", ">Inviter</button>", ">vous</span>"],
        ["Collaborators of", "Members", "Pending invitations", ">Pending<", "until", "Re-send",
         "Cancel the invitation", "Invite someone", "Someone who already has an account",
         ">you</span>"],
    )  # fmt: skip
    english = read(client, "/domains/acme.fr/accesses/", "en")
    assert "Pending invitations" in english and "Viewer" in english


def test_the_invitation_acceptance_page_in_french(client, acme, owner):
    token, token_hash = new_token()
    db.session.add(
        Invitation(
            domain_id=acme.id,
            email="new@example.org",
            role="viewer",
            token_hash=token_hash,
            invited_by_id=owner.id,
            expires_at=utcnow() + timedelta(days=7),
        )  # fmt: skip
    )
    db.session.commit()
    client.post_form("/logout")
    page = read(client, f"/invitations/{token}")
    assert_french(
        page,
        ["Rejoindre acme.fr", "domaine de messagerie acme.fr avec le rôle <strong>lecteur</strong>",
         "Votre compte\u00a0: new@example.org", "Au moins 10 caractères.", "Accepter l’invitation"],
        ["Join acme.fr", "You are invited as", "Your account:", "At least 10 characters.",
         "Accept the invitation"],
    )  # fmt: skip
    english = read(client, f"/invitations/{token}", "en")
    assert "You are invited as <strong>viewer</strong>" in english


def test_the_audit_log_page_in_french(client, acme):
    audit.record(acme, "domain.created", legacy("acme.fr"), target="acme.fr")
    db.session.commit()
    page = read(client, "/domains/acme.fr/log/")
    assert_french(
        page,
        ["Journal de acme.fr", "1 modification", "Quand (UTC)", ">Qui</th>", ">Filtrer</button>",
         "Chaque modification du domaine"],
        ["Log of", "1 change", "When (UTC)", ">Who</th>", ">Filter</button>", "Every change to"],
    )  # fmt: skip
    assert "1 change, newest first" in read(client, "/domains/acme.fr/log/", "en")


def test_the_dev_outbox_in_french(app, test_config, tmp_path):
    outbox = create_app({**test_config, "DEV_OUTBOX": True, "DEV_OUTBOX_DIR": str(tmp_path)})
    outbox.test_client_class = CSRFClient
    client = outbox.test_client()
    empty = read(client, "/dev/outbox")
    assert_french(
        empty,
        ["Boîte d’envoi", "Aucun e-mail intercepté pour l’instant.", "Développement uniquement"],
        ["No email caught yet.", "Development only", "<h1>Outbox</h1>"],
    )
    message_id = drop(tmp_path, build("Bienvenue", html="<p>Bonjour</p>"))
    listing = read(client, "/dev/outbox")
    assert "1 message" in listing and "newest first" not in listing
    shown = read(client, f"/dev/outbox/{message_id}")
    assert_french(
        shown,
        ["Reçu le", ">Objet</dt>", "Partie HTML du message", "Affichée isolée"],
        ["Received", ">Subject</dt>", "HTML part of the message", "Shown sandboxed"],
    )
    assert "Shown sandboxed" in read(client, f"/dev/outbox/{message_id}", "en")
    with outbox.app_context():
        db.engine.dispose()


# The context each job gives its email (webapp/jobs/emails.py, webapp/jobs/mailboxes/emails.py).
USER = SimpleNamespace(email="zoe@example.org", name="Zoé & Léa")
MAILBOX = SimpleNamespace(first_name="Zoé & Léa")
BOX = {"mailbox": MAILBOX, "address": "zoe@acme.fr", "webmail_url": "https://webmail.test/"}
INVITATION = SimpleNamespace(
    domain=SimpleNamespace(unicode_name="acme.fr"), role="administrator",
    expires_at=utcnow() + timedelta(days=7),
)  # fmt: skip
FAILING = SimpleNamespace(
    unicode_name="acme.fr",
    failing_checks=[
        SimpleNamespace(name="mx", errors=[SimpleNamespace(code="x", detail="pas de MX")])
    ],
)  # fmt: skip
EMAILS = {
    "account_setup": ({"user": USER, "link": "https://l.test/1"}, "Un compte a été créé pour vous"),
    "password_reset": ({"user": USER, "link": "https://l.test/1"}, "Quelqu’un a demandé"),
    "domain_status": (
        {
            "domain": FAILING,
            "status": "action_required",
            "link": "https://l.test/d",
            "checks": dimail_checks,
        },
        "a besoin de vous",
    ),  # fmt: skip
    "invitation": (
        {"invitation": INVITATION, "inviter": "Olive", "link": "https://l.test/i"},
        "avec le rôle administrateur",
    ),
    "mailbox_confirmation": (
        {**BOX, "login_link": "https://l.test/c", "password": None},
        "Connectez-vous pour la première fois",
    ),  # fmt: skip
    "mailbox_restored": (
        {**BOX, "login_link": None, "password": "s3cret"},
        "Votre nouveau mot de passe",
    ),  # fmt: skip
    "mailbox_password": ({**BOX, "password": "s3cret"}, "Un nouveau mot de passe a été généré"),
    "mailbox_login_link": ({**BOX, "login_link": "https://l.test/c"}, "Connectez-vous à votre"),
}
ENGLISH = ["Hello", "Mail domains", "the link works", "If you did not", "Webmail:", "Your "]


@pytest.mark.parametrize("template", sorted(EMAILS))
def test_every_email_is_french_in_its_text_and_html_parts(app, template):
    context, sentence = EMAILS[template]
    with force_locale("fr"):
        message = mail.build("to@example.org", "Objet", template, **context)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (text, html):
        assert sentence in part
        assert "Bonjour" in part and "Domaines de messagerie" in part
        for english in ENGLISH:
            assert english not in part, (template, english)
    assert '<html lang="fr">' in html
    if template.startswith("mailbox") or template == "account_setup":
        # Parameters are escaped in HTML only.
        assert "Zoé & Léa" in text and "Zoé &amp; Léa" in html
    if template == "domain_status":
        assert "(message de dimail\u00a0: pas de MX)" in text
        assert "<strong>acme.fr</strong>" in html  # the markup around a parameter stays markup
    english = mail.build("to@example.org", "Subject", template, **context)
    assert "Hello" in english.get_body(("plain",)).get_content()
