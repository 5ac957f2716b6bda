"""Counting a list's matches without reading them all: every paged list counts up to
COUNT_LIMIT + 1 rows (an index range or a LIMIT stops it there) and says "over 1,000" beyond."""

from __future__ import annotations

from sqlmodel import Session, func, select
from sqlmodel.sql.expression import SelectOfScalar

COUNT_LIMIT = 1_000


def bounded_count(session: Session, matches: SelectOfScalar) -> int:
    """How many rows `matches` selects, up to COUNT_LIMIT + 1 (meaning "more than the limit")."""
    found = matches.limit(COUNT_LIMIT + 1).subquery()
    return session.exec(select(func.count()).select_from(found)).one()


def page_count(total: int, size: int) -> int:
    """How many pages `total` rows fill, `size` a page; an empty list is one (empty) page, and
    a list counted past the limit has the pages the limit fills (a narrower search shows more)."""
    return max(1, -(-min(total, COUNT_LIMIT) // size))
