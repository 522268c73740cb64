"""Page-by-page reads of a select statement: one COUNT and one page query, whatever the size."""

from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from webapp.extensions import db


@dataclass(frozen=True)
class Page:
    items: list
    page: int
    pages: int
    total: int
    # `total` is a lower bound: the rows were counted up to it, and more exist.
    at_least: bool = False
    more: bool = False  # with at_least: whether rows follow this page

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.more if self.at_least else self.page < self.pages


# Beyond any real list, and small enough that its offset stays a 64-bit integer in SQL.
LAST_PAGE_NUMBER = 2**31 - 1


def page_number(raw) -> int:
    """A page number from a query string; anything odd means page 1 rather than an error."""
    try:
        return min(max(1, int(raw)), LAST_PAGE_NUMBER)
    except (TypeError, ValueError):
        return 1


def paginate_rows(stmt, page: int, per_page: int, total: int | None = None, order=(),
                  at_least: bool = False) -> Page:  # fmt: skip
    """Execute `stmt` for one page; a page past the end shows the last one.

    `total`, when the caller already knows how many rows `stmt` gives, saves the COUNT query.
    `order`, the sort (which must be total: end it with a unique column), lets a page in the
    second half be read from the end in reverse order, so that the last pages of a long list
    skip a few rows instead of nearly all of them. `at_least` says that `total` is a lower
    bound: then any page number is read, and one row more tells whether a next page exists;
    only a page past the end costs the exact count, to show the last one.
    """
    if at_least:
        page = min(max(1, page), LAST_PAGE_NUMBER)
        offset = (page - 1) * per_page
        rows = db.session.execute(stmt.order_by(*order).limit(per_page + 1).offset(offset)).all()
        if rows or page == 1:
            return Page(items=rows[:per_page], page=page, pages=-(-total // per_page),
                        total=total, at_least=True, more=len(rows) > per_page)  # fmt: skip
        total = None
    if total is None:
        total = db.session.scalar(
            db.select(func.count()).select_from(stmt.order_by(None).subquery())
        )
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    offset = (page - 1) * per_page
    if order and offset > total // 2:
        size = min(per_page, total - offset)
        from_end = db.session.execute(
            stmt.order_by(*(reverse(clause) for clause in order))
            .limit(size)
            .offset(total - offset - size)
        ).all()
        rows = from_end[::-1]
    else:
        rows = db.session.execute(stmt.order_by(*order).limit(per_page).offset(offset)).all()
    return Page(items=rows, page=page, pages=pages, total=total)


def reverse(clause):
    """The opposite direction of one ORDER BY term (NULLs move to the other end with it on
    SQLite and PostgreSQL alike, so the reversed order is exactly the reverse sequence)."""
    if isinstance(clause, UnaryExpression) and clause.modifier is operators.desc_op:
        return clause.element.asc()
    if isinstance(clause, UnaryExpression) and clause.modifier is operators.asc_op:
        return clause.element.desc()
    return clause.desc()
