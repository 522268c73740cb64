"""What every form of the site shares."""

from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import widgets
from wtforms.widgets.core import clean_key


def drop_nul(value):
    # PostgreSQL refuses NUL characters in text; nobody types them, so they are dropped.
    return value.replace("\x00", "") if isinstance(value, str) else value


def html_params(**kwargs) -> Markup:
    """HTML attributes from keyword arguments: what `wtforms.widgets.html_params` returns, to
    the character, about five times faster (it formats each attribute with Markup.format, which
    made an empty form cost more to render than a 50-row table).
    """
    params = []
    for key, value in sorted(kwargs.items()):
        if value is True:
            params.append(escape(clean_key(key)))
        elif value is not False:
            params.append(f'{escape(clean_key(key))}="{escape(value)}"')
    return Markup(" ".join(params))  # noqa: S704 - every name and value is escaped above


# WTForms' <input> widgets render their attributes with this class attribute, which is there to
# be replaced; every input of every form goes through it.
widgets.Input.html_params = staticmethod(html_params)


class BaseForm(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            # The unbound field is shared by every instance of the form class: its kwargs must
            # not be changed, or each new form would add one more filter to every field.
            filters = unbound_field.kwargs.get("filters") or ()
            return unbound_field.bind(form=form, **options, filters=(drop_nul, *filters))


def query_text(value: str | None, max_length: int = 200) -> str:
    """A search term from a query string, cleaned the same way as form input."""
    return drop_nul(value or "").strip()[:max_length]


def apply_errors(form: FlaskForm, errors: dict[str, str]) -> None:
    """Show errors found by a service next to the fields they concern."""
    for name, message in errors.items():
        field = getattr(form, name, None)
        if field is None:
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]
