"""The officer's page: a permit check and its verdict at a glance."""

import reflex as rx

from lbt_app.components.layout import T, T_var, page
from lbt_app.states.officer import OfficerState

_COLOURS = {"VALID": "#15803d", "INVALID": "#b91c1c", "CHECK": "#b45309"}


def _lane_switch() -> rx.Component:
    return rx.segmented_control.root(
        rx.segmented_control.item(T("Entering"), value="entry"),
        rx.segmented_control.item(T("Leaving"), value="exit"),
        value=OfficerState.lane,
        on_change=OfficerState.set_lane,
        width="100%",
        data_testid="lane",
    )


def _manual_entry() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                name="number",
                placeholder=T("Permit number"),
                auto_capitalize="characters",
                size="3",
                width="100%",
                data_testid="manual-number",
            ),
            rx.button(T("Check"), type="submit", size="3", data_testid="manual-check"),
            width="100%",
        ),
        on_submit=OfficerState.check_number,
        reset_on_submit=True,
        width="100%",
    )


def _field(label: rx.Var, value: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.text(label, color="rgba(255,255,255,0.8)", size="2"),
        rx.spacer(),
        rx.text(value, weight="bold", size="3", text_align="right"),
        width="100%",
    )


def _verdict() -> rx.Component:
    h = OfficerState.holder
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.match(
                    OfficerState.outcome,
                    ("VALID", rx.icon("circle-check", size=56)),
                    ("INVALID", rx.icon("circle-x", size=56)),
                    rx.icon("triangle-alert", size=56),
                ),
                rx.vstack(
                    rx.heading(T_var(OfficerState.outcome_label), size="8"),
                    rx.text(T_var(OfficerState.reason), size="4", data_testid="verdict-reason"),
                    spacing="1",
                ),
                align="center",
                spacing="3",
            ),
            rx.cond(
                OfficerState.photo != "",
                rx.image(
                    src=OfficerState.photo,
                    width="120px",
                    height="150px",
                    object_fit="cover",
                    border_radius="8px",
                    alt=T("Holder's photo"),
                    data_testid="holder-photo",
                ),
            ),
            rx.cond(
                h.length() > 0,
                rx.vstack(
                    rx.text(h["latin"], size="5", weight="bold", data_testid="holder-latin"),
                    rx.text(h["native"], size="4"),
                    _field(T("Date of birth"), h["birth_date"]),
                    _field(T("Permit number"), h["number"]),
                    _field(T("Border area"), h["area"]),
                    _field(T("Valid until"), h["valid_until"]),
                    _field(T("Crossing points"), h["points"]),
                    width="100%",
                    spacing="1",
                ),
            ),
            rx.cond(
                OfficerState.stay.length() > 0,
                rx.vstack(
                    _field(T("Entered on"), OfficerState.stay["entered_on"]),
                    _field(T("Days used"), OfficerState.stay["days"]),
                    _field(T("Must leave by"), OfficerState.stay["must_leave_by"]),
                    width="100%",
                    spacing="1",
                ),
            ),
            rx.foreach(
                OfficerState.recent,
                lambda c: rx.text(
                    c["at"], " · ", T_var(c["direction_label"]), " · ", c["point"], size="2"
                ),
            ),
            rx.hstack(
                rx.button(
                    T("Record entry"),
                    size="3",
                    on_click=OfficerState.record("entry"),
                    variant=rx.cond(OfficerState.proposed == "entry", "solid", "surface"),
                    disabled=OfficerState.recorded != "",
                    data_testid="record-entry",
                ),
                rx.button(
                    T("Record exit"),
                    size="3",
                    on_click=OfficerState.record("exit"),
                    variant=rx.cond(OfficerState.proposed == "exit", "solid", "surface"),
                    disabled=OfficerState.recorded != "",
                    data_testid="record-exit",
                ),
                width="100%",
                wrap="wrap",
            ),
            rx.button(
                T("Scan next"),
                size="4",
                width="100%",
                color_scheme="gray",
                high_contrast=True,
                on_click=OfficerState.scan_again,
                data_testid="scan-next",
            ),
            spacing="3",
            width="100%",
        ),
        background=rx.match(OfficerState.outcome, *_COLOURS.items(), "#334155"),
        color="white",
        padding="16px",
        border_radius="12px",
        width="100%",
        data_testid="verdict",
        data_verdict=OfficerState.outcome,
        data_code=OfficerState.code,
        role="status",
    )


def officer_page() -> rx.Component:
    return page(
        rx.text(
            T("Crossing point"),
            ": ",
            OfficerState.crossing_point,
            weight="bold",
            data_testid="crossing-point",
        ),
        rx.cond(
            OfficerState.outcome != "",
            _verdict(),
            rx.vstack(
                _lane_switch(),
                _manual_entry(),
                rx.text(
                    T("The camera scanner comes next; type the permit number meanwhile."),
                    size="2",
                    color_scheme="gray",
                ),
                width="100%",
                spacing="3",
            ),
        ),
        testid="officer-page",
    )
