"""A domain's audit log: who changed what, when, newest first, filterable by kind."""

from dataclasses import replace

from flask import Blueprint, current_app, g, request
from sqlalchemy import func
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from webapp.audit import KINDS
from webapp.catalogue import gettext
from webapp.catalogue import lazy_gettext as _l
from webapp.extensions import db
from webapp.forms import BaseForm, query_text
from webapp.htmx import render
from webapp.models import AuditCount, AuditEntry, Role
from webapp.pagination import page_number, paginate_rows
from webapp.permissions import require_role

bp = Blueprint("audit_log", __name__, url_prefix="/domains/<domain>/log")

KIND_CHOICES = [SelectChoice("", _l("All changes"))] + [
    SelectChoice(kind, _l(label)) for kind, label in KINDS.items()
]


class LogFilterForm(BaseForm):
    class Meta:
        csrf = False  # a GET filter form

    kind = SelectField(_l("Show"), choices=KIND_CHOICES, validate_choice=False)


def entries(domain, kind: str = "", page: int = 1, per_page: int = 50):
    """One page of the domain's log, newest first: the total kept by the database (see
    AuditCount) and a page query, whatever the size."""
    stmt = db.select(AuditEntry).where(AuditEntry.domain_id == domain.id)
    counted = db.select(func.coalesce(func.sum(AuditCount.n), 0)).where(
        AuditCount.domain_id == domain.id
    )
    if kind:
        stmt = stmt.where(AuditEntry.kind == kind)
        counted = counted.where(AuditCount.kind == kind)
    order = (AuditEntry.created_at.desc(), AuditEntry.id.desc())
    result = paginate_rows(stmt, page, per_page, total=db.session.scalar(counted), order=order)
    return replace(result, items=[row[0] for row in result.items])


@bp.get("/")
@require_role(Role.ADMINISTRATOR)
def index(domain):
    kind = query_text(request.args.get("kind"), 40)
    if kind not in KINDS:
        kind = ""  # an unknown kind shows everything rather than an error
    page = entries(
        domain, kind, page_number(request.args.get("page")), current_app.config["PAGE_SIZE"]
    )
    return render(
        "audit_log/index.html",
        "audit_log/_entries.html",
        domain=domain,
        abilities=g.abilities,
        filters=LogFilterForm(formdata=None, data={"kind": kind}),
        kind=kind,
        kinds={kind: gettext(label) for kind, label in KINDS.items()},
        page=page,
    )
