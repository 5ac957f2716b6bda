"""The frame every page shares: header with user, role and language; mobile-first body.
Landmarks (banner, main) and the page's language are set here, for every page."""

from __future__ import annotations

import reflex as rx

from lbt_app import routes
from lbt_app.core.access import ROLE_LABEL, Role
from lbt_app.i18n import LANGUAGES, language_name, message_ids
from lbt_app.states.session import SessionState


def T(msgid: str) -> rx.Var:
    """A translated UI string; unknown message ids fail the build, not the page."""
    if msgid not in message_ids():
        raise KeyError(f"message id missing from the catalogues: {msgid!r}")
    return SessionState.tr[msgid]


def T_var(msgid: rx.Var) -> rx.Var:
    """A translated string whose message id comes from state."""
    return SessionState.tr[msgid]


def error_note(text: rx.Var, testid: str) -> rx.Component:
    """A refusal in words (already translated), shown while there is one."""
    return rx.cond(
        text != "",
        rx.callout(
            text, icon="triangle-alert", color_scheme="red", data_testid=testid, width="100%"
        ),
    )


def language_switcher() -> rx.Component:
    return rx.el.select(
        *[rx.el.option(language_name(code), value=code) for code in LANGUAGES],
        value=SessionState.lang,
        on_change=SessionState.set_language,
        aria_label=T("Language"),
        data_testid="language",
        style={"padding": "4px", "border_radius": "6px"},
    )


def account_link() -> rx.Component:
    """An icon button that is a link: one element, named, reached by the keyboard."""
    return rx.icon_button(
        rx.link(
            rx.icon("user-cog", size=16),
            href=routes.ACCOUNT,
            aria_label=T("My account"),
            data_testid="to-account",
        ),
        as_child=True,
        variant="soft",
    )


def header() -> rx.Component:
    return rx.el.header(
        rx.hstack(
            rx.hstack(
                rx.icon("shield-check", size=22),
                rx.text(T("LBT permits"), weight="bold"),
                align="center",
                spacing="2",
            ),
            rx.spacer(),
            rx.cond(
                SessionState.user_name != "",
                rx.hstack(
                    rx.vstack(
                        rx.text(SessionState.user_name, size="2", data_testid="user-name"),
                        rx.text(
                            T_var(SessionState.user_role),
                            size="1",
                            color_scheme="gray",
                            data_testid="user-role",
                        ),
                        spacing="0",
                        align="end",
                    ),
                    rx.cond(SessionState.user_role != ROLE_LABEL[Role.RESIDENT], account_link()),
                    rx.icon_button(
                        rx.icon("log-out", size=16),
                        on_click=SessionState.sign_out,
                        variant="soft",
                        aria_label=T("Sign out"),
                        data_testid="sign-out",
                    ),
                    align="center",
                ),
            ),
            language_switcher(),
            width="100%",
            padding="10px 12px",
            align="center",
            border_bottom="1px solid var(--gray-5)",
            spacing="3",
            wrap="wrap",  # a long name or language name wraps rather than widening the page
        )
    )


def page(*children: rx.Component, testid: str) -> rx.Component:
    return rx.box(
        header(),
        rx.el.main(
            rx.vstack(
                *children,
                width="100%",
                max_width="960px",
                margin="0 auto",
                padding="12px",
                spacing="4",
            )
        ),
        rx.cond(rx.State.is_hydrated, rx.box(data_testid="hydrated", display="none")),
        data_testid=testid,
        lang=SessionState.lang,  # what screen readers read it in
        min_height="100vh",
    )
