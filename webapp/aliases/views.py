from flask import Blueprint, current_app, flash, g, request, url_for

from webapp.aliases.forms import AliasForm
from webapp.forms import apply_errors, query_text
from webapp.htmx import is_htmx, redirect_to, render
from webapp.mailboxes.forms import ActionForm
from webapp.models import Role
from webapp.pagination import page_number
from webapp.permissions import require_role
from webapp.services import aliases as service

bp = Blueprint("aliases", __name__, url_prefix="/domains/<domain>/aliases")


def _list(domain, form, status=200, partial="aliases/_list.html"):
    q = query_text(request.args.get("q"))
    page = service.listing(
        domain, q, page_number(request.args.get("page")), current_app.config["PAGE_SIZE"]
    )
    return render(
        "aliases/index.html",
        partial,
        status=status,
        domain=domain,
        abilities=g.abilities,
        form=form,
        action_form=ActionForm(formdata=None),
        page=page,
        q=q,
    )


@bp.get("/")
@require_role(Role.VIEWER)
def index(domain):
    return _list(domain, AliasForm(formdata=None))


@bp.post("/")
@require_role(Role.ADMINISTRATOR)
def create(domain):
    form = AliasForm()
    if form.validate_on_submit():
        result = service.add(domain, form.local_part.data, form.destination.data)
        if result.ok:
            flash(result.message, result.category)
            if is_htmx():
                # Keep the alias typed, ready for one more destination.
                fresh = AliasForm(formdata=None, local_part=result.value.local_part)
                body, code = render(
                    "aliases/index.html", "aliases/_create_form.html", domain=domain, form=fresh
                )
                return body, code, {"HX-Trigger": "aliases-changed"}
            return redirect_to(url_for("aliases.index", domain=domain.name))
        apply_errors(form, result.errors)
        if result.message:
            form.form_errors.append(result.message)
    return _list(domain, form, status=422, partial="aliases/_create_form.html")


@bp.route("/<local_part>/delete", methods=["GET", "POST"])
@require_role(Role.ADMINISTRATOR)
def delete(domain, local_part):
    # The Remove buttons ask with a GET (see mailboxes.disable): nothing changes until the
    # confirmed POST, which answers with a redirect.
    asked = request.args if request.method == "GET" else request.form
    destination = (asked.get("destination") or "").strip() or None
    if request.method == "GET" or request.form.get("confirm") != "yes":
        return render(
            "aliases/confirm_delete.html",
            domain=domain,
            local_part=local_part,
            destination=destination,
            action_form=ActionForm(formdata=None),
        )
    result = service.remove(domain, local_part, destination)
    flash(result.message, result.category if result.ok else "error")
    if is_htmx():
        return _list(domain, AliasForm(formdata=None), status=200 if result.ok else 409)
    return redirect_to(url_for("aliases.index", domain=domain.name))
