"""Previous · "Page 2 of 5 · 93 results" · Next, under every paged list."""

from __future__ import annotations

import reflex as rx

from lbt_app.components.layout import T
from lbt_app.states.paging import PagedList


def pager(state: type[PagedList], testid: str) -> rx.Component:
    """`state` mixes in PagedList and has a `go_to_page(page)` handler."""
    go_to_page = state.go_to_page
    return rx.hstack(
        rx.cond(
            state.pages > 1,
            rx.button(
                T("Previous"),
                variant="soft",
                size="1",
                disabled=state.page <= 1,
                on_click=go_to_page(state.page - 1),
                data_testid=f"{testid}-previous",
            ),
        ),
        rx.text(state.page_words, size="2", color_scheme="gray", data_testid=f"{testid}-pages"),
        rx.cond(
            state.pages > 1,
            rx.button(
                T("Next"),
                variant="soft",
                size="1",
                disabled=state.page >= state.pages,
                on_click=go_to_page(state.page + 1),
                data_testid=f"{testid}-next",
            ),
        ),
        align="center",
        wrap="wrap",
    )
