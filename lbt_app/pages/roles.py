"""The landing page of each role; the role issues fill them in."""

import reflex as rx

from lbt_app.components.layout import T, T_var, page
from lbt_app.pages.residents import authority_nav
from lbt_app.states.roles import AdminState, AuthorityState, WalletState


def _figure(label: rx.Var, value: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(label, size="2", color_scheme="gray"), rx.heading(value, size="7"), spacing="1"
        )
    )


def _status_badge(p: rx.Var) -> rx.Component:
    status = p["status"]
    return rx.badge(
        T_var(p["status_label"]),
        color_scheme=rx.match(
            status, ("active", "green"), ("suspended", "amber"), ("revoked", "red"), "gray"
        ),
        data_testid="permit-status",
    )


def _revoke_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(T("Revoke"), " ", AuthorityState.revoking),
            rx.form(
                rx.vstack(
                    rx.input(
                        name="reason",
                        placeholder=T("Reason"),
                        required=True,
                        width="100%",
                        data_testid="revoke-reason",
                    ),
                    rx.hstack(
                        rx.button(
                            T("Revoke"),
                            type="submit",
                            color_scheme="red",
                            data_testid="revoke-submit",
                        ),
                        rx.button(
                            T("Cancel"),
                            type="button",
                            variant="soft",
                            on_click=AuthorityState.cancel_revoke,
                        ),
                    ),
                ),
                on_submit=AuthorityState.revoke,
                reset_on_submit=True,
            ),
        ),
        open=AuthorityState.revoking != "",
    )


def authority_page() -> rx.Component:
    return page(
        authority_nav(),
        rx.heading(T("Authority desk"), size="6"),
        rx.grid(
            _figure(T("Active permits"), AuthorityState.counts["active"]),
            _figure(T("Suspended"), AuthorityState.counts["suspended"]),
            _figure(T("Pending applications"), AuthorityState.counts["pending"]),
            _figure(T("Residents"), AuthorityState.counts["residents"]),
            columns=rx.breakpoints(initial="2", md="4"),
            spacing="3",
            width="100%",
        ),
        rx.hstack(
            rx.heading(T("Permits"), size="4"),
            rx.spacer(),
            rx.button(
                rx.icon("printer", size=16),
                T("Print all cards"),
                size="2",
                variant="soft",
                on_click=AuthorityState.all_cards,
                data_testid="print-all-cards",
            ),
            width="100%",
            align="center",
        ),
        rx.vstack(
            rx.foreach(
                AuthorityState.permits,
                lambda p: rx.card(
                    rx.hstack(
                        rx.vstack(
                            rx.text(p["holder"], weight="bold"),
                            rx.text(
                                p["number"],
                                " · ",
                                p["area"],
                                " · ",
                                p["valid_until"],
                                size="2",
                                color_scheme="gray",
                            ),
                            spacing="1",
                        ),
                        rx.spacer(),
                        _status_badge(p),
                        rx.button(
                            rx.icon("printer", size=14),
                            T("Card"),
                            size="1",
                            variant="soft",
                            color_scheme="gray",
                            on_click=AuthorityState.card(p["number"]),
                            data_testid="print-card",
                        ),
                        rx.cond(
                            p["status"] == "active",
                            rx.button(
                                T("Suspend"),
                                size="1",
                                variant="soft",
                                color_scheme="amber",
                                on_click=AuthorityState.suspend(p["number"]),
                            ),
                        ),
                        rx.cond(
                            p["status"] == "suspended",
                            rx.button(
                                T("Reinstate"),
                                size="1",
                                variant="soft",
                                on_click=AuthorityState.reinstate(p["number"]),
                            ),
                        ),
                        rx.cond(
                            (p["status"] == "active") | (p["status"] == "suspended"),
                            rx.button(
                                T("Revoke"),
                                size="1",
                                variant="soft",
                                color_scheme="red",
                                on_click=AuthorityState.ask_revoke(p["number"]),
                                data_testid="revoke",
                            ),
                        ),
                        align="center",
                        wrap="wrap",
                    ),
                    width="100%",
                    data_testid="permit-row",
                    data_number=p["number"],
                ),
            ),
            width="100%",
        ),
        _revoke_dialog(),
        testid="authority-page",
    )


def wallet_page() -> rx.Component:
    return page(
        rx.heading(T("My permits"), size="6"),
        rx.cond(
            WalletState.permits.length() == 0,
            rx.text(T("You have no permit yet.")),
        ),
        rx.foreach(
            WalletState.permits,
            lambda p: rx.card(
                rx.vstack(
                    rx.hstack(
                        rx.text(p["number"], weight="bold"),
                        rx.spacer(),
                        _status_badge(p),
                        width="100%",
                    ),
                    rx.text(T("Valid until"), ": ", p["valid_until"], size="2"),
                    rx.text(T("Border area"), ": ", p["area"], size="2"),
                    spacing="2",
                ),
                width="100%",
                data_testid="wallet-permit",
            ),
        ),
        testid="wallet-page",
    )


def admin_page() -> rx.Component:
    return page(
        rx.heading(T("Administration"), size="6"),
        rx.text(AdminState.chain, data_testid="audit-chain"),
        rx.heading(T("Users"), size="4"),
        rx.foreach(
            AdminState.users,
            lambda u: rx.hstack(
                rx.text(u["username"], weight="bold"),
                rx.text(u["name"]),
                rx.spacer(),
                rx.badge(T_var(u["role"])),
                width="100%",
            ),
        ),
        testid="admin-page",
    )
