"""What every template can use."""

from datetime import UTC, datetime
from urllib.parse import quote

from flask import current_app, g, get_flashed_messages
from flask_babel import format_date, format_decimal, get_locale, get_timezone
from flask_login import current_user

from webapp.catalogue import catalogue, lazy_gettext
from webapp.htmx import is_htmx
from webapp.models import Role
from webapp.permissions import may_create_domains


def _globals():
    return {
        "Role": Role,
        "can_create_domains": may_create_domains(
            current_user, current_app.config["DOMAIN_CREATION"]
        ),
        "app_env": current_app.config["APP_ENV"],
        "footer_links": current_app.config.get("FOOTER_LINKS", ()),
        "support_contact": current_app.config.get("SUPPORT_CONTACT", ""),
    }


# What static/app.js says, rendered in the reader's language into base.html's #ui-text block;
# "%(status)s" is filled in by the script.
UI_TEXT = {
    "expired": lazy_gettext("The form has expired. Reload the page and try again."),
    "forbidden": lazy_gettext("Your role on this domain does not allow this action."),
    "gone": lazy_gettext("This page no longer exists, or you no longer have access to it."),
    "too_many": lazy_gettext("Too many requests. Wait a moment and try again."),
    "action_error": lazy_gettext(
        "The server could not complete this action (error %(status)s). Try again in a moment."
    ),
    "offline": lazy_gettext("The server cannot be reached. Check your connection and try again."),
    "poll_offline": lazy_gettext("Status updates paused: the server cannot be reached."),
    "poll_error": lazy_gettext(
        "Status updates paused: the server answered with an error (%(status)s)."
    ),
    "copied": lazy_gettext("Copied"),
}


def ui_text() -> dict:
    # Translated at each rendering; "%(status)s" must survive for the script, hence no params.
    return {key: str(text) for key, text in UI_TEXT.items()}


def take_flashes() -> list:
    """The flashed messages, for the in-place answer's own message area (the macro `feedback`):
    once per request, so that a second fragment of the same answer does not repeat them. Full
    pages leave them to the page-level #flashes."""
    if not is_htmx() or g.get("flashes_taken"):
        return []
    g.flashes_taken = True
    return get_flashed_messages(with_categories=True)


def local_datetime(value: datetime | None, precision: str = "minutes") -> str:
    """A stored moment (naive UTC) in TIMEZONE, as the reader's language writes it:
    "1 décembre 2026 à 23:05", "December 1, 2026 at 11:05 PM"; `precision="seconds"` adds
    the seconds (a log). The "à" / "at" is the catalogue's: CLDR's standard patterns put a
    comma there."""
    if value is None:
        return ""
    way = _way_of_writing_moments()
    moment = way["zone"].normalize(
        (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(way["zone"])
    )
    time = way["seconds" if precision == "seconds" else "minutes"].apply(moment, way["locale"])
    return way["sentence"] % {"date": way["date"].apply(moment, way["locale"]), "time": time}


def _way_of_writing_moments() -> dict:
    """The reader's CLDR patterns, time zone and sentence, found once per request and locale:
    through flask_babel's format_date and format_time, each moment of a 50-row log cost 0.1 ms,
    most of it finding them again."""
    locale = get_locale()
    kept = g.setdefault("_ways_of_writing_moments", {})
    if locale not in kept:
        kept[locale] = {
            "locale": locale,
            "zone": get_timezone(),
            "date": locale.date_formats["long"],
            "minutes": locale.time_formats["short"],
            "seconds": locale.time_formats["medium"],
            "sentence": catalogue().ugettext("%(date)s at %(time)s"),
        }
    return kept[locale]


def local_date(value) -> str:
    """A day as the reader's language writes it: "1 décembre 2026", "December 1, 2026"."""
    return "" if value is None else format_date(value, "long")


def local_number(value) -> str:
    """A number with the reader's grouping: "10 000" in French, "10,000" in English."""
    return format_decimal(value)


def iso_utc(value: datetime | None) -> str:
    """The ISO value for `<time datetime>`: stored moments are naive UTC."""
    if value is None:
        return ""
    text = value.isoformat(timespec="seconds")
    return text if value.tzinfo else text + "Z"


def url_segment(value) -> str:
    """One path segment quoted exactly as url_for quotes a string argument, for pages that build
    many URLs from a prefix computed once (url_for costs more than the rest of a table row)."""
    return quote(str(value), safe=_SEGMENT_SAFE)


# werkzeug.routing.BaseConverter.to_url's safe characters (the URL standard's path segment).
_SEGMENT_SAFE = "!$&'()*+,/:;=@"


def init_app(app) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["url_segment"] = url_segment
    app.jinja_env.filters["datetime"] = local_datetime
    app.jinja_env.filters["date"] = local_date
    app.jinja_env.filters["number"] = local_number
    app.jinja_env.filters["iso"] = iso_utc
    app.jinja_env.globals.update(take_flashes=take_flashes, ui_text=ui_text)
    app.context_processor(_globals)
