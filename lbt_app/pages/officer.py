"""The officer's page: scan a permit, read the verdict at a glance, record what happened."""

import reflex as rx

from lbt_app.components.files import IMAGE_TYPES, file_button
from lbt_app.components.layout import T, T_var, page
from lbt_app.components.portrait import portrait
from lbt_app.components.scanner import DecoderWarmup, Scanner, VerdictCue
from lbt_app.states.officer import (
    MAX_PHOTO_BYTES,
    PHOTO_UPLOAD_ID,
    REFUSED,
    SAME_SCAN_SECONDS,
    OfficerState,
)

# White text on each is at least 5:1; a refusal turns the screen neutral.
_COLOURS = {"VALID": "#15803d", "INVALID": "#b91c1c", "CHECK": "#b45309", REFUSED: "#334155"}
_INK = "#0f172a"  # text on the white badges and buttons of the verdict screen
# Buttons whose translated label may take two lines grow instead of spilling over.
_WRAPPING = {"white_space": "normal", "height": "auto"}  # at least the size's (assets/theme.css)


def _lane_switch() -> rx.Component:
    return rx.segmented_control.root(
        rx.segmented_control.item(T("Entering"), value="entry"),
        rx.segmented_control.item(T("Leaving"), value="exit"),
        value=OfficerState.lane,
        on_change=OfficerState.set_lane,
        width="100%",
        data_testid="lane",
    )


def _photo_upload() -> rx.Component:
    return file_button(
        rx.icon("camera", size=20),
        T("Take a photo"),
        upload_id=PHOTO_UPLOAD_ID,
        accept=IMAGE_TYPES,
        max_size=MAX_PHOTO_BYTES,
        handler=OfficerState.upload_photo,
        capture="environment",  # the permit in front of the officer, not the phone's gallery
        size="3",
        variant="soft",
        width="100%",
    )


def _manual_entry() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                name="number",
                placeholder=T("Permit number"),
                aria_label=T("Permit number"),
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


def _shift() -> rx.Component:
    counts = OfficerState.shift_counts

    def count(label: rx.Var, key: str) -> rx.Component:
        return rx.vstack(
            rx.text(counts[key], size="6", weight="bold", data_testid=f"shift-{key}"),
            rx.text(label, size="1", color_scheme="gray"),
            align="center",
            spacing="0",
            flex="1 0 64px",  # four a row; a long word in a translation takes a row of its own
        )

    return rx.vstack(
        rx.button(
            rx.icon("list-checks", size=18),
            T("My shift today"),
            variant="outline",
            width="100%",
            on_click=OfficerState.toggle_shift,
            data_testid="shift-toggle",
        ),
        rx.cond(
            OfficerState.shift_open,
            rx.vstack(
                rx.flex(
                    count(T("Scans"), "scans"),
                    count(T("VALID"), "VALID"),
                    count(T("INVALID"), "INVALID"),
                    count(T("CHECK"), "CHECK"),
                    count(T("Entries"), "entry"),
                    count(T("Exits"), "exit"),
                    count(T("Refusals"), "refused"),
                    count(T("Reports"), "reported"),
                    wrap="wrap",
                    gap="12px",
                    width="100%",
                ),
                rx.foreach(
                    OfficerState.shift_items,
                    lambda e: rx.text(
                        e["at"],
                        " · ",
                        T_var(e["action_label"]),
                        " · ",
                        e["number"],
                        " ",
                        T_var(e["detail"]),
                        size="2",
                    ),
                ),
                width="100%",
                data_testid="shift",
            ),
        ),
        width="100%",
    )


def _idle() -> rx.Component:
    return rx.vstack(
        _lane_switch(),
        rx.button(
            rx.icon("scan-line", size=28),
            T("Scan a permit"),
            size="4",
            width="100%",
            height="88px",
            font_size="22px",
            on_click=OfficerState.open_scanner,
            data_testid="scan-start",
        ),
        _photo_upload(),
        _manual_entry(),
        _shift(),
        width="100%",
        spacing="3",
    )


def _field(label: rx.Var, value: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.text(label, size="2", max_width="45%"),
        rx.spacer(),
        rx.text(value, weight="bold", size="3", text_align="right", overflow_wrap="anywhere"),
        width="100%",
    )


def _holder() -> rx.Component:
    h = OfficerState.holder
    return rx.cond(
        h.length() > 0,
        rx.vstack(
            rx.text(h["latin"], size="6", weight="bold", data_testid="holder-latin"),
            rx.text(h["native"], size="5"),
            _field(T("Date of birth"), h["birth_date"]),
            _field(T("Permit number"), h["number"]),
            _field(T("Border area"), h["area"]),
            _field(T("Valid until"), h["valid_until"]),
            _field(T("Crossing points"), h["points"]),
            width="100%",
            spacing="1",
        ),
    )


