"""Page-by-page reads of a select statement: one COUNT and one page query, whatever the size."""

from dataclasses import dataclass

from sqlalchemy import func

from webapp.extensions import db


@dataclass(frozen=True)
class Page:
    items: list
    page: int
    pages: int
    total: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def page_number(raw) -> int:
    """A page number from a query string; anything odd means page 1 rather than an error."""
    try:
        return max(1, int(raw))
    except (TypeError, ValueError):
        return 1


def paginate_rows(stmt, page: int, per_page: int, total: int | None = None) -> Page:
    """Execute `stmt` for one page; a page past the end shows the last one.

    `total`, when the caller already knows how many rows `stmt` gives, saves the COUNT query.
    """
    if total is None:
        total = db.session.scalar(
            db.select(func.count()).select_from(stmt.order_by(None).subquery())
        )
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=rows, page=page, pages=pages, total=total)
