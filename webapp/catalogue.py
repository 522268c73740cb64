"""The catalogue of the language being rendered, found once per request.

flask_babel finds it anew on every call (several context look-ups and the locale's name each
time); a list page translates hundreds of strings, its row labels included, and that search
cost more than the rest of the rows. The catalogue is kept on `g` (one per request or job)
for each locale, so that a language forced for an email (flask_babel.force_locale) is obeyed.
"""

from flask import g
from flask_babel import LazyString, get_locale, get_translations


def catalogue():
    try:
        here = g._get_current_object()  # one context look-up, not one per attribute below
    except RuntimeError:  # outside any application: flask_babel's untranslated catalogue
        return get_translations()
    # flask_babel keeps the locale it chose (or one forced for an email) on this namespace;
    # get_locale() chooses and keeps it the first time.
    locale = getattr(getattr(here, "_flask_babel", None), "babel_locale", None) or get_locale()
    kept = here.__dict__.setdefault("_catalogues", {})
    found = kept.get(locale)
    if found is None:
        found = kept[locale] = get_translations()
    return found


# As flask_babel's functions of the same names: `variables` fill %(name)s placeholders.
def gettext(string: str, **variables) -> str:
    found = catalogue().ugettext(string)
    return found % variables if variables else found


def pgettext(context: str, string: str, **variables) -> str:
    found = catalogue().upgettext(context, string)
    return found % variables if variables else found


def lazy_gettext(string: str, **variables) -> LazyString:
    """Translated when shown, in the reader's language (for labels defined at import)."""
    return LazyString(gettext, string, **variables)


def lazy_pgettext(context: str, string: str, **variables) -> LazyString:
    return LazyString(pgettext, context, string, **variables)


def install_in_jinja(environment) -> None:
    # Jinja fills the placeholders itself (newstyle), escaping what it puts in.
    environment.install_gettext_callables(
        gettext=lambda s: catalogue().ugettext(s),
        ngettext=lambda s, p, n: catalogue().ungettext(s, p, n),
        pgettext=lambda c, s: catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalogue().unpgettext(c, s, p, n),
        newstyle=True,
    )
