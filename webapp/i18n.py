"""Languages: which one a person reads, and the catalogues (webapp/translations/).

English is the source language: the text in the code and templates is English, and French
comes from `translations/fr/LC_MESSAGES/messages.po` (compiled to `.mo` by `make`, never
committed). The reader's language is their saved preference, else the browser's
Accept-Language, else DEFAULT_LOCALE.
"""

from pathlib import Path

from flask import current_app, has_request_context, request, session
from flask_babel import Babel, force_locale, get_locale
from flask_login import current_user

from webapp.catalogue import install_in_jinja
from webapp.extensions import db
from webapp.models.user import User, normalise_email

LANGUAGES = ("fr", "en")
# The switch's choices, each named in its own language.
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}
SESSION_KEY = "locale"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"

babel = Babel()


def select_locale() -> str:
    if has_request_context():
        saved = known(getattr(current_user, "locale", None) if current_user else None)
        chosen = known(session.get(SESSION_KEY))  # chosen before logging in
        best = saved or chosen or request.accept_languages.best_match(LANGUAGES)
        if best:
            return best
    return current_app.config["DEFAULT_LOCALE"]


def known(locale: str | None) -> str | None:
    return locale if locale in LANGUAGES else None


def speaking(*choices: str | None):
    """Render in the first known language of `choices` (a recipient's, then a sender's...),
    else DEFAULT_LOCALE: for emails, built in jobs outside any request."""
    locale = next(filter(None, map(known, choices)), current_app.config["DEFAULT_LOCALE"])
    return force_locale(locale)


def account_locale(email: str | None) -> str | None:
    """The language saved on the account of `email`, if it has one (an email's recipient)."""
    if not email:
        return None
    locale = db.session.scalar(db.select(User.locale).where(User.email == normalise_email(email)))
    return known(locale)


def current() -> str:
    """The language being rendered (a request's, or one forced for an email)."""
    return str(get_locale() or current_app.config["DEFAULT_LOCALE"])


def init_app(app) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config["TIMEZONE"])
    babel.init_app(app, locale_selector=select_locale)
    # After flask_babel's own: the same functions, with the catalogue found once a request.
    install_in_jinja(app.jinja_env)
    app.jinja_env.globals["current_locale"] = current
    app.jinja_env.globals["language_names"] = LANGUAGE_NAMES
