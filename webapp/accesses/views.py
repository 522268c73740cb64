"""Collaborators and invitations of a domain, and accepting an invitation."""

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.accesses.forms import AcceptForm, InviteForm, RoleForm
from webapp.forms import apply_errors
from webapp.htmx import is_htmx, redirect_to, render
from webapp.models import Role
from webapp.permissions import (
    authenticated,
    grantable_roles,
    invitation_action_refusal,
    is_self,
    public,
    require_role,
)
from webapp.services import accesses as service
from webapp.services import invitations, sessions
from webapp.services.accounts import find_user_by_email

bp = Blueprint("accesses", __name__)


def _page(domain, status=200, partial=None, invite_form=None, oob=False):
    pending = invitations.pending(domain)
    return render(
        "accesses/index.html",
        partial,
        status=status,
        domain=domain,
        abilities=g.abilities,
        members=service.members(domain, current_user, g.role),
        invitations=pending,
        # The invitations this person may re-send or cancel (owners' only by owners).
        manageable={
            item.id
            for item in pending
            if invitation_action_refusal(current_user, g.role, item.role) is None
        },
        invite_form=invite_form or InviteForm(formdata=None),
        grantable=grantable_roles(current_user, g.role),
        oob=oob,
    )


def _after_change(domain, result):
    flash(
        result.message or " ".join(result.errors.values()),
        result.category if result.ok else "error",
    )
    if is_htmx():
        return _page(domain, status=200 if result.ok else 422, partial="accesses/_members.html")
    if not result.ok:
        return _page(domain, status=422)
    if (
        not any(m.user.id == current_user.id for m in service.members(domain, current_user, g.role))
        and not current_user.is_superuser
    ):
        return redirect_to(url_for("domains.index"))  # the user just left the domain
    return redirect_to(url_for("accesses.index", domain=domain.name))


@bp.get("/domains/<domain>/accesses/")
@require_role(Role.VIEWER)
def index(domain):
    return _page(domain)


@bp.post("/domains/<domain>/accesses/<int:user_id>/role")
@require_role(Role.ADMINISTRATOR)
def change_role(domain, user_id):
    form = RoleForm()
    form.validate_on_submit()
    result = service.change_role(domain, user_id, form.role.data or "", current_user, g.role)
    return _after_change(domain, result)


@bp.post("/domains/<domain>/accesses/<int:user_id>/remove")
@require_role(Role.ADMINISTRATOR, or_if=is_self)
def remove(domain, user_id):
    result = service.remove(domain, user_id, current_user, g.role)
    return _after_change(domain, result)


@bp.get("/domains/<domain>/invitations/")
@require_role(Role.VIEWER)
def invitations_index(domain):
    return _page(domain)


@bp.post("/domains/<domain>/invitations/")
@require_role(Role.ADMINISTRATOR)
def invite(domain):
    form = InviteForm()
    if form.validate_on_submit():
        result = invitations.invite(domain, form.email.data, form.role.data, current_user, g.role)
        if result.ok:
            flash(result.message, result.category)
            if is_htmx():
                # A fresh form in place, and the lists updated out of band.
                return _page(domain, partial="accesses/_invite_form.html", oob=True)
            return redirect_to(url_for("accesses.index", domain=domain.name))
        apply_errors(form, result.errors)
    return _page(domain, status=422, partial="accesses/_invite_form.html", invite_form=form)


def _invitation_action(domain, invitation_id, run):
    invitation = invitations.find_for_domain(domain, invitation_id)
    if invitation is None:
        flash(_("This invitation does not exist (any more)."), "error")
        return redirect_to(url_for("accesses.index", domain=domain.name))
    if invitation_action_refusal(current_user, g.role, invitation.role):
        abort(403)
    return _after_change(domain, run(invitation))


@bp.post("/domains/<domain>/invitations/<int:invitation_id>/resend")
@require_role(Role.ADMINISTRATOR)
def resend(domain, invitation_id):
    return _invitation_action(domain, invitation_id, invitations.resend)


@bp.post("/domains/<domain>/invitations/<int:invitation_id>/cancel")
@require_role(Role.ADMINISTRATOR)
def cancel(domain, invitation_id):
    return _invitation_action(domain, invitation_id, invitations.cancel)


@bp.route("/invitations/<token>", methods=["GET", "POST"], endpoint="accept")
@public
def accept(token):
    invitation, state = invitations.by_token(token)
    if state != "pending":
        return render("invitations/unusable.html", status=410 if invitation else 404,
                      message=invitations.UNUSABLE[state])  # fmt: skip
    if current_user.is_authenticated:
        if current_user.email != invitation.email:
            return render(
                "invitations/unusable.html", status=403,
                message=_(
                    "This invitation is for %(invited)s, and you are logged in as %(current)s. "
                    "Log out, then follow the link again.",
                    invited=invitation.email, current=current_user.email,
                ),
            )  # fmt: skip
        if request.method == "POST":
            result = invitations.accept(invitation, current_user)
            if not result.ok:
                # Used or cancelled meanwhile (410), or to be followed again (409).
                status = 409 if invitation.state == "pending" else 410
                return render("invitations/unusable.html", status=status, message=result.message)
            flash(
                _("You now have access to %(domain)s.", domain=invitation.domain.unicode_name),
                "success",
            )
            return _after_accepting(invitation.domain)
        return render(
            "invitations/accept.html", invitation=invitation, form=AcceptForm(formdata=None)
        )

    if find_user_by_email(invitation.email) is not None:
        flash(_("You already have an account: log in to accept the invitation."), "info")
        return redirect(url_for("auth.login", next=request.path), 303)
    form = AcceptForm()
    if form.validate_on_submit():
        result = invitations.accept_with_new_account(invitation, form.name.data, form.password.data)
        if result.ok:
            sessions.log_in(result.value)
            flash(result.message, "success")
            return _after_accepting(invitation.domain)
        apply_errors(form, result.errors)
        if result.message:
            form.form_errors.append(result.message)
        form.password.data = ""
    status = 422 if request.method == "POST" else 200
    return render("invitations/accept.html", status=status, invitation=invitation, form=form)


def _after_accepting(domain):
    """To the domain, or first to the other invitations for this email, to accept each."""
    if invitations.waiting_for(current_user):
        return redirect_to(url_for("accesses.waiting"))
    return redirect_to(url_for("domains.show", domain=domain.name))


@bp.get("/account/invitations")
@authenticated
def waiting():
    return render("invitations/waiting.html", invitations=invitations.waiting_for(current_user))


@bp.post("/account/invitations/<int:invitation_id>/accept")
@authenticated
def accept_waiting(invitation_id):
    invitation = invitations.find_waiting(current_user, invitation_id)
    if invitation is None:
        flash(_("This invitation is not waiting for you (any more)."), "error")
        return redirect_to(url_for("accesses.waiting"))
    result = invitations.accept(invitation, current_user)
    if not result.ok:
        flash(result.message, "error")
        return redirect_to(url_for("accesses.waiting"))
    flash(_("You now have access to %(domain)s.", domain=invitation.domain.unicode_name), "success")
    return _after_accepting(invitation.domain)
