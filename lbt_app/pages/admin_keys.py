"""Administration: the authorities' signing keys (/admin/keys)."""

import reflex as rx

from lbt_app.components.admin_nav import admin_nav
from lbt_app.components.layout import T, T_var, page
from lbt_app.states.admin_keys import AdminKeysState

S = AdminKeysState
_KID = {"overflow_wrap": "anywhere", "font_family": "var(--code-font-family)"}
_WRAP = {"overflow_wrap": "anywhere"}


def _rotate_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(T("Rotate the signing key?")),
            rx.alert_dialog.description(
                rx.text(S.rotating["name"], weight="bold", style=_WRAP),
                rx.text(
                    T(
                        "A new key signs permits from now on. The current key is retired: "
                        "the permits it signed keep verifying."
                    ),
                    size="2",
                ),
                margin_bottom="12px",
            ),
            rx.hstack(
                rx.button(T("Rotate"), on_click=S.confirm_rotate, data_testid="rotate-confirm"),
                rx.button(T("Cancel"), variant="soft", on_click=S.cancel_rotate),
                wrap="wrap",
            ),
        ),
        open=S.rotating.length() > 0,
        on_open_change=lambda _: S.cancel_rotate(),
    )


def _revoke_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(T("Revoke this key?")),
            rx.alert_dialog.description(
                rx.text(S.revoking["kid"], weight="bold", style=_KID, data_testid="revoke-kid"),
                rx.text(
                    T("Permits that will stop verifying"),
                    ": ",
                    rx.text.strong(S.revoking["count"], data_testid="revoke-count"),
                    size="2",
                ),
                rx.cond(
                    S.revoking["status"] == "active",
                    rx.text(
                        T("This key signs new permits: rotate first, or no permit can be issued."),
                        size="2",
                        color_scheme="red",
                    ),
                ),
                rx.text(T("This cannot be undone. Type the key id to confirm."), size="2"),
                margin_bottom="12px",
            ),
            rx.form(
                rx.vstack(
                    rx.input(
                        name="kid",
                        aria_label=T("Key id"),
                        auto_complete="off",
                        spell_check=False,
                        width="100%",
                        data_testid="revoke-typed",
                    ),
                    rx.cond(
                        S.revoke_error != "",
                        rx.text(
                            T_var(S.revoke_error),
                            color_scheme="red",
                            size="2",
                            data_testid="revoke-error",
                        ),
                    ),
                    rx.hstack(
                        rx.button(
                            T("Revoke"),
                            type="submit",
                            color_scheme="red",
                            data_testid="revoke-confirm",
                        ),
                        rx.button(
                            T("Cancel"), type="button", variant="soft", on_click=S.cancel_revoke
                        ),
                        wrap="wrap",
                    ),
                    width="100%",
                ),
                on_submit=S.confirm_revoke,
                reset_on_submit=False,
            ),
        ),
        open=S.revoking.length() > 0,
        on_open_change=lambda _: S.cancel_revoke(),
    )


def _key(k: rx.Var) -> rx.Component:
    return rx.box(
        rx.text(k["kid"], weight="bold", size="2", style=_KID, data_testid="key-kid"),
        rx.hstack(
            rx.badge(
                T_var(k["status_label"]),
                color_scheme=rx.match(k["status"], ("active", "green"), ("retired", "gray"), "red"),
                data_testid="key-status",
            ),
            rx.text(T("Permits signed"), ": ", k["signed"], size="2", data_testid="key-signed"),
            wrap="wrap",
            align="center",
        ),
        rx.text(T("Created"), " ", k["created"], size="2", color_scheme="gray"),
        rx.cond(
            k["retired"] != "",
            rx.text(T("Retired"), " ", k["retired"], size="2", color_scheme="gray"),
        ),
        rx.cond(
            k["revoked"] != "",
            rx.text(T("Revoked"), " ", k["revoked"], size="2", color_scheme="gray"),
        ),
        rx.cond(
            k["status"] != "revoked",
            rx.button(
                T("Revoke"),
                size="1",
                variant="soft",
                color_scheme="red",
                on_click=S.ask_revoke(k["kid"]),
                data_testid="key-revoke",
            ),
        ),
        padding_y="8px",
        border_top="1px solid var(--gray-a5)",
        width="100%",
        data_testid="signing-key",
        data_kid=k["kid"],
        data_status=k["status"],
    )


def _authority(a: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(a["name"], weight="bold", style=_WRAP),
            rx.text(
                T("Agreement"), ": ", a["agreement"], size="2", color_scheme="gray", style=_WRAP
            ),
            rx.button(
                T("Rotate key"),
                size="2",
                on_click=S.ask_rotate(a["code"]),
                data_testid="key-rotate",
            ),
            rx.foreach(S.keys, lambda k: rx.cond(k["authority"] == a["code"], _key(k))),
            spacing="2",
            width="100%",
        ),
        width="100%",
        data_testid="key-authority",
        data_code=a["code"],
    )


def admin_keys_page() -> rx.Component:
    return page(
        rx.heading(T("Signing keys"), size="6"),
        admin_nav(),
        rx.text(
            T(
                "Each authority signs permits with its active key; officers' phones verify them "
                "with the public keys of the trust list."
            ),
            size="2",
            color_scheme="gray",
        ),
        rx.button(
            rx.icon("download", size=16),
            T("Download the trust list"),
            variant="soft",
            on_click=S.export_trust_list,
            data_testid="trust-list-export",
        ),
        rx.foreach(S.authorities, _authority),
        _rotate_dialog(),
        _revoke_dialog(),
        testid="admin-keys-page",
    )
