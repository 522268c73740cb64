"""Languages: which one a person reads, and the catalogues (webapp/translations/).

English is the source language: the text in the code and templates is English, and French
comes from `translations/fr/LC_MESSAGES/messages.po` (compiled to `.mo` by `make`, never
committed). The reader's language is their saved preference, else the browser's
Accept-Language, else DEFAULT_LOCALE.
"""

from pathlib import Path

from flask import has_request_context, request
from flask_babel import Babel, get_locale
from flask_login import current_user

LANGUAGES = ("fr", "en")
TRANSLATIONS = Path(__file__).resolve().parent / "translations"

babel = Babel()


def select_locale() -> str:
    from flask import current_app

    if has_request_context():
        saved = getattr(current_user, "locale", None) if current_user else None
        if saved in LANGUAGES:
            return saved
        best = request.accept_languages.best_match(LANGUAGES)
        if best:
            return best
    return current_app.config["DEFAULT_LOCALE"]


def init_app(app) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config["TIMEZONE"])
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale() or "en")
