"""Setting up two-step sign-in: the QR and typed secret for an authenticator app, the first
code, and the recovery codes shown once. Used at sign-in and on the account page."""

from __future__ import annotations

import reflex as rx

from lbt_app.components.layout import T


def code_input(testid: str, label: rx.Var, *, recovery: rx.Var | bool = False) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=testid),
        rx.input(
            id=testid,
            name="code",
            auto_complete="one-time-code",
            input_mode=rx.cond(recovery, "text", "numeric"),
            auto_capitalize="none",
            required=True,
            width="100%",
            size="3",
            data_testid=testid,
        ),
        width="100%",
        spacing="1",
    )


def enrolment(
    qr: rx.Var, secret: rx.Var, on_submit: rx.EventHandler, error: rx.Component, prefix: str
) -> rx.Component:
    """Scan (or type) the secret into the app, then give its first code."""
    return rx.form(
        rx.vstack(
            rx.text(
                T(
                    "Install an authenticator app on your phone (for example FreeOTP, "
                    "Aegis or Google Authenticator), add an account and scan this code."
                )
            ),
            rx.center(
                rx.image(
                    src=qr,
                    alt=T("QR code for the authenticator app"),
                    width="auto",
                    style={"image_rendering": "pixelated"},
                    data_testid=f"{prefix}-qr",
                ),
                width="100%",
            ),
            rx.text(T("Or type this key into the app:"), size="2"),
            rx.code(
                secret,
                data_testid=f"{prefix}-secret",
                size="3",
                style={"overflow_wrap": "anywhere", "white_space": "normal"},
            ),
            code_input(f"{prefix}-code", T("The 6-digit code the app shows")),
            error,
            rx.button(
                T("Turn on two-step sign-in"),
                type="submit",
                size="3",
                width="100%",
                data_testid=f"{prefix}-confirm",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=on_submit,
        reset_on_submit=True,
    )


def recovery_codes(codes: rx.Var, on_done: rx.EventHandler, prefix: str) -> rx.Component:
    """The recovery codes, shown this once; each stands in for the app one time."""
    return rx.vstack(
        rx.callout(
            T(
                "Write these recovery codes down and keep them safe. Each one signs you in "
                "once if you lose your phone. They are shown only now."
            ),
            icon="key-round",
            color_scheme="amber",
            width="100%",
        ),
        rx.grid(
            rx.foreach(codes, lambda code: rx.code(code, size="3")),
            columns="2",
            spacing="2",
            width="100%",
            data_testid=f"{prefix}-recovery-codes",
        ),
        rx.button(
            T("I have saved them"),
            on_click=on_done,
            size="3",
            width="100%",
            data_testid=f"{prefix}-codes-saved",
        ),
        spacing="3",
        width="100%",
    )
