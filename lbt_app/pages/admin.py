"""Administration (/admin): the user accounts, and the audit chain's last check."""

import reflex as rx

from lbt_app.components.admin_nav import admin_nav
from lbt_app.components.audit_chain import audit_chain
from lbt_app.components.layout import T, T_var, page
from lbt_app.components.pager import pager
from lbt_app.states.admin import AdminState as S

_SELECT = {"padding": "6px", "max_width": "100%", "width": "100%"}


def _labelled(label: rx.Var, control: rx.Component, html_for: str) -> rx.Component:
    return rx.vstack(
        rx.el.label(
            label,
            html_for=html_for,
            style={"font_size": "var(--font-size-2)", "font_weight": "500"},
        ),
        control,
        spacing="1",
        width="100%",
    )


def _search() -> rx.Component:
    return rx.form(
        rx.flex(
            rx.input(
                name="query",
                placeholder=T("Name or user name"),
                aria_label=T("Name or user name"),
                data_testid="users-query",
                flex="1 1 160px",
            ),
            rx.el.select(
                rx.el.option(T("All roles"), value=""),
                rx.foreach(S.role_filters, lambda r: rx.el.option(r["label"], value=r["value"])),
                name="role",
                aria_label=T("Role"),
                data_testid="users-role",
                style={"padding": "6px", "max_width": "100%"},
            ),
            rx.button(T("Search"), type="submit", variant="soft", data_testid="users-search"),
            wrap="wrap",
            spacing="2",
            width="100%",
        ),
        on_submit=S.search,
        width="100%",
    )


def _menu(u: rx.Var) -> rx.Component:
    uid, itself = u["id"], u["self"] == "1"
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(
            rx.button(
                T("Actions"),
                rx.icon("chevron-down", size=14),
                variant="soft",
                size="2",
                data_testid="user-actions",
            )
        ),
        rx.dropdown_menu.content(
            rx.dropdown_menu.item(T("Edit"), on_select=S.edit_user(uid), data_testid="user-edit"),
            rx.cond(
                u["held"] == "1",
                rx.dropdown_menu.item(
                    T("Unlock sign-in"), on_select=S.unlock(uid), data_testid="user-unlock"
                ),
            ),
            rx.cond(
                ~itself,
                rx.fragment(
                    rx.dropdown_menu.item(
                        T("Reset password"),
                        on_select=S.ask("reset_password", uid),
                        data_testid="user-reset-password",
                    ),
                    rx.cond(
                        u["second_factor"] == "1",
                        rx.dropdown_menu.item(
                            T("Reset second factor"),
                            on_select=S.ask("reset_second_factor", uid),
                            data_testid="user-reset-second-factor",
                        ),
                    ),
                    rx.cond(
                        u["active"] == "1",
                        rx.dropdown_menu.item(
                            T("Deactivate"),
                            color="red",
                            on_select=S.ask("deactivate", uid),
                            data_testid="user-deactivate",
                        ),
                        rx.dropdown_menu.item(
                            T("Reactivate"),
                            on_select=S.reactivate(uid),
                            data_testid="user-reactivate",
                        ),
                    ),
                ),
            ),
        ),
    )


def _user(u: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.text(u["username"], weight="bold", data_testid="user-username"),
                rx.badge(T_var(u["role"]), variant="soft"),
                rx.cond(
                    u["active"] == "1",
                    rx.fragment(),
                    rx.badge(T("Deactivated"), color_scheme="red", data_testid="user-inactive"),
                ),
                rx.cond(
                    u["second_factor"] == "1",
                    rx.badge(T("Two-step sign-in"), color_scheme="green"),
                ),
                rx.cond(
                    u["held"] == "1",
                    rx.badge(T("Sign-in held"), color_scheme="amber", data_testid="user-held"),
                ),
                wrap="wrap",
                spacing="2",
                align="center",
            ),
            rx.text(u["name"], size="2"),
            rx.cond(u["place"] != "", rx.text(u["place"], size="2", color_scheme="gray")),
            rx.text(
                T("Last sign-in"),
                ": ",
                rx.cond(u["last"] != "", u["last"], T("never")),
                size="1",
                color_scheme="gray",
            ),
            _menu(u),
            spacing="1",
            width="100%",
        ),
        width="100%",
        data_testid="user-row",
        data_username=u["username"],
    )


def _binding(label: rx.Var, name: str, choices: rx.Var) -> rx.Component:
    """The authority or crossing point a role needs, chosen by name (the form sends its id)."""
    return _labelled(
        label,
        rx.el.select(
            rx.el.option("—", value=""),
            rx.foreach(choices, lambda c: rx.el.option(c["label"], value=c["id"])),
            name=name,
            default_value=S.form[name],
            id=f"user-{name}",
            data_testid=f"form-{name}",
            style=_SELECT,
        ),
        f"user-{name}",
    )


