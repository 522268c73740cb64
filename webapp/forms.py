"""What every form of the site shares."""

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import widgets
from wtforms.fields import FileField
from wtforms.widgets.core import clean_key

from webapp.wordings import N_

NOT_TEXT = N_("This field takes text, not a file.")


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
    # The names of the fields that were sent something other than text (see wrap_formdata).
    not_text: frozenset[str] = frozenset()

    class Meta:
        def bind_field(self, form, unbound_field, options):
            # The unbound field is shared by every instance of the form class: its kwargs must
            # not be changed, or each new form would add one more filter to every field.
            filters = unbound_field.kwargs.get("filters") or ()
            return unbound_field.bind(form=form, **options, filters=(drop_nul, *filters))

        def wrap_formdata(self, form, formdata):
            """Only text reaches a text field. A multipart body may name a file part like a text
            field, and a JSON body (which Flask-WTF also reads) may hold numbers or objects: the
            validators would fail on them with a TypeError (a 500). They are left out here and
            their fields refused in `validate`, with a message."""
            try:
                formdata = super().wrap_formdata(form, formdata)
            except (TypeError, ValueError):
                formdata = MultiDict()  # a JSON body that is not an object: nothing to read
            if formdata is None:
                return None
            file_fields = {field.name for field in form if isinstance(field, FileField)}
            kept, refused = MultiDict(), set()
            for name, value in formdata.items(multi=True):
                if isinstance(value, str) or (
                    name in file_fields and isinstance(value, FileStorage)
                ):
                    kept.add(name, value)
                else:
                    refused.add(name)
            form.not_text = frozenset(refused)
            return kept

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for name in self.not_text:
            if (field := self._fields.get(name)) is not None:
                field.errors = [_(NOT_TEXT)]  # instead of "required", which would mislead
                valid = False
        return valid


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
