"""Helpers shared by every blueprint's forms."""

from flask_wtf import FlaskForm


def apply_errors(form: FlaskForm, errors: dict[str, str]) -> None:
    """Show errors found by a service next to the fields they concern."""
    for name, message in errors.items():
        field = getattr(form, name, None)
        if field is None:
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]
