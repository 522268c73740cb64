"""Who reads what: the reader's language on pages (saved choice, session, Accept-Language), the
language switch, emails in the recipient's (or the sender's, or the domain's) language, and
dates and numbers as each language writes them."""

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale

from tests.conftest import PASSWORD
from webapp.extensions import db
from webapp.jobs.emails import send_domain_status_email
from webapp.models import Domain, DomainStatus, Invitation, User
from webapp.templating import local_date, local_datetime, local_number

FR = {"Accept-Language": "fr-FR,fr;q=0.9"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_a_form_error_follows_accept_language(client):
    french = client.post_form("/login", {"email": "x@example.org", "password": ""}, headers=FR)
    english = client.post_form("/login", {"email": "x@example.org", "password": ""}, headers=EN)
    assert "Saisissez votre mot de passe." in _text(french)
    assert '<html lang="fr">' in _text(french)
    assert "Enter your password." in _text(english)
    assert "Saisissez" not in _text(english)


def test_a_status_explanation_and_label_follow_accept_language(client, owner, make_domain):
    make_domain("acme.fr", owner=owner)
    french = _text(client.get("/domains/acme.fr/", headers=FR))
    assert "Le domaine est enregistré ici et en cours de mise en place" in french
    assert "En attente" in french
    english = _text(client.get("/domains/acme.fr/", headers=EN))
    assert "The domain is recorded here and is being set up" in english


def test_a_flash_follows_accept_language(client, owner):
    response = client.post_form("/logout", headers=FR, follow_redirects=True)
    assert "Vous êtes déconnecté." in _text(response)


def test_the_switch_is_saved_on_the_account_and_kept_after_logging_in_again(
    app, client, owner, make_domain, login_as
):
    make_domain("acme.fr", owner=owner)
    switched = client.post_form(
        "/language", {"locale": "fr", "next": "/domains/acme.fr/?tab=1"}, headers=EN
    )
    assert switched.status_code == 303
    assert switched.headers["Location"].endswith("/domains/acme.fr/?tab=1")
    assert db.session.get(User, owner.id).locale == "fr"
    # The saved choice wins over the browser's.
    assert "En attente" in _text(client.get("/domains/acme.fr/", headers=EN))

    client.post_form("/logout", headers=EN)
    # This browser keeps the choice once logged out...
    assert "Se souvenir de moi sur cet appareil" in _text(client.get("/login", headers=EN))
    login_as(owner)
    assert "En attente" in _text(client.get("/domains/acme.fr/", headers=EN))
    # ...and the account keeps it on any other browser.
    other = app.test_client()
    assert "Remember me on this device" in _text(other.get("/login", headers=EN))
    other.post_form("/login", {"email": owner.email, "password": PASSWORD}, headers=EN)
    assert "En attente" in _text(other.get("/domains/acme.fr/", headers=EN))

    client.post_form("/language", {"locale": "en", "next": "/domains/"}, headers=FR)
    assert "Pending" in _text(client.get("/domains/acme.fr/", headers=FR))


def test_the_switch_works_before_logging_in_and_refuses_foreign_redirects(client):
    response = client.post_form("/language", {"locale": "fr", "next": "https://evil.example/"})
    assert response.status_code == 303
    assert "evil.example" not in response.headers["Location"]
    assert "Se souvenir de moi sur cet appareil" in _text(client.get("/login", headers=EN))
    # An unknown language changes nothing.
    client.post_form("/language", {"locale": "de", "next": "/login"})
    assert "Se souvenir de moi sur cet appareil" in _text(client.get("/login", headers=EN))


def test_the_switch_is_in_the_header_and_works_without_javascript(client):
    page = _text(client.get("/login", headers=EN))
    assert 'action="/language"' in page and 'name="locale" value="fr"' in page
    assert 'name="next" value="/login"' in page


def test_an_invitation_email_is_in_the_inviters_language(
    client, make_owner, make_domain, run_jobs, outbox
):
    inviter = make_owner(name="Olive Owner")
    make_domain("team.fr", owner=inviter)
    client.post_form("/language", {"locale": "fr", "next": "/domains/"})
    response = client.post_form(
        "/domains/team.fr/invitations/", {"email": "new@example.org", "role": "viewer"}, headers=EN
    )
    assert response.status_code == 303
    assert db.session.scalar(db.select(Invitation.locale)) == "fr"
    run_jobs()
    [email] = outbox.to("new@example.org")
    assert email["Subject"] == ("Olive Owner vous invite à gérer le domaine de messagerie team.fr")


def test_an_invitation_email_speaks_the_invitees_saved_language(
    app, make_user, make_domain, run_jobs, outbox
):
    """An invitee with an account reads their own language (an invitation left pending when the
    account was made elsewhere)."""
    from webapp import secrets_box
    from webapp.jobs.emails import send_invitation
    from webapp.models.base import utcnow
    from webapp.models.invitation import new_token

    inviter = make_user("inviter@example.org", name="Ines")
    inviter.locale = "fr"
    make_user("reader@example.org").locale = "en"
    domain = make_domain("team.fr", owner=inviter)
    token, token_hash = new_token()
    invitation = Invitation(
        domain_id=domain.id, email="reader@example.org", role="viewer", token_hash=token_hash,
        invited_by_id=inviter.id, expires_at=utcnow(), locale="fr",
    )  # fmt: skip
    db.session.add(invitation)
    db.session.commit()
    assert send_invitation(invitation.id, secrets_box.seal(token)) == "sent"
    [email] = outbox.to("reader@example.org")
    assert email["Subject"] == "Ines invites you to manage the mail domain team.fr"


@pytest.mark.parametrize(
    ("locale", "subject"),
    [
        ("fr", "Votre domaine de messagerie acme.fr est prêt"),
        ("en", "Your mail domain acme.fr is ready"),
    ],
)
def test_a_status_email_is_in_the_domains_language(app, outbox, locale, subject):
    domain = Domain(
        name="acme.fr", support_email="it@acme.fr", status=DomainStatus.ENABLED, locale=locale
    )
    db.session.add(domain)
    db.session.commit()
    assert send_domain_status_email(domain.id, "enabled") == "sent"
    [email] = outbox.to("it@acme.fr")
    assert email["Subject"] == subject


def test_the_domain_form_and_the_status_form_set_the_emails_language(client, make_user, login_as):
    staff = make_user("staff@example.org", superuser=True)
    login_as(staff)
    response = client.post_form(
        "/domains/", {"name": "acme.fr", "support_email": "it@acme.fr", "locale": "en"}
    )
    assert response.status_code == 303
    domain = db.session.scalar(db.select(Domain).where(Domain.name == "acme.fr"))
    assert domain.locale == "en"
    response = client.post_form(
        "/domains/acme.fr/status", {"status": domain.status, "locale": "fr"}
    )
    assert response.status_code == 303
    assert db.session.get(Domain, domain.id).locale == "fr"


def test_a_new_domain_defaults_to_default_locale(client, owner, app):
    app.config["DEFAULT_LOCALE"] = "fr"
    client.post_form("/domains/", {"name": "acme.fr", "support_email": "it@acme.fr"})
    assert db.session.scalar(db.select(Domain.locale)) == "fr"


def test_dates_and_numbers_as_each_language_writes_them(app):
    moment = datetime(2026, 12, 1, 22, 5)  # stored in UTC: 23:05 in Paris
    with app.test_request_context():
        with force_locale("fr"):
            assert local_datetime(moment) == "1 décembre 2026 à 23:05"
            assert local_datetime(moment, "seconds") == "1 décembre 2026 à 23:05:00"
            assert local_date(moment) == "1 décembre 2026"
            assert local_number(10000).replace("\u202f", " ").replace("\u00a0", " ") == "10 000"
        with force_locale("en"):
            assert local_datetime(moment).replace("\u202f", " ") == "December 1, 2026 at 11:05 PM"
            assert local_number(10000) == "10,000"
        # A summer moment: Paris is two hours ahead of UTC.
        with force_locale("fr"):
            assert (
                local_datetime(datetime(2026, 7, 1, 8, 0, tzinfo=UTC)) == "1 juillet 2026 à 10:00"
            )


def test_pages_keep_the_iso_moment_in_time_elements(client, owner, make_domain):
    make_domain("acme.fr", owner=owner)
    page = _text(client.get("/domains/acme.fr/", headers=FR))
    assert '<time datetime="20' in page and 'Z">' in page


def test_support_contact_shows_on_a_failed_domain(client, owner, make_domain, app):
    app.config["SUPPORT_CONTACT"] = "support@plateforme.gouv.fr"
    make_domain("acme.fr", owner=owner, status=DomainStatus.FAILED)
    make_domain("ok.fr", owner=owner, status=DomainStatus.ENABLED)
    assert "support@plateforme.gouv.fr" in _text(client.get("/domains/acme.fr/", headers=FR))
    assert "contactez le support" in _text(client.get("/domains/acme.fr/", headers=FR))
    assert "support@plateforme.gouv.fr" not in _text(client.get("/domains/ok.fr/"))


def test_footer_links_are_shown_in_order(client, app):
    app.config["FOOTER_LINKS"] = (
        ("Accessibilité : partiellement conforme", "https://example.gouv.fr/accessibilite"),
        ("Mentions légales", "/mentions-legales"),
    )
    page = _text(client.get("/login"))
    first = page.index('href="https://example.gouv.fr/accessibilite"')
    assert first < page.index('href="/mentions-legales"')
    assert "Accessibilité : partiellement conforme" in page


def test_a_mailbox_keeps_its_creators_language_for_its_confirmation(client, owner, make_domain):
    from webapp.models import Mailbox

    make_domain("acme.fr", owner=owner)
    form = {"first_name": "Jeanne", "last_name": "Dupont", "local_part": "jeanne.dupont",
            "secondary_email": "jeanne@perso.example"}  # fmt: skip
    client.post_form("/domains/acme.fr/mailboxes/", form, headers=FR)
    assert db.session.scalar(db.select(Mailbox.locale)) == "fr"


def test_an_email_speaks_the_recipients_saved_language_first(app, make_user):
    from webapp.i18n import account_locale, current, speaking

    make_user("reader@example.org").locale = "en"
    db.session.commit()
    assert account_locale("Reader@Example.org") == "en"
    assert account_locale("nobody@example.org") is None
    with speaking(account_locale("reader@example.org"), "fr"):
        assert current() == "en"
    with speaking(account_locale("nobody@example.org"), "fr"):
        assert current() == "fr"
    with speaking(None, None):
        assert current() == app.config["DEFAULT_LOCALE"]


def test_footer_links_are_read_from_label_url_pairs():
    from webapp.config import ConfigError, footer_links

    assert footer_links("") == ()
    assert footer_links(
        "Accessibilité : non conforme|https://example.gouv.fr/a11y; Mentions légales|/mentions"
    ) == (
        ("Accessibilité : non conforme", "https://example.gouv.fr/a11y"),
        ("Mentions légales", "/mentions"),
    )
    for wrong in ("no url", "Label|javascript:alert(1)", "|https://example.org"):
        with pytest.raises(ConfigError):
            footer_links(wrong)


def test_an_unknown_default_locale_stops_start_up(monkeypatch, tmp_path):
    from webapp.config import ConfigError, from_environment

    monkeypatch.setenv("APP_ENV", "testing")
    monkeypatch.setenv("DEFAULT_LOCALE", "de")
    with pytest.raises(ConfigError, match="DEFAULT_LOCALE"):
        from_environment(tmp_path)
