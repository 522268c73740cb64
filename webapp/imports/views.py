"""Imports from a spreadsheet: the page, its preview, the confirmation, the live progress and
the result file. Administrators and owners only (the guard answers everybody else)."""

from flask import Blueprint, abort, current_app, flash, g, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from webapp.errors import too_large
from webapp.exports.views import csv_response as _csv
from webapp.htmx import is_htmx, redirect_to, render
from webapp.imports.forms import ImportForm
from webapp.mailboxes.forms import ActionForm
from webapp.models import Role
from webapp.permissions import require_role
from webapp.services import imports as service

bp = Blueprint("imports", __name__, url_prefix="/domains/<domain>/imports")

# An example row per kind, for the template file.
EXAMPLES = {
    "mailboxes": ["Jeanne", "Martin", "jeanne.martin", "jeanne.martin@example.org"],
    "aliases": ["contact", "jeanne.martin@example.org"],
}
PREVIEW_ROWS = 500  # shown on the page; the counts cover them all, the file too


def _page(domain, kind, form, status=200):
    return render(
        "imports/upload.html", status=status, domain=domain, kind=kind, form=form,
        columns=list(service.COLUMNS[kind]), required=service.REQUIRED[kind],
        max_rows=current_app.config["IMPORT_MAX_ROWS"], abilities=g.abilities,
    )  # fmt: skip


def _upload(domain, kind):
    if g.get("too_large"):
        # The body was refused before anything could read it (errors.handle_http_error
        # comes back here): the page again, the message next to the field.
        form = ImportForm(formdata=None)
        form.file.errors = [too_large()]
        return _page(domain, kind, form, status=413)
    try:
        form = ImportForm()
        valid = form.validate_on_submit()
    except RequestEntityTooLarge:
        g.too_large = True
        return _upload(domain, kind)
    upload = form.file.data
    if valid and not isinstance(upload, FileStorage):
        form.file.errors = [_("Choose the file to import.")]  # text sent where a file goes
        valid = False
    if not valid:
        return _page(domain, kind, form, status=422)
    user = current_user._get_current_object()
    result = service.preview(domain, kind, upload.read(), upload.filename or "", user)
    if not result.ok:
        form.file.errors = [result.errors["file"]]
        return _page(domain, kind, form, status=422)
    return _show(domain, result.value)


def _show(domain, bulk, status=200):
    if bulk.confirmed_at is None:
        return render(
            "imports/preview.html", status=status, domain=domain, bulk=bulk,
            columns=list(service.COLUMNS[bulk.kind]),
            rows=_preview_rows(bulk),
            shown=PREVIEW_ROWS, action_form=ActionForm(formdata=None), abilities=g.abilities,
        )  # fmt: skip
    return render(
        "imports/show.html", "imports/_progress.html", status=status, domain=domain, bulk=bulk,
        progress=service.progress(bulk), abilities=g.abilities,
        conflicts=list(service.rows(bulk, ("conflict",), limit=PREVIEW_ROWS)),
    )  # fmt: skip


def _preview_rows(bulk):
    """Every row of a small file, in its order; of a large one, the rows with a problem first
    (they are what the reader must act on), then some of those to be created."""
    if sum(bulk.counts.values()) <= PREVIEW_ROWS:
        return list(service.rows(bulk))
    problems = list(service.rows(bulk, ("error", "exists"), limit=PREVIEW_ROWS))
    return problems + list(service.rows(bulk, ("create",), limit=PREVIEW_ROWS - len(problems)))


@bp.get("/mailboxes")
@require_role(Role.ADMINISTRATOR)
def mailboxes(domain):
    return _page(domain, "mailboxes", ImportForm(formdata=None))


@bp.post("/mailboxes")
@require_role(Role.ADMINISTRATOR)
def preview_mailboxes(domain):
    return _upload(domain, "mailboxes")


@bp.get("/aliases")
@require_role(Role.ADMINISTRATOR)
def aliases(domain):
    return _page(domain, "aliases", ImportForm(formdata=None))


@bp.post("/aliases")
@require_role(Role.ADMINISTRATOR)
def preview_aliases(domain):
    return _upload(domain, "aliases")


# A request too large to read comes back to these views (errors.handle_http_error).
for _view in (preview_mailboxes, preview_aliases):
    _view.answers_too_large = True


@bp.get("/mailboxes/template.csv")
@require_role(Role.ADMINISTRATOR)
def mailboxes_template(domain):
    return _csv([list(service.COLUMNS["mailboxes"]), EXAMPLES["mailboxes"]], "mailboxes.csv")


@bp.get("/aliases/template.csv")
@require_role(Role.ADMINISTRATOR)
def aliases_template(domain):
    return _csv([list(service.COLUMNS["aliases"]), EXAMPLES["aliases"]], "aliases.csv")


def _load(domain, import_id):
    bulk = service.find(domain, import_id)
    if bulk is None:
        abort(404)
    return bulk


@bp.get("/<int:import_id>")
@require_role(Role.ADMINISTRATOR)
def show(domain, import_id):
    bulk = _load(domain, import_id)
    if is_htmx() and bulk.confirmed_at is None:
        return redirect_to(url_for("imports.show", domain=domain.name, import_id=bulk.id))
    return _show(domain, bulk)


@bp.post("/<int:import_id>/confirm")
@require_role(Role.ADMINISTRATOR)
def confirm(domain, import_id):
    bulk = _load(domain, import_id)
    result = service.confirm(bulk)
    flash(result.message, result.category if result.ok else "error")
    if not result.ok:
        return _show(domain, bulk, status=409)
    return redirect_to(url_for("imports.show", domain=domain.name, import_id=bulk.id))


@bp.get("/<int:import_id>/result.csv")
@require_role(Role.ADMINISTRATOR)
def result(domain, import_id):
    bulk = _load(domain, import_id)
    return _csv(service.result_rows(bulk), f"import-{bulk.id}-result.csv")
