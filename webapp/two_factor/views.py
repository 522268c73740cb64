"""The pages of the second factor: enrolment and its management, and the code step of a login."""

from flask import Blueprint, flash, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp import secrets_box
from webapp.auth.views import safe_next
from webapp.forms import apply_errors
from webapp.htmx import redirect_to, render
from webapp.permissions import authenticated, public
from webapp.services import login_steps, two_factor
from webapp.two_factor import qr
from webapp.two_factor.forms import EnrolForm, LoginCodeForm, PasswordAgainForm

bp = Blueprint("two_factor", __name__)

# The secret being enrolled, sealed, between the page that shows it and the first code.
ENROLLING = "two_factor_enrolling"


def _enrolling_secret() -> str:
    sealed = session.get(ENROLLING)
    secret = secrets_box.unseal(sealed) if isinstance(sealed, str) else None
    if secret is None:
        secret = two_factor.new_secret()
        session[ENROLLING] = secrets_box.seal(secret)
    return secret


def _enrol_page(form, status=200):
    secret = _enrolling_secret()
    uri = two_factor.provisioning_uri(current_user, secret)
    # Like every page, sent with Cache-Control: no-store (webapp/security.py): the key and
    # the recovery codes stay in no cache.
    return render(
        "two_factor/manage.html",
        "two_factor/_enrol.html",
        status=status,
        form=form,
        qr_svg=qr.svg(uri, _("QR code to scan with your authenticator app")),
        secret=two_factor.grouped(secret),
        required=two_factor.required_for(current_user),
    )


def _on_page(status=200, disable_form=None, codes_form=None):
    return render(
        "two_factor/manage.html",
        "two_factor/_on.html",
        status=status,
        left=two_factor.recovery_codes_left(current_user),
        disable_form=disable_form or PasswordAgainForm(prefix="disable", formdata=None),
        codes_form=codes_form or PasswordAgainForm(prefix="codes", formdata=None),
    )


def _codes_page(codes):
    return render(
        "two_factor/manage.html",
        "two_factor/_codes.html",
        codes=[two_factor.shown(code) for code in codes],
    )


@bp.route("/account/2fa", methods=["GET", "POST"])
@authenticated
def manage():
    if current_user.has_two_factor:
        return _on_page()
    form = EnrolForm()
    if not form.validate_on_submit():
        return _enrol_page(form, 422 if request.method == "POST" else 200)
    result = two_factor.enable(current_user, _enrolling_secret(), form.code.data)
    if not result.ok:
        apply_errors(form, result.errors)
        return _enrol_page(form, 422)
    session.pop(ENROLLING, None)
    flash(result.message, "success")
    return _codes_page(result.value)


@bp.post("/account/2fa/disable")
@authenticated
def disable():
    form = PasswordAgainForm(prefix="disable")
    if form.validate_on_submit():
        result = two_factor.disable(current_user, form.password.data, request.remote_addr)
        if result.ok:
            flash(result.message, "success")
            return redirect_to(url_for("two_factor.manage"))
        apply_errors(form, result.errors)
        if result.message:
            form.form_errors.append(result.message)
    if not current_user.has_two_factor:
        return redirect_to(url_for("two_factor.manage"))
    return _on_page(422, disable_form=form)


@bp.post("/account/2fa/recovery-codes")
@authenticated
def recovery_codes():
    form = PasswordAgainForm(prefix="codes")
    if form.validate_on_submit():
        result = two_factor.regenerate(current_user, form.password.data, request.remote_addr)
        if result.ok:
            flash(result.message, "success")
            return _codes_page(result.value)
        apply_errors(form, result.errors)
        if result.message:
            form.form_errors.append(result.message)
    if not current_user.has_two_factor:
        return redirect_to(url_for("two_factor.manage"))
    return _on_page(422, codes_form=form)


@bp.route("/login/2fa", methods=["GET", "POST"])
@public
def login_code():
    expired = login_steps.waiting()
    pending, next_url = login_steps.state()
    if pending is None:
        if expired:
            flash(_("The login took too long: enter your password again."), "warning")
        return redirect_to(url_for("auth.login", next=next_url or None))
    form = LoginCodeForm()
    if form.validate_on_submit():
        result = two_factor.check_login_code(pending.user, form.code.data, request.remote_addr)
        if result.ok:
            login_steps.finish(pending)
            if result.message:
                flash(result.message, result.category)
            return redirect_to(safe_next(pending.next_url))
        apply_errors(form, result.errors)
    form.code.data = ""
    status = 422 if request.method == "POST" else 200
    return render(
        "two_factor/login.html",
        "two_factor/_login_form.html",
        status=status,
        form=form,
        next_url=next_url,
    )