def _stay() -> rx.Component:
    return rx.fragment(
        rx.cond(
            OfficerState.stay.length() > 0,
            rx.vstack(
                _field(T("Entered on"), OfficerState.stay["entered_on"]),
                _field(T("Days used"), OfficerState.stay["days"]),
                _field(T("Must leave by"), OfficerState.stay["must_leave_by"]),
                width="100%",
                spacing="1",
                data_testid="stay",
            ),
        ),
        rx.foreach(
            OfficerState.recent,
            lambda c: rx.text(
                c["at"], " · ", T_var(c["direction_label"]), " · ", c["point"], size="2"
            ),
        ),
    )


def _record_button(label: rx.Var, direction: str) -> rx.Component:
    return rx.button(
        label,
        size="4",
        flex="1",
        on_click=OfficerState.record_crossing(direction),
        background="white",
        color=_INK,
        style=_WRAPPING,
        data_testid=f"record-{direction}",
    )


def _done(text: rx.Var, testid: str) -> rx.Component:
    """What the officer did on this verdict, said on the screen itself."""
    return rx.hstack(
        rx.icon("circle-check", size=20, flex_shrink="0"),
        rx.text(text, weight="bold", data_testid=testid),
        align="center",
    )


def _panel_form(field: rx.Component, submit: rx.Var, testid: str, **form_props) -> rx.Component:
    return rx.form(
        rx.vstack(
            field,
            rx.cond(
                OfficerState.panel_error != "",
                rx.text(
                    T_var(OfficerState.panel_error),
                    background="white",
                    color="#b91c1c",
                    weight="bold",
                    padding="6px 10px",
                    border_radius="6px",
                    width="100%",
                    data_testid="panel-error",
                ),
            ),
            rx.button(
                submit,
                type="submit",
                size="3",
                background="white",
                color=_INK,
                style=_WRAPPING,
                data_testid=f"{testid}-submit",
            ),
            width="100%",
        ),
        width="100%",
        data_testid=f"{testid}-form",
        **form_props,
    )


def _panel_button(label: rx.Var, panel: str) -> rx.Component:
    """Opens the refusal or report form below the verdict."""
    return rx.button(
        label,
        size="3",
        flex="1",
        color_scheme="gray",
        variant="surface",
        on_click=OfficerState.open_panel(panel),
        style=_WRAPPING,
        data_testid=panel,
    )


def _decision_buttons() -> rx.Component:
    done = OfficerState.recorded != ""
    return rx.vstack(
        # Only what the server would record is offered (it decides; see checks.Check.recordable).
        rx.cond(
            OfficerState.can_enter | OfficerState.can_exit,
            rx.hstack(
                rx.cond(OfficerState.can_enter, _record_button(T("Record entry"), "entry")),
                rx.cond(OfficerState.can_exit, _record_button(T("Record exit"), "exit")),
                width="100%",
            ),
        ),
        rx.cond(OfficerState.recorded == "entry", _done(T("Entry recorded."), "recorded")),
        rx.cond(OfficerState.recorded == "exit", _done(T("Exit recorded."), "recorded")),
        rx.cond(OfficerState.reported, _done(T("Report recorded."), "reported")),
        rx.hstack(
            rx.cond(~done, _panel_button(T("Refuse"), "refuse")),
            rx.cond(~OfficerState.reported, _panel_button(T("Report misuse"), "report")),
            width="100%",
        ),
        rx.cond(
            OfficerState.panel == "refuse",
            _panel_form(
                rx.el.select(
                    # No reason is chosen for the officer: the first option only asks.
                    rx.el.option(T("Choose a reason"), value="", disabled=True),
                    rx.foreach(
                        OfficerState.refusal_reasons,
                        lambda r: rx.el.option(r["label"], value=r["value"]),
                    ),
                    name="reason",
                    default_value="",
                    auto_focus=True,  # brings the form into view as it opens
                    aria_label=T("Reason"),
                    data_testid="refuse-reason",
                    style={
                        "width": "100%",
                        "padding": "10px",
                        "font_size": "16px",
                        "border_radius": "6px",
                        "background": "white",
                        "color": _INK,
                    },
                ),
                T("Record refusal"),
                "refuse",
                on_submit=OfficerState.refuse,
            ),
        ),
        rx.cond(
            OfficerState.panel == "report",
            _panel_form(
                rx.text_area(
                    name="note",
                    placeholder=T("What did you notice?"),
                    aria_label=T("What did you notice?"),
                    max_length=500,
                    required=True,
                    auto_focus=True,
                    width="100%",
                    data_testid="report-note",
                ),
                T("Send report"),
                "report",
                on_submit=OfficerState.report,
                reset_on_submit=True,
            ),
        ),
        width="100%",
    )


