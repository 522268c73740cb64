"""Exports as CSV, streamed as they are read (constant memory whatever the domain's size),
in the format the imports read back."""

from flask import Blueprint, Response, stream_with_context

from webapp import spreadsheets
from webapp.models import Role
from webapp.permissions import require_role, superuser_required
from webapp.services import exports as service

bp = Blueprint("exports", __name__)


def csv_response(rows, file_name: str) -> Response:
    """`rows` as a CSV file to download, written as they come."""
    response = Response(stream_with_context(spreadsheets.csv_lines(rows)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


@bp.get("/domains/<domain>/exports/mailboxes.csv")
@require_role(Role.VIEWER)
def mailboxes(domain):
    return csv_response(service.mailboxes(domain), f"{domain.name}-mailboxes.csv")


@bp.get("/domains/<domain>/exports/aliases.csv")
@require_role(Role.VIEWER)
def aliases(domain):
    return csv_response(service.aliases(domain), f"{domain.name}-aliases.csv")


@bp.get("/domains/<domain>/exports/collaborators.csv")
@require_role(Role.VIEWER)
def collaborators(domain):
    return csv_response(service.collaborators(domain), f"{domain.name}-collaborators.csv")


@bp.get("/exports/domain-managers.csv")
@superuser_required
def domain_managers():
    return csv_response(service.domain_managers(), "domain-managers.csv")
