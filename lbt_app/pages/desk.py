"""The authority desk (/authority)."""

import reflex as rx

from lbt_app.components.desk_chart import crossings_chart
from lbt_app.components.form_field import named_options
from lbt_app.components.layout import T, T_var, grid_columns, page
from lbt_app.pages.residents import authority_nav
from lbt_app.states.desk import PERMIT_PANEL_ID, AuthorityState


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


def _change_dialog() -> rx.Component:
    change = AuthorityState.change
    action = rx.match(
        change["action"],
        ("suspend", T("Suspend permit")),
        ("reinstate", T("Reinstate permit")),
        T("Revoke permit"),
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(action),
            rx.dialog.description(
                rx.text(change["holder"], weight="bold", data_testid="change-holder"),
                rx.text(T("Permit number"), ": ", change["number"], data_testid="change-number"),
                margin_bottom="12px",
            ),
            rx.form(
                rx.vstack(
                    rx.el.label(T("Reason"), html_for="change-reason"),
                    rx.input(
                        name="reason",
                        id="change-reason",
                        width="100%",
                        data_testid="change-reason",
                    ),
                    rx.cond(
                        AuthorityState.change_error != "",
                        rx.text(
                            T_var(AuthorityState.change_error),
                            color_scheme="red",
                            size="2",
                            data_testid="change-error",
                        ),
                    ),
                    rx.hstack(
                        rx.button(
                            action,
                            type="submit",
                            color_scheme=rx.match(
                                change["action"], ("revoke", "red"), ("suspend", "amber"), "teal"
                            ),
                            data_testid="change-submit",
                        ),
                        rx.button(
                            T("Cancel"),
                            type="button",
                            variant="soft",
                            on_click=AuthorityState.cancel_change,
                        ),
                        wrap="wrap",
                    ),
                    width="100%",
                ),
                on_submit=AuthorityState.change_status,
            ),
        ),
        open=change.length() > 0,
        on_open_change=lambda _: AuthorityState.cancel_change(),
    )


A = AuthorityState


def _dashboard() -> rx.Component:
    f = A.figures
    return rx.vstack(
        rx.grid(
            _figure(T("Active permits"), f["active"]),
            _figure(T("Pending applications"), f["pending"]),
            _figure(T("Crossings today"), f["crossings_today"]),
            _figure(T("Inside now"), f["inside"]),
            _figure(T("Near the stay limit"), f["near_limit"]),
            _figure(T("Over the stay limit"), f["over_limit"]),
            style=grid_columns(2, 6, from_width="1024px"),
            spacing="3",
            width="100%",
            data_testid="dashboard",
        ),
        rx.foreach(
            A.attention,
            lambda h: rx.text(
                h["name"],
                " · ",
                h["document"],
                " · ",
                T("Days used"),
                " ",
                h["days"],
                " · ",
                T("Must leave by"),
                " ",
                h["leave_by"],
                color_scheme=rx.cond(h["over"] == "yes", "red", "amber"),
                size="2",
                data_testid="attention",
            ),
        ),
        rx.grid(
            rx.card(
                rx.text(T("Crossings per day, last 30 days"), weight="bold", size="2"),
                crossings_chart(),
                data_testid="chart-crossings",
            ),
            rx.card(
                rx.text(T("Permits by status"), weight="bold", size="2"),
                rx.grid(
                    rx.foreach(A.by_status, _status_bar),
                    grid_template_columns="minmax(0, max-content) minmax(0, 1fr) max-content",
                    gap="8px 10px",
                    align_items="center",
                    margin_top="8px",
                ),
                data_testid="chart-status",
            ),
            style=grid_columns(1, 2, from_width="1024px"),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _status_bar(row: rx.Var) -> rx.Component:
    """One status: its name, a bar as long as its share, its count."""
    return rx.fragment(
        rx.text(T_var(row["status"].to(str)), size="2", data_testid="status-label"),
        rx.box(
            rx.box(width=row["percent"], height="100%", background="#0d9488"),
            height="14px",
            background="var(--gray-3)",
            border_radius="3px",
            overflow="hidden",
        ),
        rx.text(row["count"], size="2", weight="bold", data_testid="status-count"),
    )


# A select is as wide as its longest option: on a phone it must not be wider than the screen.
FILTER_STYLE = {"padding": "6px", "max_width": "100%", "min_width": "0"}


def _select(
    name: str, field: rx.Var, any_value: rx.Var, options: list[tuple[str, rx.Var | str]]
) -> rx.Component:
    """A filter named by its `field`; its first choice, `any_value`, filters nothing."""
    return rx.el.select(
        rx.el.option(any_value, value=""),
        *[rx.el.option(text, value=value) for value, text in options],
        name=name,
        aria_label=field,
        default_value=A.filters[name],
        data_testid=f"filter-{name}",
        style=FILTER_STYLE,
    )


def _filters() -> rx.Component:
    return rx.form(
        rx.hstack(
            _select(
                "status",
                T("Status"),
                T("Any status"),
                [
                    ("active", T("Active")),
                    ("suspended", T("Suspended")),
                    ("revoked", T("Revoked")),
                    ("expired", T("Expired")),
                ],
            ),
            rx.el.select(
                rx.el.option(T("Any area"), value=""),
                named_options(A.areas),
                name="area",
                aria_label=T("Border area"),
                data_testid="filter-area",
                style=FILTER_STYLE,
            ),
            _select(
                "expiring",
                T("Valid until"),
                T("Any expiry"),
                [
                    ("30", T("Expiring within 30 days")),
                    ("90", T("Expiring within 90 days")),
                    ("180", T("Expiring within 180 days")),
                ],
            ),
            rx.button(T("Filter"), type="submit", data_testid="filter-apply"),
            wrap="wrap",
        ),
        on_submit=A.filter,
        width="100%",
    )


def _permit_panel() -> rx.Component:
    info = A.permit_info
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.image(src=A.permit_qr, width="160px", alt=info["number"]),
                rx.vstack(
                    rx.heading(info["number"], size="5", data_testid="permit-panel-number"),
                    rx.text(info["holder"], weight="bold"),
                    rx.text(T("Border area"), ": ", info["area"], " · ", info["points"]),
                    rx.text(T("Valid"), ": ", info["valid_from"], " – ", info["valid_until"]),
                    rx.text(
                        T_var(info["status_label"]),
                        " ",
                        info["reason"],
                        data_testid="permit-panel-status",
                    ),
                    rx.form(
                        rx.hstack(
                            rx.el.label(T("Validity in years"), html_for="renew-years"),
                            rx.el.select(
                                *[rx.el.option(str(y), value=str(y)) for y in range(1, 6)],
                                name="years",
                                id="renew-years",
                                style={"padding": "4px"},
                                data_testid="renew-years",
                            ),
                            rx.button(
                                T("Renew"), size="1", type="submit", data_testid="permit-renew"
                            ),
                            rx.button(
                                T("Close"),
                                size="1",
                                type="button",
                                variant="soft",
                                on_click=A.close_permit,
                            ),
                            align="center",
                            wrap="wrap",
                        ),
                        on_submit=A.renew,
                    ),
                    spacing="1",
                ),
                wrap="wrap",
                width="100%",
            ),
            rx.text(T("Status history and audit"), weight="bold", size="2"),
            rx.foreach(
                A.permit_events,
                lambda e: rx.text(
                    e["at"], " · ", T_var(e["label"]), " · ", e["actor"], " ", e["detail"], size="1"
                ),
            ),
            rx.cond(
                A.permit_crossings.length() > 0,
                rx.text(T("Crossings"), weight="bold", size="2"),
            ),
            rx.foreach(
                A.permit_crossings,
                lambda c: rx.text(
                    c["at"],
                    " · ",
                    T_var(c["direction_label"]),
                    " · ",
                    c["point"],
                    rx.cond(c["code"] != "", " · " + c["code"].to(str), ""),
                    size="1",
                ),
            ),
            width="100%",
        ),
        width="100%",
        id=PERMIT_PANEL_ID,
        data_testid="permit-panel",
    )


