"""Previous · "Page 2 of 5 · 93 results" · Next under every paged list; Newer · Older under the
audit log (keyset)."""

from __future__ import annotations

import reflex as rx

from lbt_app.components.layout import T
from lbt_app.states.paging import PagedList


def pager(state: type[PagedList], testid: str) -> rx.Component:
    """`state` mixes in PagedList and has a `go_to_page(page)` handler."""

    def step(label: rx.Var, to: rx.Var, disabled: rx.Var, name: str) -> rx.Component:
        return rx.cond(
            state.pages > 1,
            rx.button(
                label,
                variant="soft",
                size="1",
                disabled=disabled,
                on_click=state.go_to_page(to),
                data_testid=f"{testid}-{name}",
            ),
        )

    return rx.hstack(
        step(T("Previous"), state.page - 1, state.page <= 1, "previous"),
        rx.text(state.page_words, size="2", color_scheme="gray", data_testid=f"{testid}-pages"),
        step(T("Next"), state.page + 1, state.page >= state.pages, "next"),
        align="center",
        wrap="wrap",
    )


def keyset_pager(state, testid: str) -> rx.Component:
    """Newer · "Events: over 1,000" · Older, under a list paged by keyset (the audit log):
    `state` has `newer`, `older`, `count_words` and `show_newer()` / `show_older()` handlers."""

    def step(label: rx.Var, handler, enabled: rx.Var, name: str) -> rx.Component:
        return rx.button(
            label,
            variant="soft",
            size="1",
            disabled=~enabled,
            on_click=handler,
            data_testid=f"{testid}-{name}",
        )

    return rx.hstack(
        step(T("Newer"), state.show_newer, state.newer, "newer"),
        rx.text(state.count_words, size="2", color_scheme="gray", data_testid=f"{testid}-count"),
        step(T("Older"), state.show_older, state.older, "older"),
        align="center",
        wrap="wrap",
    )