# Widest bold capital of the page's fonts, in em (Cyrillic Ж, Ш, Ы measured ≈0.85).
_EM_PER_CHAR = 0.9


def _heading(label: rx.Var) -> rx.Component:
    """The verdict word as large as fits on one line: НЕДЕЙСТВИТЕЛЬНО as well as VALID."""
    return rx.heading(
        label,
        size="6",  # where container units are unknown
        font_size=f"min(60px, calc(100cqi / {_EM_PER_CHAR} / var(--chars)))",
        line_height="1.1",
        white_space="nowrap",
        style={"--chars": label.to(str).length()},
        data_testid="verdict-heading",
    )


def _verdict() -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.match(
                    OfficerState.tone,
                    ("VALID", rx.icon("circle-check", size=64)),
                    ("INVALID", rx.icon("circle-x", size=64)),
                    (REFUSED, rx.icon("ban", size=64)),
                    rx.icon("triangle-alert", size=64),
                ),
                rx.vstack(
                    _heading(T_var(OfficerState.outcome_label)),
                    rx.text(T_var(OfficerState.reason), size="5", data_testid="verdict-reason"),
                    spacing="1",
                    min_width="0",
                    flex="1",
                    container_type="inline-size",  # the heading sizes itself to this width
                ),
                align="center",
                spacing="3",
                width="100%",
            ),
            rx.cond(
                OfficerState.note != "",
                rx.hstack(
                    rx.icon("info", size=18, flex_shrink="0"),
                    rx.text(T_var(OfficerState.note), size="3", data_testid="verdict-note"),
                    align="center",
                ),
            ),
            rx.cond(
                OfficerState.typed_number != "",
                _field(T("Permit number"), OfficerState.typed_number),
            ),
            rx.cond(
                OfficerState.photo != "",
                portrait(
                    OfficerState.photo,
                    150,
                    border_radius="8px",
                    border="3px solid white",
                    data_testid="holder-photo",
                ),
            ),
            _holder(),
            _stay(),
            rx.cond(
                OfficerState.source == "manual",
                rx.text(
                    T("Typed number"),
                    size="2",
                    weight="medium",
                    background="white",
                    color=_INK,
                    padding="2px 8px",
                    border_radius="999px",
                    data_testid="typed-badge",
                ),
            ),
            _decision_buttons(),
            rx.hstack(
                rx.button(
                    rx.icon("scan-line", size=22),
                    T("Scan next"),
                    size="4",
                    flex="1",
                    color_scheme="gray",
                    high_contrast=True,
                    on_click=OfficerState.open_scanner,
                    style=_WRAPPING,
                    data_testid="scan-next",
                ),
                rx.icon_button(
                    rx.icon("x", size=22),
                    size="4",
                    color_scheme="gray",
                    variant="surface",
                    on_click=OfficerState.dismiss,
                    aria_label=T("Close"),
                    data_testid="verdict-close",
                ),
                width="100%",
            ),
            spacing="3",
            width="100%",
            max_width="640px",
            margin="0 auto",
        ),
        position="fixed",
        inset="0",
        z_index="40",
        overflow_y="auto",
        background=rx.match(OfficerState.tone, *_COLOURS.items(), _COLOURS[REFUSED]),
        color="white",
        padding="16px",
        # A new tone (a refusal) is a new screen: it opens at the top, where the heading is.
        key=OfficerState.tone,
        data_testid="verdict",
        data_verdict=OfficerState.outcome,
        data_tone=OfficerState.tone,
        data_code=OfficerState.code,
        data_source=OfficerState.source,
        data_cue=OfficerState.cue,  # counts verdicts: tests wait for the next one
        role="status",
    )


def _scanner() -> rx.Component:
    return Scanner.create(
        acks=OfficerState.frame_acks,
        repeat_ms=SAME_SCAN_SECONDS * 1000,
        labels=OfficerState.scanner_labels,
        on_text=OfficerState.scanned,
        on_frame=OfficerState.frame,
        on_close=OfficerState.close_scanner,
    )


def officer_page() -> rx.Component:
    return page(
        rx.heading(  # the page's h1: where the officer stands
            T("Crossing point"),
            ": ",
            OfficerState.crossing_point,
            as_="h1",
            size="3",
            data_testid="crossing-point",
        ),
        rx.cond(
            OfficerState.clock_note != "",
            rx.callout(
                OfficerState.clock_note,
                icon="clock",
                color_scheme="amber",
                width="100%",
                data_testid="clock-warning",
            ),
        ),
        _idle(),
        rx.cond(OfficerState.outcome != "", _verdict()),
        rx.cond(OfficerState.scanning, _scanner()),
        VerdictCue.create(outcome=OfficerState.outcome, stamp=OfficerState.cue),
        DecoderWarmup.create(live=rx.State.is_hydrated),  # ready before the first tap
        testid="officer-page",
    )