OPEN_BUTTON_STYLE = {
    "all": "unset",
    "min_height": "44px",  # a tap target (WCAG 2.5.5), the text centred in it
    "display": "flex",
    "align_items": "center",
    "cursor": "pointer",
    "font_weight": "bold",
    "color": "var(--accent-11)",
    "overflow_wrap": "anywhere",
    "&:focus-visible": {"outline": "2px solid var(--accent-8)"},
}


def authority_page() -> rx.Component:
    return page(
        authority_nav(),
        rx.heading(T("Authority desk"), size="6"),
        _dashboard(),
        _filters(),
        rx.cond(AuthorityState.open_number != "", _permit_panel()),
        rx.hstack(
            rx.heading(T("Permits"), size="4"),
            rx.spacer(),
            rx.cond(
                AuthorityState.printable,
                rx.button(
                    rx.icon("printer", size=16),
                    T("Print all cards"),
                    size="2",
                    variant="soft",
                    on_click=AuthorityState.all_cards,
                    disabled=AuthorityState.printing,
                    data_testid="print-all-cards",
                ),
            ),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        rx.cond(
            AuthorityState.printing,
            rx.hstack(
                rx.progress(
                    value=AuthorityState.print_done,
                    max=AuthorityState.print_total,
                    width="120px",
                ),
                rx.text(AuthorityState.print_status, size="2", data_testid="print-progress"),
                align="center",
                wrap="wrap",
                width="100%",
            ),
        ),
        rx.vstack(
            rx.foreach(
                AuthorityState.permits,
                lambda p: rx.card(
                    rx.hstack(
                        rx.vstack(
                            # a button, not a link to "#": that would jump to the page's top
                            rx.el.button(
                                p["holder"],
                                type="button",
                                on_click=AuthorityState.open_permit(p["number"]),
                                data_testid="permit-open",
                                style=OPEN_BUTTON_STYLE,
                            ),
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
                        rx.cond(
                            p["status"] == "active",  # a permit that cannot be used has no card
                            rx.button(
                                rx.icon("printer", size=14),
                                T("Card"),
                                size="1",
                                variant="soft",
                                color_scheme="gray",
                                on_click=AuthorityState.card(p["number"]),
                                disabled=AuthorityState.printing,
                                data_testid="print-card",
                            ),
                        ),
                        rx.cond(
                            p["status"] == "active",
                            rx.button(
                                T("Suspend"),
                                size="1",
                                variant="soft",
                                color_scheme="amber",
                                on_click=AuthorityState.ask_change(p["number"], "suspend"),
                                data_testid="suspend",
                            ),
                        ),
                        rx.cond(
                            p["status"] == "suspended",
                            rx.button(
                                T("Reinstate"),
                                size="1",
                                variant="soft",
                                on_click=AuthorityState.ask_change(p["number"], "reinstate"),
                                data_testid="reinstate",
                            ),
                        ),
                        rx.cond(
                            (p["status"] == "active") | (p["status"] == "suspended"),
                            rx.button(
                                T("Revoke"),
                                size="1",
                                variant="soft",
                                color_scheme="red",
                                on_click=AuthorityState.ask_change(p["number"], "revoke"),
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
        _change_dialog(),
        testid="authority-page",
    )
