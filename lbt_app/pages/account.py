"""The account page (/account): two-step sign-in for staff."""

import reflex as rx

from lbt_app.components import second_factor
from lbt_app.components.layout import T, error_note, page
from lbt_app.states.account import AccountState


def account_page() -> rx.Component:
    return page(
        rx.heading(T("My account"), size="6"),
        rx.card(
            rx.vstack(
                rx.heading(T("Two-step sign-in"), size="4"),
                rx.cond(
                    AccountState.recovery_codes.length() > 0,
                    second_factor.recovery_codes(
                        AccountState.recovery_codes, AccountState.codes_saved, "account"
                    ),
                    rx.cond(
                        AccountState.enrolled_since != "",
                        rx.text(
                            T("On since"),
                            " ",
                            AccountState.enrolled_since,
                            data_testid="second-factor-on",
                        ),
                        rx.cond(
                            AccountState.enrol_secret != "",
                            second_factor.enrolment(
                                AccountState.enrol_qr,
                                AccountState.enrol_secret,
                                AccountState.confirm,
                                error_note(AccountState.error, "account-error"),
                                "account",
                            ),
                            rx.vstack(
                                rx.text(
                                    T(
                                        "With two-step sign-in, a stolen password is not "
                                        "enough: signing in also takes a code from your phone."
                                    )
                                ),
                                rx.button(
                                    T("Set up two-step sign-in"),
                                    on_click=AccountState.begin,
                                    size="3",
                                    width="100%",
                                    data_testid="second-factor-begin",
                                ),
                                spacing="3",
                                width="100%",
                            ),
                        ),
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
            max_width="420px",
        ),
        testid="account-page",
    )
