"""The layout, sign-in, account, domain, drift and error pages in French with Accept-Language: fr,
in English with en (the test configuration pins English otherwise)."""

import html
from datetime import UTC, datetime

import pytest

from webapp.extensions import db
from webapp.models import DomainStatus

FR = {"Accept-Language": "fr-FR,fr;q=0.9"}
EN = {"Accept-Language": "en"}

RECORDS = [{"target": "", "type": "MX", "value": "mx.ox.numerique.gouv.fr."}]
WRONG_MX = {"code": "wrong_mx", "detail": "Le MX est faux"}
FAILING = [
    {"name": "mx", "internal": False, "ok": False, "errors": [WRONG_MX]},
    {"name": "spf", "internal": False, "ok": False, "errors": []},
]


def text(client, url, headers, status=200) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == status
    return html.unescape(response.get_data(as_text=True))


def assert_french(page: str, french: list[str], english: list[str]) -> None:
    for sentence in french:
        assert sentence in page, sentence
    for sentence in english:
        assert sentence not in page, sentence


@pytest.fixture
def me(make_user, login_as):
    user = make_user("owner@example.org")
    login_as(user)
    return user


def test_the_login_page_speaks_french_then_english(client):
    page = text(client, "/login", FR)
    assert '<html lang="fr">' in page
    assert_french(
        page,
        ["Se connecter · Domaines de messagerie", "Mot de passe oublié\u202f?", "Aller au contenu"],
        ["Forgot your password?", "Skip to content", "Mail domains"],
    )
    page = text(client, "/login", EN)
    assert "Forgot your password?" in page and "Log in · Mail domains" in page
    assert "Se connecter" not in page


def test_the_forgotten_password_page_in_french(client):
    page = text(client, "/password/forgot", FR)
    assert_french(
        page,
        ["Saisissez votre adresse e-mail\u00a0:", "Envoyer le lien"],
        ["Enter your email", "Send the link"],
    )


def test_the_domain_list_in_french_with_its_plural(client, me, make_domain):
    page = text(client, "/domains/", FR)
    assert_french(
        page,
        ["Vous n’avez encore aucun domaine de messagerie.", "Ajouter un domaine"],
        ["You have no mail domain yet", "Add a domain", "Search domains"],
    )
    make_domain("acme.fr", owner=me)
    page = text(client, "/domains/", FR)
    assert_french(
        page,
        ["1 domaine", "Rechercher un domaine", "Boîtes mail", "Collaborateurs", "Mon rôle"],
        ["1 domain<", "My role", "Collaborators"],
    )
    make_domain("acme.org", owner=me)
    assert "2 domaines" in text(client, "/domains/", FR)
    page = text(client, "/domains/?q=zzz", FR)
    assert "Aucun domaine ne correspond à «\u00a0zzz\u00a0»." in page
    page = text(client, "/domains/", EN)
    assert "2 domains" in page and "Search domains" in page and "Rechercher" not in page


def test_a_pending_domain_page_in_french(client, me, make_domain):
    make_domain("acme.fr", owner=me)
    page = text(client, "/domains/acme.fr/", FR)
    assert_french(
        page,
        [
            "Statut depuis le",
            "Pas encore vérifié.",
            "Vérifier maintenant",
            "Adresse e-mail du support",
        ],
        ["Status since", "Not checked yet", "Check now", "Support email", "Collaborators"],
    )
    page = text(client, "/domains/acme.fr/", EN)
    assert "Status since" in page and "Not checked yet." in page and "Check now" in page


def test_an_enabled_domain_page_shows_the_records_and_how_to_publish_them(client, me, make_domain):
    domain = make_domain("acme.fr", owner=me, status=DomainStatus.ENABLED)
    domain.checks = [{"name": "mx", "internal": False, "ok": True, "errors": []}]
    domain.last_check_at = datetime.now(UTC).replace(tzinfo=None)
    domain.dns_records = RECORDS
    db.session.commit()
    page = text(client, "/domains/acme.fr/", FR)
    assert_french(
        page,
        [
            "toutes les vérifications passent.",
            "Enregistrements DNS attendus",
            "Télécharger le fichier de zone",
            "Comment publier ces enregistrements chez votre hébergeur DNS",
            "Le nom @ désigne le domaine lui-même.",
            "Dernière vérification le",
        ],
        ["Expected DNS records", "How to publish", "all checks pass", "Download as a zone file"],
    )
    page = text(client, "/domains/acme.fr/", EN)
    assert "How to publish these records at your DNS host" in page
    assert "all checks pass." in page and "Expected DNS records" in page


def test_a_failed_domain_page_in_french_with_its_failing_checks(client, me, make_domain):
    domain = make_domain("acme.fr", owner=me, status=DomainStatus.FAILED)
    domain.checks = FAILING
    domain.last_check_at = datetime.now(UTC).replace(tzinfo=None)
    db.session.commit()
    page = text(client, "/domains/acme.fr/", FR)
    assert_french(
        page,
        [
            "2 vérifications en échec.",
            "Ce qui ne va pas",
            "Selon dimail\u00a0:",
            "Le MX est faux",  # dimail's own words stay as it wrote them
            "Cette vérification ne passe pas.",
            "Réessayer",
            "votre DNS",
        ],
        ["What is wrong", "checks failing", "dimail says", "This check does not pass", "Retry"],
    )
    page = text(client, "/domains/acme.fr/", EN)
    assert "2 checks failing." in page and "What is wrong" in page and "Retry" in page


def test_the_drift_page_in_french(client, make_user, login_as, make_domain):
    login_as(make_user("staff@example.org", superuser=True))
    make_domain("acme.fr", status=DomainStatus.ENABLED)
    page = text(client, "/domains/acme.fr/drift", FR)
    assert_french(
        page,
        [
            "acme.fr face à la plateforme de messagerie",
            "Réservé à l’équipe de la plateforme.",
            "Comparer maintenant",
            "Pas encore comparé.",
            "Fil d’Ariane",
            "Vue d’ensemble",
        ],
        ["against the mail platform", "Compare now", "Not compared yet", "Overview"],
    )
    page = text(client, "/domains/acme.fr/drift", EN)
    assert "Not compared yet." in page and "Compare now" in page


def test_the_account_pages_in_french(client, me):
    page = text(client, "/account/sessions", FR)
    assert_french(
        page,
        ["Vos sessions", "cette session", "Appareil", "Dernière activité", "Se déconnecter"],
        ["Your sessions", "this session", "Last seen", "Every browser where you are logged in"],
    )
    page = text(client, "/account/password", FR)
    assert_french(
        page,
        ["Changer votre mot de passe", "Vous êtes connecté en tant que owner@example.org."],
        ["Change your password", "You are logged in as"],
    )
    page = text(client, "/account/sessions", EN)
    assert "Your sessions" in page and "this session" in page


def test_the_accounts_page_for_staff_in_french(client, make_user, login_as):
    login_as(make_user("staff@example.org", superuser=True))
    page = text(client, "/users/", FR)
    assert_french(
        page,
        ["Créer un compte", "La personne reçoit un lien pour choisir un mot de passe.", "Comptes"],
        ["Create an account", "The person receives a link"],
    )


def test_an_error_page_in_french(client, me):
    page = text(client, "/domains/nowhere.fr/", FR, status=404)
    assert_french(page, ["Erreur 404", "Retour à vos domaines"], ["Back to your", "Error 404"])
    page = text(client, "/domains/nowhere.fr/", EN, status=404)
    assert "Error 404" in page and "Back to your domains" in page
