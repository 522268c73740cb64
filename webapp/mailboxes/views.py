from flask import Blueprint, abort, current_app, flash, g, request, url_for
from flask_login import current_user

from webapp.forms import apply_errors, query_text
from webapp.htmx import is_htmx, redirect_to, render
from webapp.mailboxes.forms import (
    SORT_CHOICES,
    STATUS_CHOICES,
    ActionForm,
    MailboxEditForm,
    MailboxForm,
    NamesForm,
)
from webapp.models import Role
from webapp.pagination import page_number
from webapp.permissions import owns_mailbox, require_role
from webapp.services import mailbox_list
from webapp.services import mailboxes as service
from webapp.validators import suggest_local_part

bp = Blueprint("mailboxes", __name__, url_prefix="/domains/<domain>/mailboxes")


def _load(domain, local_part):
    mailbox = service.find(domain, local_part)
    if mailbox is None:
        abort(404)
    return mailbox


def _list_params() -> dict:
    return {
        "q": query_text(request.args.get("q")),
        "status": query_text(request.args.get("status"), 20),
        "sort": query_text(request.args.get("sort"), 20) or "name",
    }


def _list(domain, form, status=200, partial="mailboxes/_list.html"):
    params = _list_params()
    counts = mailbox_list.counts(domain)
    page = mailbox_list.listing(
        domain, page=page_number(request.args.get("page")),
        per_page=current_app.config["PAGE_SIZE"], counts=counts, **params,
    )  # fmt: skip
    return render(
        "mailboxes/index.html",
        partial,
        status=status,
        domain=domain,
        abilities=g.abilities,
        form=form,
        status_choices=STATUS_CHOICES,
        sort_choices=SORT_CHOICES,
        params=params,
        page=page,
        counts=counts,
    )


@bp.get("/")
@require_role(Role.VIEWER)
def index(domain):
    return _list(domain, MailboxForm(formdata=None))


@bp.post("/")
@require_role(Role.ADMINISTRATOR)
def create(domain):
    form = MailboxForm()
    if form.validate_on_submit():
        result = service.create(domain, form.data)
        if result.ok:
            flash(result.message, result.category)
            if is_htmx():
                # Back to an empty form; the list listens for the event and reloads itself.
                response = render(
                    "mailboxes/index.html", "mailboxes/_create_form.html",
                    domain=domain, abilities=g.abilities, form=MailboxForm(formdata=None),
                )  # fmt: skip
                return (*response, {"HX-Trigger": "mailboxes-changed"})
            return redirect_to(url_for("mailboxes.index", domain=domain.name))
        apply_errors(form, result.errors)
        if result.message:
            form.form_errors.append(result.message)
    return _list(domain, form, status=422, partial="mailboxes/_create_form.html")


@bp.get("/suggest")
@require_role(Role.ADMINISTRATOR)
def suggest(domain):
    """The address field, filled from the names typed so far (until the user edits it)."""
    form = MailboxForm(request.args)
    if not form.local_part_edited.data:
        form.local_part.data = suggest_local_part(form.first_name.data, form.last_name.data)
    return render("mailboxes/_local_part_field.html", form=form, domain=domain)


def _show(domain, mailbox, form=None, status=200, partial=None):
    can_manage = g.abilities.manage_mailboxes
    if form is None:
        form_class = MailboxEditForm if can_manage else NamesForm
        form = form_class(formdata=None, obj=mailbox)
    return render(
        "mailboxes/show.html",
        partial,
        status=status,
        domain=domain,
        mailbox=mailbox,
        form=form,
        action_form=ActionForm(formdata=None),
        abilities=g.abilities,
        can_edit=can_manage or owns_mailbox(current_user, domain, mailbox.local_part),
    )


@bp.get("/<local_part>/")
@require_role(Role.VIEWER)
def show(domain, local_part):
    return _show(domain, _load(domain, local_part))


@bp.get("/<local_part>/status")
@require_role(Role.VIEWER)
def status(domain, local_part):
    mailbox = _load(domain, local_part)
    if not is_htmx():
        return redirect_to(url_for("mailboxes.show", domain=domain.name, local_part=local_part))
    return _show(domain, mailbox, partial="mailboxes/_state.html")


@bp.post("/<local_part>/")
@require_role(Role.ADMINISTRATOR, or_if=owns_mailbox)
def edit(domain, local_part):
    mailbox = _load(domain, local_part)
    names_only = not g.abilities.manage_mailboxes
    form = NamesForm() if names_only else MailboxEditForm()
    if form.validate_on_submit():
        result = service.update(mailbox, form.data, names_only=names_only)
        if result.ok:
            flash(result.message, result.category)
            return redirect_to(url_for("mailboxes.show", domain=domain.name, local_part=local_part))
        apply_errors(form, result.errors)
        if result.message:
            form.form_errors.append(result.message)
    return _show(domain, mailbox, form, status=422, partial="mailboxes/_edit_form.html")


def _action(domain, local_part, run):
    mailbox = _load(domain, local_part)
    result = run(mailbox)
    flash(result.message, result.category if result.ok else "error")
    if is_htmx():
        return _show(
            domain, mailbox, partial="mailboxes/_state.html", status=200 if result.ok else 409
        )
    return redirect_to(url_for("mailboxes.show", domain=domain.name, local_part=local_part))


@bp.route("/<local_part>/disable", methods=["GET", "POST"])
@require_role(Role.ADMINISTRATOR)
def disable(domain, local_part):
    mailbox = _load(domain, local_part)
    if request.method == "GET" or request.form.get("confirm") != "yes":
        # Without JavaScript there is no hx-confirm: ask on a page of its own. The Disable
        # button gets it with a GET, so that Back after confirming shows it again, without the
        # browser asking to send a form again; the confirmed POST answers with a redirect.
        return render(
            "mailboxes/confirm_disable.html",
            domain=domain,
            mailbox=mailbox,
            action_form=ActionForm(formdata=None),
        )
    return _action(domain, local_part, lambda m: service.set_enabled(m, False))


@bp.post("/<local_part>/enable")
@require_role(Role.ADMINISTRATOR)
def enable(domain, local_part):
    return _action(domain, local_part, lambda m: service.set_enabled(m, True))


@bp.post("/<local_part>/reset-password")
@require_role(Role.ADMINISTRATOR)
def reset_password(domain, local_part):
    return _action(domain, local_part, service.reset_password)


@bp.post("/<local_part>/login-link")
@require_role(Role.ADMINISTRATOR)
def login_link(domain, local_part):
    return _action(domain, local_part, service.send_login_link)


@bp.post("/<local_part>/retry")
@require_role(Role.ADMINISTRATOR)
def retry(domain, local_part):
    return _action(domain, local_part, service.retry)
