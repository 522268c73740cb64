from urllib.parse import urlsplit

from flask import Blueprint, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    LogoutForm,
    SetPasswordForm,
)
from webapp.forms import apply_errors
from webapp.htmx import is_htmx, redirect_to, render
from webapp.oidc import client as oidc_client
from webapp.permissions import authenticated, public
from webapp.services import accounts, login_steps, sessions

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str:
    """Only local paths are followed after login: no scheme, no host, no `//` or `\\` tricks."""
    fallback = url_for("domains.index")
    if not target:
        return fallback
    target = target.strip()
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
        or "\\" in target
        or any(ord(ch) < 32 for ch in target)
    ):
        return fallback
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect_to(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        result = accounts.authenticate(form.email.data, form.password.data, request.remote_addr)
        if result.ok:
            user, target = result.value, safe_next(request.args.get("next"))
            if user.has_two_factor:
                # The password alone logs nobody in: the code comes first (/login/2fa).
                login_steps.begin(user, remember=form.remember.data, next_url=target)
                return redirect_to(url_for("two_factor.login_code"))
            sessions.log_in(user, remember=form.remember.data)
            return redirect_to(target)
        form.form_errors.append(result.message)
        form.password.data = ""
    status = 422 if request.method == "POST" else 200
    return render("auth/login.html", "auth/_login_form.html", status=status, form=form)


@bp.route("/logout", methods=["GET", "POST"])
@public
def logout():
    # GET only asks for confirmation: logging out is a change, so it takes a POST with the CSRF
    # token, and another site cannot log users out with a link or an image.
    if request.method == "POST":
        provider_logout = oidc_client.end_session_url()
        sessions.log_out()
        if provider_logout and not is_htmx():
            # Signed in through the provider: its session ends too, or the next "Sign in with"
            # would let anyone at this browser in without a password. A page that moves on,
            # not a redirect: the policy's form-action keeps form posts on this site.
            page = render("auth/leaving.html", url=provider_logout, label=oidc_client.label())
            flash(_("You are logged out."), "success")  # for the login page, back from there
            return page
        flash(_("You are logged out."), "success")
        return redirect_to(provider_logout or url_for("auth.login"))
    if not current_user.is_authenticated:
        return redirect_to(url_for("auth.login"))
    return render("auth/logout.html", form=LogoutForm())


@bp.route("/account/password", methods=["GET", "POST"])
@authenticated
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        result = accounts.change_password(
            current_user,
            form.current_password.data,
            form.new_password.data,
            request.remote_addr,
        )
        if result.ok:
            flash(result.message, "success")
            return redirect_to(url_for("auth.change_password"))
        apply_errors(form, result.errors)
    status = 422 if request.method == "POST" else 200
    return render("auth/password.html", "auth/_password_form.html", status=status, form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password():
    form = ForgotPasswordForm()
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        result = accounts.forgot_password(form.email.data, request.remote_addr)
        if result.ok:
            flash(result.message, "info")
            return redirect_to(url_for("auth.login"))
        form.form_errors.append(result.message)
        status = 429
    return render("auth/forgot.html", status=status, form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token):
    found = accounts.password_token(token)
    if not found.ok:
        return render("auth/bad_link.html", status=410, message=found.message)
    record = found.value
    form = SetPasswordForm()
    if form.validate_on_submit():
        result = accounts.set_password_with_token(record, form.new_password.data)
        if result.ok:
            if result.value.has_two_factor:
                # A link in an email is one factor: the second is still asked for.
                login_steps.begin(result.value, remember=False, next_url=url_for("domains.index"))
                flash(_("Your password is set. Type a code from your app to log in."), "success")
                return redirect_to(url_for("two_factor.login_code"))
            sessions.log_in(result.value)
            flash(result.message, "success")
            return redirect_to(url_for("domains.index"))
        apply_errors(form, {"new_password": result.errors.get("password", "")})
    status = 422 if request.method == "POST" else 200
    return render(
        "auth/reset.html",
        status=status,
        form=form,
        user=record.user,
        setup=record.purpose == "setup",
    )
