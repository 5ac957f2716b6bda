"""Every paged list (residents, applications) pages by one rule and reads alike:
"Page 2 of 5 · 93 results" (or "over 1,000 results": lists count no further)."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx
from babel.numbers import format_decimal

from lbt_app.i18n import N_, t
from lbt_app.services.listing import COUNT_LIMIT, page_count
from lbt_app.states.handler import whole_number

RESULTS = N_("Page {page} of {pages} · {count} results")
MANY_RESULTS = N_("Page {page} of {pages} · over {count} results")
ONE_RESULT = N_("Page 1 of 1 · 1 result")
# A list paged by keyset (newer / older, the audit log) says how many match, not the page.
EVENTS = N_("Events: {count}")
MANY_EVENTS = N_("Events: over {count}")
NOTHING_FOUND = N_("Nothing found.")


def page_number(page: object, pages: int) -> int:
    """A page asked for by the browser, from 1 to the last (anything else is page 1)."""
    return min(max(1, whole_number(page) or 1), max(1, pages))


def describe_page(page: int, pages: int, total: int, lang: str) -> str:
    """The pager's words in `lang`; counts written the language's way (93, 1 234); a total
    counted past COUNT_LIMIT reads "over 1,000"."""
    if total == 0:
        return t(NOTHING_FOUND, lang)
    if total == 1:
        return t(ONE_RESULT, lang)
    words = RESULTS if total <= COUNT_LIMIT else MANY_RESULTS
    number = format_decimal(min(total, COUNT_LIMIT), locale=lang)
    return t(words, lang, page=page, pages=pages, count=number)


def describe_count(total: int, lang: str) -> str:
    """A keyset-paged list's words: how many match, "over 1,000" past COUNT_LIMIT."""
    if total == 0:
        return t(NOTHING_FOUND, lang)
    number = format_decimal(min(total, COUNT_LIMIT), locale=lang)
    return t(EVENTS if total <= COUNT_LIMIT else MANY_EVENTS, lang, count=number)


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
