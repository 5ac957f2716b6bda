"""The sign-in page."""

import reflex as rx

from lbt_app import routes
from lbt_app.components.layout import T, page
from lbt_app.states.login import LoginState, SignUpState


def _error(text: rx.Var, testid: str) -> rx.Component:
    return rx.cond(
        text != "",
        rx.callout(
            text,
            icon="triangle-alert",
            color_scheme="red",
            data_testid=testid,
            width="100%",
        ),
    )


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
                    _error(LoginState.error, "login-error"),
                    rx.button(
                        T("Sign in"), type="submit", size="3", width="100%", data_testid="sign-in"
                    ),
                    rx.link(
                        T("No account yet? Sign up to apply for a permit."),
                        href=routes.SIGNUP,
                        data_testid="to-signup",
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


def _input(name: str, label: rx.Var, **props) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=f"signup-{name}"),
        rx.input(id=f"signup-{name}", name=name, required=True, width="100%", size="3", **props),
        width="100%",
        spacing="1",
    )


def signup_page() -> rx.Component:
    return page(
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading(T("Sign up"), size="6"),
                    _input("full_name", T("Your name"), auto_complete="name"),
                    _input(
                        "username",
                        T("User name or phone number"),
                        auto_complete="username",
                        auto_capitalize="none",
                    ),
                    _input(
                        "password", T("Password"), type="password", auto_complete="new-password"
                    ),
                    _input(
                        "password_again",
                        T("Password again"),
                        type="password",
                        auto_complete="new-password",
                    ),
                    _error(SignUpState.error, "signup-error"),
                    rx.button(
                        T("Sign up"), type="submit", size="3", width="100%", data_testid="sign-up"
                    ),
                    rx.link(
                        T("Already have an account? Sign in."),
                        href=routes.LOGIN,
                        data_testid="to-login",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=SignUpState.sign_up,
            ),
            width="100%",
            max_width="420px",
            margin="24px auto",
        ),
        testid="signup-page",
    )
