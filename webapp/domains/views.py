from flask import Blueprint, abort, current_app, flash, g, request, url_for
from flask_login import current_user

from webapp.domains.forms import DomainForm, StatusForm
from webapp.forms import apply_errors, query_text
from webapp.htmx import redirect_to, render
from webapp.pagination import page_number
from webapp.permissions import Role, authenticated, may_create_domains, require_role
from webapp.services import domains as service

bp = Blueprint("domains", __name__, url_prefix="/domains")


def _list_page(form: DomainForm, status: int = 200):
    q = query_text(request.args.get("q"))
    page = service.list_domains(
        current_user,
        q,
        page_number(request.args.get("page")),
        current_app.config["PAGE_SIZE"],
    )
    partial = "domains/_list.html" if request.method == "GET" else "domains/_create_form.html"
    return render("domains/index.html", partial, status=status, form=form, page=page, q=q)


@bp.get("/")
@authenticated
def index():
    return _list_page(DomainForm(formdata=None))


@bp.post("/")
@authenticated
def create():
    if not may_create_domains(current_user, current_app.config["DOMAIN_CREATION"]):
        abort(403)
    form = DomainForm()
    if form.validate_on_submit():
        result = service.create_domain(form.name.data, form.support_email.data, current_user)
        if result.ok:
            flash(result.message, "success")
            return redirect_to(url_for("domains.show", domain=result.value.name))
        apply_errors(form, result.errors)
    return _list_page(form, status=422)


@bp.get("/<domain>/")
@require_role(Role.VIEWER)
def show(domain):
    return render(
        "domains/show.html",
        domain=domain,
        abilities=g.abilities,
        collaborators=service.collaborators(domain),
        status_form=StatusForm(formdata=None, status=domain.status),
    )


@bp.post("/<domain>/status")
@require_role(Role.VIEWER, superuser_only=True)
def set_status(domain):
    form = StatusForm()
    if form.validate_on_submit():
        result = service.set_status(domain, form.status.data, current_user)
        if result.ok:
            flash(result.message, "success")
            return redirect_to(url_for("domains.show", domain=domain.name))
        apply_errors(form, result.errors)
    return render(
        "domains/show.html",
        "domains/_status_form.html",
        status=422,
        domain=domain,
        abilities=g.abilities,
        collaborators=service.collaborators(domain),
        status_form=form,
    )
