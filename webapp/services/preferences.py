"""A person's choice of language: kept on their account, or in the session before logging in."""

from flask import session

from webapp.extensions import db
from webapp.i18n import SESSION_KEY, known


def choose_language(user, locale: str | None) -> bool:
    """Remember `locale` for this person (an account, or an anonymous visitor's session);
    False when it is no language we have."""
    locale = known(locale)
    if locale is None:
        return False
    session[SESSION_KEY] = locale
    if user is not None and user.is_authenticated:
        user.locale = locale
        db.session.commit()
    return True
