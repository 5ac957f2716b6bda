"""Every paged list (residents, applications, the audit log) pages by one rule and reads alike:
"Page 2 of 5 · 93 results"."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx
from babel.numbers import format_decimal

from lbt_app.i18n import N_, t
from lbt_app.states.handler import whole_number

RESULTS = N_("Page {page} of {pages} · {count} results")
ONE_RESULT = N_("Page 1 of 1 · 1 result")
NOTHING_FOUND = N_("Nothing found.")


def page_count(total: int, size: int) -> int:
    """How many pages `total` rows fill, `size` a page; an empty list is one (empty) page."""
    return max(1, -(-total // size))


def page_number(page: object, pages: int) -> int:
    """A page asked for by the browser, from 1 to the last (anything else is page 1)."""
    return min(max(1, whole_number(page) or 1), max(1, pages))


def describe_page(page: int, pages: int, total: int, lang: str) -> str:
    """The pager's words in `lang`; counts written the language's way (93, 1 234)."""
    if total == 0:
        return t(NOTHING_FOUND, lang)
    if total == 1:
        return t(ONE_RESULT, lang)
    number = format_decimal(total, locale=lang)
    return t(RESULTS, lang, page=page, pages=pages, count=number)


class PagedList(rx.State, mixin=True):
    """The vars of a paged list. A state mixes it in before its SessionState base, sets
    `PAGE_SIZE`, keeps `page` and `total` current and has a `go_to_page(page)` handler."""

    PAGE_SIZE: ClassVar[int] = 20
    page: int = 1
    total: int = 0

    @rx.var
    def pages(self) -> int:
        return page_count(self.total, self.PAGE_SIZE)

    @rx.var
    def page_words(self) -> str:
        return describe_page(self.page, self.pages, self.total, self.lang)  # SessionState's lang
