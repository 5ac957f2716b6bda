"""The resident's wallet (/wallet)."""

import reflex as rx

from lbt_app.components.files import IMAGE_TYPES, PROOF_TYPES, file_button
from lbt_app.components.form_field import named_options
from lbt_app.components.layout import T, T_var, page
from lbt_app.components.portrait import portrait
from lbt_app.components.wallet import LiveQr
from lbt_app.core import imaging
from lbt_app.pages.residents import sex_options
from lbt_app.services.applications import MAX_PROOF_BYTES
from lbt_app.states.session import SOMETHING_WENT_WRONG
from lbt_app.states.wallet import WalletState


def _wallet_card() -> rx.Component:
    card = WalletState.card
    return rx.card(
        rx.vstack(
            rx.cond(
                card["payload"] != "",
                LiveQr.create(
                    payload=card["payload"],
                    secret=WalletState.live_secret,
                    saved=WalletState.offline_saved,
                    hint=T("Turn the screen brightness up"),
                    open_label=T("Show the permit code full screen"),
                    close_label=T("Close"),
                    tap_label=T("Tap the code to show it full screen."),
                    failed_label=T(SOMETHING_WENT_WRONG),
                ),
                rx.callout.root(
                    rx.callout.icon(rx.icon("ban")),
                    rx.callout.text(T_var(card["status_label"]), " ", card["reason"]),
                    color_scheme="red",
                    width="100%",
                    data_testid="wallet-unusable",
                ),
            ),
            rx.hstack(
                rx.cond(
                    card["photo"] != "",
                    portrait(card["photo"], 84, border_radius="6px", data_testid="wallet-photo"),
                ),
                rx.vstack(
                    rx.text(card["latin"], weight="bold", size="4"),
                    rx.text(card["native"], size="3"),
                    rx.text(T("Permit number"), ": ", card["number"], size="2"),
                    rx.text(
                        T("Valid"),
                        ": ",
                        card["valid_from"],
                        " – ",
                        card["valid_until"],
                        size="2",
                    ),
                    rx.text(T("Border area"), ": ", card["area"], size="2"),
                    rx.text(T("Crossing points"), ": ", card["points"], size="2"),
                    spacing="1",
                ),
                align="start",
            ),
            width="100%",
        ),
        width="100%",
        data_testid="wallet-permit",
        data_status=card["status"],
    )


def _wallet_stay() -> rx.Component:
    stay = WalletState.stay
    return rx.vstack(
        rx.cond(
            WalletState.renew_soon,
            rx.callout(
                T("Your permit ends soon: ask for a renewal."),
                icon="calendar-clock",
                color_scheme="amber",
                width="100%",
                data_testid="renew-reminder",
            ),
        ),
        rx.cond(
            stay.length() > 0,
            rx.card(
                rx.text(T("Entered on"), ": ", stay["entered_on"]),
                rx.text(T("Days used"), ": ", stay["days"]),
                rx.text(
                    T("Must leave by"),
                    ": ",
                    stay["must_leave_by"],
                    weight="bold",
                    color_scheme=rx.cond(stay["over"] == "yes", "red", "gray"),
                ),
                width="100%",
                data_testid="wallet-stay",
            ),
        ),
        rx.foreach(
            WalletState.recent,
            lambda c: rx.text(
                c["at"], " · ", T_var(c["direction_label"]), " · ", c["point"], size="2"
            ),
        ),
        width="100%",
    )


def _apply_error(name: str) -> rx.Component:
    errors = WalletState.apply_errors
    return rx.cond(
        errors.contains(name),
        rx.text(
            T_var(errors[name]), color_scheme="red", size="1", data_testid=f"apply-error-{name}"
        ),
    )


def _apply_label(name: str, label: rx.Var) -> rx.Component:
    return rx.el.label(label, html_for=f"apply-{name}", style={"font_size": "var(--font-size-2)"})


def _apply_field(name: str, label: rx.Var, **props) -> rx.Component:
    return rx.vstack(
        _apply_label(name, label),
        rx.input(
            name=name,
            id=f"apply-{name}",
            width="100%",
            size="3",
            data_testid=f"apply-{name}",
            **props,
        ),
        _apply_error(name),
        width="100%",
        spacing="1",
    )


def _apply() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(T("Apply for a permit"), size="4"),
                rx.cond(
                    WalletState.needs_record,
                    rx.vstack(
                        _apply_field("surname_native", T("Surname (native script)")),
                        _apply_field("given_names_native", T("Given names (native script)")),
                        _apply_field("birth_date", T("Date of birth"), type="date"),
                        _apply_label("sex", T("Sex")),
                        rx.el.select(
                            sex_options(),
                            name="sex",
                            id="apply-sex",
                            data_testid="apply-sex",
                            style={"padding": "8px", "max_width": "100%"},
                        ),
                        _apply_error("sex"),
                        _apply_field("nationality", T("Nationality (e.g. TJK)"), max_length=3),
                        _apply_field("document_number", T("Document number")),
                        _apply_field("address", T("Address")),
                        _apply_label("border_area", T("Border area")),
                        rx.el.select(
                            named_options(WalletState.apply_areas),
                            name="border_area",
                            id="apply-border_area",
                            data_testid="apply-border_area",
                            style={"padding": "8px", "max_width": "100%"},
                        ),
                        _apply_field("residence_since", T("Resident since"), type="date"),
                        rx.hstack(
                            rx.cond(
                                WalletState.apply_photo != "",
                                portrait(WalletState.apply_photo, 60),
                            ),
                            file_button(
                                rx.icon("camera", size=16),
                                T("Photo"),
                                upload_id="apply-photo",
                                accept=IMAGE_TYPES,
                                max_size=imaging.DEFAULT_MAX_BYTES,
                                handler=WalletState.upload_photo,
                                variant="soft",
                            ),
                            align="center",
                        ),
                        _apply_error("photo"),
                        width="100%",
                    ),
                ),
                rx.hstack(
                    file_button(
                        rx.icon("file-plus", size=16),
                        T("Proof of residence"),
                        upload_id="apply-proof",
                        accept=PROOF_TYPES,
                        max_size=MAX_PROOF_BYTES,
                        handler=WalletState.upload_proof,
                        variant="soft",
                    ),
                    rx.text(
                        WalletState.proof_name,
                        size="2",
                        data_testid="apply-proof-name",
                        style={"overflow_wrap": "anywhere"},
                    ),
                    align="center",
                    wrap="wrap",
                ),
                _apply_error("proof"),
                rx.button(T("Send the application"), type="submit", size="3", data_testid="apply"),
                width="100%",
            ),
            on_submit=WalletState.apply,
            width="100%",
        ),
        width="100%",
        data_testid="apply-form",
    )


def wallet_page() -> rx.Component:
    return page(
        rx.heading(T("My permit"), size="6"),
        rx.cond(
            WalletState.card.length() == 0,
            rx.text(T("You have no permit yet.")),
            rx.vstack(_wallet_card(), _wallet_stay(), width="100%"),
        ),
        rx.foreach(
            WalletState.applications,
            lambda a: rx.text(
                T("Application"),
                " · ",
                a["at"],
                " · ",
                T_var(a["status_label"]),
                " ",
                a["reason"],
                data_testid="application-status",
                data_status=a["status"],
            ),
        ),
        rx.cond(WalletState.can_apply, _apply()),
        testid="wallet-page",
    )
