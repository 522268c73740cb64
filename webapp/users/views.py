"""Accounts, for the platform's staff."""

from flask import Blueprint, abort, flash, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func
from wtforms import EmailField, StringField
from wtforms.validators import Length

from webapp.extensions import db
from webapp.forms import BaseForm, apply_errors
from webapp.htmx import redirect_to, render
from webapp.models import Domain, DomainAccess, User
from webapp.permissions import superuser_required
from webapp.services import accounts, two_factor

bp = Blueprint("users", __name__, url_prefix="/users")


class NewAccountForm(BaseForm):
    email = EmailField(_l("Email"), validators=[Length(max=1000)])
    name = StringField(_l("Name"), validators=[Length(max=1000)])


def _page(form, status=200):
    # Accounts with the names of their domains, in one query.
    rows = db.session.execute(
        db.select(User, func.group_concat(Domain.name) if db.engine.dialect.name == "sqlite"
                  else func.string_agg(Domain.name, ","))
        .outerjoin(DomainAccess, DomainAccess.user_id == User.id)
        .outerjoin(Domain, Domain.id == DomainAccess.domain_id)
        .group_by(User.id)
        .order_by(User.email)
    ).all()  # fmt: skip
    people = [(user, sorted((names or "").split(",")) if names else []) for user, names in rows]
    return render("users/index.html", status=status, people=people, form=form)


@bp.get("/")
@superuser_required
def index():
    return _page(NewAccountForm(formdata=None))


@bp.post("/")
@superuser_required
def create():
    form = NewAccountForm()
    if form.validate_on_submit():
        result = accounts.create_account_by_email(form.email.data, form.name.data)
        if result.ok:
            flash(result.message, result.category)
            return redirect_to(url_for("users.index"))
        apply_errors(form, result.errors)
    return _page(form, status=422)


def _set_active(user_id: int, active: bool):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    result = accounts.set_active(user, active, current_user)
    flash(result.message, result.category if result.ok else "error")
    return redirect_to(url_for("users.index"))


@bp.post("/<int:user_id>/deactivate")
@superuser_required
def deactivate(user_id):
    return _set_active(user_id, False)


@bp.post("/<int:user_id>/reactivate")
@superuser_required
def reactivate(user_id):
    return _set_active(user_id, True)


@bp.post("/<int:user_id>/2fa/reset")
@superuser_required
def reset_two_factor(user_id):
    """For someone who lost their phone and their recovery codes."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    result = two_factor.reset(user, current_user)
    flash(result.message, result.category if result.ok else "error")
    return redirect_to(url_for("users.index"))
