"""The sign-in page."""

import reflex as rx

from lbt_app.components.layout import T, T_var, page
from lbt_app.states.login import LoginState


def login_page() -> rx.Component:
    return page(
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading(T("Sign in"), size="6"),
                    rx.text(T("Local Border Traffic permits"), color_scheme="gray"),
                    rx.el.label(T("User name"), html_for="username"),
                    rx.input(
                        id="username",
                        name="username",
                        auto_complete="username",
                        auto_capitalize="none",
                        required=True,
                        width="100%",
                        size="3",
                    ),
                    rx.el.label(T("Password"), html_for="password"),
                    rx.input(
                        id="password",
                        name="password",
                        type="password",
                        auto_complete="current-password",
                        required=True,
                        width="100%",
                        size="3",
                    ),
                    rx.cond(
                        LoginState.error != "",
                        rx.callout(
                            T_var(LoginState.error),
                            icon="triangle-alert",
                            color_scheme="red",
                            data_testid="login-error",
                            width="100%",
                        ),
                    ),
                    rx.button(
                        T("Sign in"), type="submit", size="3", width="100%", data_testid="sign-in"
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=LoginState.sign_in,
                reset_on_submit=False,
            ),
            width="100%",
            max_width="420px",
            margin="24px auto",
        ),
        testid="login-page",
    )
