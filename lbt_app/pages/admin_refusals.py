"""Administration: the refusal list (/admin/refusals)."""

import reflex as rx

from lbt_app.components.admin_nav import admin_nav
from lbt_app.components.form_field import labelled
from lbt_app.components.layout import T, T_var, page
from lbt_app.components.pager import pager
from lbt_app.services.refusals import FIELD_LABEL
from lbt_app.states.admin_refusals import AdminRefusalsState

S = AdminRefusalsState
_WRAP = {"overflow_wrap": "anywhere"}


def _labelled(name: str, control: rx.Component) -> rx.Component:
    return labelled(
        T(FIELD_LABEL[name]), control, name=name, html_for=f"refusal-{name}", errors=S.form_errors
    )


def _input(name: str, **props) -> rx.Component:
    return _labelled(
        name,
        rx.input(
            name=name, id=f"refusal-{name}", width="100%", data_testid=f"refusal-{name}", **props
        ),
    )


def _add_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(T("Add to the refusal list")),
            rx.form(
                rx.vstack(
                    _labelled(
                        "authority",
                        rx.el.select(
                            rx.foreach(
                                S.authorities,
                                lambda a: rx.el.option(a["label"], value=a["value"]),
                            ),
                            name="authority",
                            id="refusal-authority",
                            data_testid="refusal-authority",
                            style={"padding": "6px", "width": "100%", "max_width": "100%"},
                        ),
                    ),
                    _input("full_name", max_length=200),
                    _input("document_number", max_length=40),
                    _input("reason", max_length=500),
                    _input("until", type="date"),
                    rx.hstack(
                        rx.button(T("Add"), type="submit", data_testid="refusal-save"),
                        rx.button(T("Cancel"), type="button", variant="soft", on_click=S.close_add),
                        wrap="wrap",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.add_entry,
                reset_on_submit=False,
            ),
            max_width="560px",
        ),
        open=S.adding,
        on_open_change=lambda _: S.close_add(),
    )


def _lift_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(T("Lift this entry?")),
            rx.alert_dialog.description(
                rx.text(S.lifting["name"], weight="bold", style=_WRAP),
                rx.text(T("Travel document number"), ": ", S.lifting["document"], style=_WRAP),
                rx.text(T("The person can be issued a permit again."), size="2"),
                margin_bottom="12px",
            ),
            rx.hstack(
                rx.button(
                    T("Lift"),
                    color_scheme="amber",
                    on_click=S.confirm_lift,
                    data_testid="lift-confirm",
                ),
                rx.button(T("Cancel"), variant="soft", on_click=S.cancel_lift),
                wrap="wrap",
            ),
        ),
        open=S.lifting.length() > 0,
        on_open_change=lambda _: S.cancel_lift(),
    )


def _entry(r: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(r["name"], weight="bold", style=_WRAP),
                rx.badge(
                    T_var(r["status_label"]),
                    color_scheme=rx.match(r["status"], ("in_force", "red"), "gray"),
                    data_testid="refusal-status",
                ),
                wrap="wrap",
                align="center",
            ),
            rx.text(T("Travel document number"), ": ", r["document"], size="2", style=_WRAP),
            rx.text(r["authority"], size="2", color_scheme="gray", style=_WRAP),
            rx.text(T("Reason"), ": ", r["reason"], size="2", style=_WRAP),
            rx.text(
                T("Added"),
                " ",
                r["added"],
                " · ",
                rx.cond(
                    r["until"] != "", rx.fragment(T("Until"), " ", r["until"]), T("No end date")
                ),
                rx.cond(r["lifted"] != "", rx.fragment(" · ", T("Lifted"), " ", r["lifted"])),
                size="2",
                color_scheme="gray",
            ),
            rx.cond(
                r["status"] != "lifted",
                rx.button(
                    T("Lift"),
                    size="1",
                    variant="soft",
                    color_scheme="amber",
                    on_click=S.ask_lift(r["id"]),
                    data_testid="refusal-lift",
                ),
            ),
            spacing="1",
            width="100%",
        ),
        width="100%",
        data_testid="refusal-entry",
        data_document=r["document"],
    )


def admin_refusals_page() -> rx.Component:
    return page(
        rx.heading(T("Refusal list"), size="6"),
        admin_nav(),
        rx.text(
            T("People on this list cannot be issued a permit by the authority named."),
            size="2",
            color_scheme="gray",
        ),
        rx.button(T("Add to the refusal list"), on_click=S.open_add, data_testid="refusal-add"),
        rx.form(
            rx.hstack(
                rx.input(
                    name="query",
                    placeholder=T("Name or document number"),
                    aria_label=T("Name or document number"),
                    data_testid="refusal-query",
                    flex="1",
                    min_width="0",
                ),
                rx.button(T("Search"), type="submit", data_testid="refusal-search"),
                width="100%",
            ),
            on_submit=S.search,
            width="100%",
        ),
        rx.foreach(S.rows, _entry),
        pager(S, "refusals-pager"),
        _add_dialog(),
        _lift_dialog(),
        testid="admin-refusals-page",
    )