def _form() -> rx.Component:
    f = S.form
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(S.editing > 0, T("Change account"), T("New account"))),
            rx.form(
                rx.vstack(
                    rx.cond(
                        S.editing > 0,
                        rx.text(T("User name"), ": ", f["username"], weight="bold"),
                        _labelled(
                            T("User name"),
                            rx.input(
                                name="username",
                                id="user-username",
                                auto_complete="off",
                                width="100%",
                                data_testid="form-username",
                            ),
                            "user-username",
                        ),
                    ),
                    _labelled(
                        T("Full name"),
                        rx.input(
                            name="full_name",
                            id="user-full-name",
                            default_value=f["full_name"],
                            width="100%",
                            data_testid="form-full-name",
                        ),
                        "user-full-name",
                    ),
                    rx.cond(
                        S.form_role == "resident",
                        rx.text(T("Role"), ": ", T("Resident")),
                        _labelled(
                            T("Role"),
                            rx.el.select(
                                rx.el.option("—", value=""),
                                rx.foreach(
                                    S.role_choices,
                                    lambda r: rx.el.option(r["label"], value=r["value"]),
                                ),
                                value=S.form_role,
                                on_change=S.choose_role,
                                name="role",  # the state keeps the choice (choose_role)
                                id="user-role",
                                data_testid="form-role",
                                style=_SELECT,
                            ),
                            "user-role",
                        ),
                    ),
                    rx.cond(
                        S.form_role == "authority",
                        _binding(T("Issuing authority"), "authority", S.authorities),
                    ),
                    rx.cond(
                        S.form_role == "officer",
                        _binding(T("Crossing point"), "point", S.points),
                    ),
                    rx.cond(
                        S.editing == 0,
                        rx.text(
                            T("A one-time password is made for the new account and shown once."),
                            size="1",
                            color_scheme="gray",
                        ),
                    ),
                    rx.cond(
                        S.form_error != "",
                        rx.text(
                            T_var(S.form_error),
                            color_scheme="red",
                            size="2",
                            data_testid="form-error",
                        ),
                    ),
                    rx.flex(
                        rx.button(T("Save"), type="submit", data_testid="form-save"),
                        rx.button(
                            T("Cancel"), type="button", variant="soft", on_click=S.close_form
                        ),
                        wrap="wrap",
                        spacing="2",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.save_user,
                reset_on_submit=False,
            ),
            max_width="520px",
        ),
        open=S.form_open,
        on_open_change=lambda _: S.close_form(),
    )


def _confirm() -> rx.Component:
    c = S.confirm
    action = c["action"]
    title = rx.match(
        action,
        ("deactivate", T("Deactivate account")),
        ("reset_password", T("Reset password")),
        T("Reset second factor"),
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(title),
            rx.dialog.description(
                c["name"], " (", c["username"], ")", weight="bold", data_testid="confirm-who"
            ),
            rx.text(
                rx.match(
                    action,
                    (
                        "deactivate",
                        T("They can no longer sign in, and their open pages stop working."),
                    ),
                    (
                        "reset_password",
                        T(
                            "Their password stops working and their open pages close; "
                            "you get a one-time password to give them."
                        ),
                    ),
                    T(
                        "They sign in with the password alone and set up a new second "
                        "factor; their recovery codes stop working."
                    ),
                ),
                size="2",
                margin_top="8px",
            ),
            rx.flex(
                rx.button(
                    title,
                    color_scheme=rx.match(action, ("deactivate", "red"), "amber"),
                    on_click=S.confirmed,
                    data_testid="confirm-action",
                ),
                rx.button(T("Cancel"), variant="soft", on_click=S.cancel),
                wrap="wrap",
                spacing="2",
                margin_top="12px",
            ),
        ),
        open=c.length() > 0,
        on_open_change=lambda _: S.cancel(),
    )


def _secret() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(T("One-time password")),
            rx.dialog.description(
                rx.text(T("User name"), ": ", S.secret_for, weight="bold"),
            ),
            rx.vstack(
                rx.code(
                    S.secret,
                    size="6",
                    data_testid="one-time-password",
                    style={"word_break": "break-all", "user_select": "all"},
                ),
                rx.text(
                    T(
                        "Give it to the person now: it is shown only once. "
                        "They choose their own password when they first sign in."
                    ),
                    size="2",
                ),
                rx.button(T("Done"), on_click=S.forget_secret, data_testid="secret-done"),
                spacing="3",
                margin_top="12px",
            ),
        ),
        open=S.secret != "",
        on_open_change=lambda _: S.forget_secret(),
    )


def admin_page() -> rx.Component:
    return page(
        rx.heading(T("Administration"), size="6"),
        admin_nav(),
        audit_chain(S.check_chain),
        rx.flex(
            rx.heading(T("Users"), size="4"),
            rx.spacer(),
            rx.button(
                rx.icon("user-plus", size=16),
                T("New account"),
                on_click=S.new_user,
                data_testid="user-new",
            ),
            width="100%",
            align="center",
            wrap="wrap",
            spacing="2",
        ),
        _search(),
        rx.vstack(rx.foreach(S.rows, _user), width="100%", spacing="2", data_testid="users"),
        pager(S, "users-pager"),
        _form(),
        _confirm(),
        _secret(),
        testid="admin-page",
    )
