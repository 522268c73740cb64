"""Signing in with the OpenID Provider: the start, the callback, and what the pages show."""

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from webapp.auth.views import safe_next
from webapp.oidc import client
from webapp.permissions import public
from webapp.services import invitations, oidc, sessions

bp = Blueprint("oidc", __name__)

# What the callback needs from the start, kept in the session between the two.
NEXT = "oidc_next"
INVITATION = "oidc_invitation"


@bp.app_context_processor
def _sign_in_button():
    return {
        "oidc_label": client.label() if client.enabled() else None,
        "local_login": current_app.config["LOCAL_LOGIN"],
    }


def _redirect_uri() -> str:
    # Registered at the provider as is: built from BASE_URL, not from the request's Host.
    return current_app.config["BASE_URL"].rstrip("/") + url_for("oidc.callback")


def _invitation_in(target: str):
    """The pending invitation whose page `target` is (/invitations/<token>), or None."""
    try:
        endpoint, args = current_app.url_map.bind("").match(target.partition("?")[0])
    except HTTPException:
        return None
    if endpoint != "accesses.accept":
        return None
    invitation, state = invitations.by_token(args["token"])
    return invitation if state == "pending" else None


def _back_to_login(message: str):
    flash(message, "error")
    target = session.pop(NEXT, None)
    return redirect(url_for("auth.login", next=target), 303)


@bp.get("/login/oidc")
@public
def start():
    if not client.enabled():
        abort(404)
    target = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target, 303)
    invitation = _invitation_in(target)
    try:
        response = client.authorization_redirect(_redirect_uri())
    except client.SignInFailed as failed:
        flash(failed.message, "error")
        return redirect(url_for("auth.login", next=request.args.get("next")), 303)
    session[NEXT] = target
    session[INVITATION] = invitation.id if invitation is not None else None
    return response


@bp.get("/login/oidc/callback")
@public
def callback():
    if not client.enabled():
        abort(404)
    # Whatever the outcome, what this sign-in started with is used once.
    invitation_id = session.pop(INVITATION, None)
    try:
        issuer, claims, id_token = client.finish()
    except client.SignInFailed as failed:
        return _back_to_login(failed.message)
    result = oidc.sign_in(issuer, claims, client.label(), invitation_id)
    if not result.ok:
        return _back_to_login(result.message)
    signed_in = result.value
    target = session.pop(NEXT, None) or url_for("domains.index")
    # The provider asked for any second factor: REQUIRE_2FA holds password sessions only.
    sessions.log_in(signed_in.user, by_password=False)
    client.remember_id_token(id_token)
    if signed_in.joined is not None:
        domain = signed_in.joined
        flash(
            _("Welcome! You now have access to %(domain)s.", domain=domain.unicode_name), "success"
        )
        target = url_for("domains.show", domain=domain.name)
    if signed_in.created and invitations.waiting_for(signed_in.user):
        # As after a sign-up from an invitation: the others are offered, one by one.
        return redirect(url_for("accesses.waiting"), 303)
    return redirect(target, 303)
