"""The sign-in page."""

import reflex as rx

from lbt_app import routes
from lbt_app.components import second_factor
from lbt_app.components.layout import T, error_note, page
from lbt_app.states.login import LoginState, SignUpState


def _field(elem_id: str, name: str, label: rx.Var, **props) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=elem_id),
        rx.input(id=elem_id, name=name, required=True, width="100%", size="3", **props),
        width="100%",
        spacing="1",
    )


def _login_form(
    on_submit: rx.EventHandler, submit: rx.Var, testid: str, *fields: rx.Component
) -> rx.Component:
    """A step's form: its fields, the refusal if any, and the button that sends them."""
    return rx.form(
        rx.vstack(
            *fields,
            error_note(LoginState.error, "login-error"),
            rx.button(submit, type="submit", size="3", width="100%", data_testid=testid),
            spacing="3",
            width="100%",
        ),
        on_submit=on_submit,
        reset_on_submit=True,
    )


def _password_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading(T("Sign in"), size="6"),
            rx.text(T("Local Border Traffic permits"), color_scheme="gray"),
            _field(
                "username",
                "username",
                T("User name"),
                auto_complete="username",
                auto_capitalize="none",
            ),
            _field(
                "password",
                "password",
                T("Password"),
                type="password",
                auto_complete="current-password",
            ),
            error_note(LoginState.error, "login-error"),
            rx.button(T("Sign in"), type="submit", size="3", width="100%", data_testid="sign-in"),
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
    )


def _quiet_button(label: rx.Var, on_click: rx.event.EventSpec, testid: str) -> rx.Component:
    """A secondary choice that reads like a link; a long label wraps, aligned left."""
    return rx.button(
        label,
        on_click=on_click,
        variant="ghost",
        size="2",
        data_testid=testid,
        style={"height": "auto", "text_align": "start", "justify_content": "start"},
    )


def _start_again() -> rx.Component:
    return _quiet_button(T("Cancel and start again"), LoginState.start_again, "start-again")


def _step(testid: str, heading: rx.Var, *children: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.heading(heading, size="5"),
        *children,
        _start_again(),
        spacing="3",
        width="100%",
        data_testid=testid,
    )


def _new_password() -> rx.Component:
    return _step(
        "step-new-password",
        T("Choose your own password"),
        rx.text(T("You signed in with a one-time password. Choose your own to go on.")),
        _login_form(
            LoginState.new_password,
            T("Save the password"),
            "save-password",
            _field(
                "new-password",
                "password",
                T("New password"),
                type="password",
                auto_complete="new-password",
            ),
            _field(
                "new-password-again",
                "password_again",
                T("New password again"),
                type="password",
                auto_complete="new-password",
            ),
        ),
    )


def _enrol() -> rx.Component:
    return _step(
        "step-enrol",
        T("Set up two-step sign-in"),
        rx.text(T("Your account needs a code from your phone as well as the password.")),
        second_factor.enrolment(
            LoginState.enrol_qr,
            LoginState.enrol_secret,
            LoginState.confirm_enrolment,
            error_note(LoginState.error, "login-error"),
            "enrol",
        ),
    )


def _save_codes() -> rx.Component:
    return _step(
        "step-save-codes",
        T("Two-step sign-in is on"),
        second_factor.recovery_codes(LoginState.recovery_codes, LoginState.codes_saved, "enrol"),
    )


def _code() -> rx.Component:
    return _step(
        "step-code",
        T("Enter your sign-in code"),
        _login_form(
            LoginState.give_code,
            T("Sign in"),
            "give-code",
            rx.cond(
                LoginState.recovery,
                second_factor.code_input(
                    "sign-in-code", T("One of your recovery codes"), recovery=True
                ),
                second_factor.code_input(
                    "sign-in-code", T("The 6-digit code your authenticator app shows")
                ),
            ),
        ),
        rx.cond(
            LoginState.recovery,
            _quiet_button(
                T("Use the code from the app"),
                LoginState.use_recovery_code(False),
                "use-app-code",
            ),
            _quiet_button(
                T("Lost your phone? Use a recovery code instead."),
                LoginState.use_recovery_code(True),
                "use-recovery-code",
            ),
        ),
    )


def login_page() -> rx.Component:
    return page(
        rx.card(
            rx.match(
                LoginState.step,
                ("new_password", _new_password()),
                ("enrol", _enrol()),
                ("save_codes", _save_codes()),
                ("code", _code()),
                _password_form(),
            ),
            width="100%",
            max_width="420px",
            margin="24px auto",
        ),
        testid="login-page",
    )


def signup_page() -> rx.Component:
    return page(
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading(T("Sign up"), size="6"),
                    _field("signup-full_name", "full_name", T("Your name"), auto_complete="name"),
                    _field(
                        "signup-username",
                        "username",
                        T("User name or phone number"),
                        auto_complete="username",
                        auto_capitalize="none",
                    ),
                    _field(
                        "signup-password",
                        "password",
                        T("Password"),
                        type="password",
                        auto_complete="new-password",
                    ),
                    _field(
                        "signup-password_again",
                        "password_again",
                        T("Password again"),
                        type="password",
                        auto_complete="new-password",
                    ),
                    error_note(SignUpState.error, "signup-error"),
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
