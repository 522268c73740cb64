"""What every form of the site shares."""

from flask_wtf import FlaskForm


def drop_nul(value):
    # PostgreSQL refuses NUL characters in text; nobody types them, so they are dropped.
    return value.replace("\x00", "") if isinstance(value, str) else value


class BaseForm(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = unbound_field.kwargs.get("filters") or ()
            unbound_field.kwargs["filters"] = (drop_nul, *filters)
            return unbound_field.bind(form=form, **options)


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
