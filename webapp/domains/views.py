from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    request,
    url_for,
)
from flask_login import current_user

from webapp import messages
from webapp.dimail import checks as dimail_checks
from webapp.dimail import records as dimail_records
from webapp.dimail import zonefile
from webapp.domains.forms import DomainForm, StatusForm
from webapp.forms import apply_errors, query_text
from webapp.htmx import is_htmx, redirect_to, render
from webapp.jobs import drift as drift_jobs
from webapp.models import Role
from webapp.pagination import page_number
from webapp.permissions import authenticated, may_create_domains, require_role
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
        result = service.create_domain(
            form.name.data, form.support_email.data, current_user, form.locale.data
        )
        if result.ok:
            flash(result.message, result.category)
            return redirect_to(url_for("domains.show", domain=result.value.name))
        apply_errors(form, result.errors)
    return _list_page(form, status=422)


def _show(domain, partial=None, status=200, status_form=None):
    return render(
        "domains/show.html",
        partial,
        status=status,
        domain=domain,
        abilities=g.abilities,
        collaborators=service.collaborators(domain),
        status_form=status_form
        or StatusForm(formdata=None, status=domain.status, locale=domain.locale),
        checks=dimail_checks,
        records=dimail_records,
        counts=service.counts(domain),
    )


@bp.get("/<domain>/")
@require_role(Role.VIEWER)
def show(domain):
    return _show(domain)


@bp.get("/<domain>/status")
@require_role(Role.VIEWER)
def status_panel(domain):
    """The dimail panel alone: polled by htmx while a job runs."""
    if not is_htmx():
        return redirect_to(url_for("domains.show", domain=domain.name))
    return _show(domain, "domains/_dimail.html")


@bp.post("/<domain>/check")
@require_role(Role.ADMINISTRATOR)
def check(domain):
    result = service.request_check(domain)
    if not result.ok:
        flash(result.message, "error")
        return _show(domain, "domains/_dimail.html", status=409)
    flash(result.message, result.category)
    if is_htmx():
        return _show(domain, "domains/_dimail.html")
    return redirect_to(url_for("domains.show", domain=domain.name))


@bp.post("/<domain>/import")
@require_role(Role.ADMINISTRATOR)
def import_dimail(domain):
    result = service.request_import(domain)
    flash(result.message, result.category if result.ok else "error")
    return redirect_to(url_for("mailboxes.index", domain=domain.name))


def _drift(domain, status=200):

    report = domain.drift_report
    if report:
        report = {
            **report,
            "error": messages.from_json_field(report.get("error")),
            "last_push": messages.from_json_field(report.get("last_push")),
            "differing_mailboxes": [
                {**item, "differences": drift_jobs.differences_of(item)}
                for item in report.get("differing_mailboxes") or []
            ],
        }
    return render(
        "domains/drift.html",
        "domains/_drift.html",
        status=status,
        domain=domain,
        report=report,
        counts=drift_jobs.counts(report) if report else None,
        labels=dict(drift_jobs.KEYS),
    )


@bp.get("/<domain>/drift")
@require_role(Role.VIEWER, superuser_only=True)
def drift(domain):
    return _drift(domain)


@bp.post("/<domain>/drift")
@require_role(Role.VIEWER, superuser_only=True)
def compare_drift(domain):
    result = service.request_drift(domain)
    flash(result.message, result.category if result.ok else "error")
    if is_htmx():
        return _drift(domain)
    return redirect_to(url_for("domains.drift", domain=domain.name))


@bp.post("/<domain>/drift/push")
@require_role(Role.VIEWER, superuser_only=True)
def push_to_dimail(domain):
    result = service.request_push(domain)
    flash(result.message, result.category if result.ok else "error")
    if is_htmx():
        return _drift(domain, status=200 if result.ok else 409)
    return redirect_to(url_for("domains.drift", domain=domain.name))


@bp.get("/<domain>/zone.txt")
@require_role(Role.VIEWER)
def zone_file(domain):
    body = zonefile.render(domain.name, domain.unicode_name, domain.dns_records or [])
    filename = f"{domain.name}.zone.txt"
    return Response(
        body,
        mimetype="text/plain",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.post("/<domain>/status")
@require_role(Role.VIEWER, superuser_only=True)
def set_status(domain):
    form = StatusForm()
    if form.validate_on_submit():
        result = service.set_status(domain, form.status.data, form.locale.data)
        if result.ok:
            flash(result.message, result.category)
            return redirect_to(url_for("domains.show", domain=domain.name))
        apply_errors(form, result.errors)
    return _show(domain, "domains/_status_form.html", status=422, status_form=form)
