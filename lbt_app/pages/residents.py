"""Authority staff: the residents registry, a resident's file, the resident form, CSV import."""

import reflex as rx

from lbt_app import routes
from lbt_app.components.files import CSV_TYPES, IMAGE_TYPES, PROOF_TYPES, file_button
from lbt_app.components.form_field import labelled, named_options
from lbt_app.components.layout import T, T_var, grid_columns, page
from lbt_app.components.pager import pager
from lbt_app.components.portrait import portrait
from lbt_app.core import imaging
from lbt_app.services import residents
from lbt_app.services.applications import MAX_PROOF_BYTES
from lbt_app.services.residents import FIELD_LABEL, SEX_LABEL
from lbt_app.states.residents import (
    CSV_UPLOAD_ID,
    FILE_ID,
    PHOTO_UPLOAD_ID,
    PROOF_UPLOAD_ID,
    ResidentsState,
)

S = ResidentsState


def authority_nav() -> rx.Component:
    return rx.hstack(
        rx.link(T("Authority desk"), href=routes.AUTHORITY, data_testid="nav-desk"),
        rx.link(T("Residents"), href=routes.RESIDENTS, data_testid="nav-residents"),
        rx.link(T("Applications"), href=routes.APPLICATIONS, data_testid="nav-applications"),
        rx.link(T("Oversight"), href=routes.OVERSIGHT, data_testid="nav-oversight"),
        spacing="4",
        wrap="wrap",
    )


def _search() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                name="query",
                default_value=S.query,
                placeholder=T("Name in either script, or document number"),
                aria_label=T("Name in either script, or document number"),
                width="100%",
                data_testid="resident-search",
            ),
            rx.button(rx.icon("search", size=16), T("Search"), type="submit"),
            width="100%",
        ),
        on_submit=S.search,
        width="100%",
    )


def _rows() -> rx.Component:
    return rx.vstack(
        rx.foreach(
            S.rows,
            # a card that is a button: a tap or the keyboard opens the resident's file
            lambda r: rx.card(
                rx.el.button(
                    rx.hstack(
                        rx.vstack(
                            rx.text(r["latin"], weight="bold"),
                            rx.text(r["native"], size="2"),
                            spacing="0",
                        ),
                        rx.spacer(),
                        rx.text(r["birth_date"], " · ", r["document"], " · ", r["area"], size="2"),
                        align="center",
                        wrap="wrap",
                        width="100%",
                    ),
                    type="button",
                    on_click=S.open_resident(r["id"]),
                    data_testid="resident-row",
                    data_document=r["document"],
                    style={"width": "100%", "text_align": "start", "cursor": "pointer"},
                ),
                as_child=True,
            ),
        ),
        pager(S, "resident"),
        width="100%",
    )


def _list(title: rx.Var, items: rx.Var, render) -> rx.Component:
    """A heading and its lines; nothing at all where there are no lines."""
    return rx.cond(
        items.length() > 0,
        rx.vstack(
            rx.text(title, weight="bold", size="2"),
            rx.foreach(items, lambda i: rx.text(*render(i), size="2")),
            spacing="1",
            width="100%",
        ),
    )


def _new_application() -> rx.Component:
    """Choose the proof, see which file it is, then register the application."""
    return rx.cond(
        S.proof_name != "",
        rx.vstack(
            rx.text(
                T("Proof of residence"),
                ": ",
                S.proof_name,
                size="2",
                word_break="break-all",
                data_testid="application-proof-name",
            ),
            rx.hstack(
                rx.button(
                    T("Register application"),
                    on_click=S.register_application,
                    data_testid="application-register",
                ),
                rx.button(T("Cancel"), variant="soft", on_click=S.cancel_application),
                wrap="wrap",
            ),
            spacing="2",
            padding="8px",
            border="1px solid var(--accent-7)",
            border_radius="6px",
            width="100%",
        ),
        file_button(
            rx.icon("file-plus", size=16),
            T("Application with proof of residence"),
            upload_id=PROOF_UPLOAD_ID,
            accept=PROOF_TYPES,
            max_size=MAX_PROOF_BYTES,
            handler=S.upload_application,
            variant="soft",
        ),
    )


def _file() -> rx.Component:
    f = S.file
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.cond(
                    f["photo"] != "",
                    portrait(f["photo"], 96, border_radius="6px"),
                ),
                rx.vstack(
                    rx.heading(f["latin"], size="5", data_testid="file-latin"),
                    rx.text(f["native"], size="4"),
                    rx.text(
                        T("Date of birth"), ": ", f["birth_date"], " · ", T_var(f["sex"]), size="2"
                    ),
                    rx.text(T("Document"), ": ", f["document"], " · ", f["nationality"], size="2"),
                    rx.text(f["address"], " · ", f["area"], size="2"),
                    rx.text(T("Resident since"), ": ", f["since"], size="2"),
                    spacing="1",
                ),
                width="100%",
                wrap="wrap",
            ),
            rx.hstack(
                rx.button(T("Edit"), on_click=S.edit_resident, data_testid="resident-edit"),
                rx.button(T("Close"), variant="soft", on_click=S.close_resident),
                wrap="wrap",
            ),
            _new_application(),
            _list(T("Documents"), S.documents, lambda d: [T_var(d["kind"]), " · ", d["at"]]),
            _list(
                T("Applications"),
                S.applications,
                lambda a: [a["at"], " · ", T_var(a["status_label"]), " ", a["reason"]],
            ),
            _list(
                T("Permits"),
                S.permits,
                lambda p: [p["number"], " · ", T_var(p["status_label"]), " · ", p["valid_until"]],
            ),
            _list(
                T("Crossings"),
                S.crossings,
                lambda c: [c["at"], " · ", T_var(c["direction_label"]), " · ", c["point"]],
            ),
            width="100%",
        ),
        width="100%",
        id=FILE_ID,
        data_testid="resident-file",
    )


def _labelled(name: str, control: rx.Component) -> rx.Component:
    return labelled(
        T(FIELD_LABEL[name]), control, name=name, html_for=f"field-{name}", errors=S.form_errors
    )


def _field(name: str, **props) -> rx.Component:
    return _labelled(
        name,
        rx.input(
            value=S.form[name],
            on_change=lambda v: S.set_field(name, v),
            name=name,
            id=f"field-{name}",
            width="100%",
            data_testid=f"field-{name}",
            **props,
        ),
    )


def _select(name: str, options: rx.Component) -> rx.Component:
    return _labelled(
        name,
        rx.el.select(
            options,
            value=S.form[name],
            on_change=lambda v: S.set_field(name, v),
            id=f"field-{name}",
            data_testid=f"field-{name}",
            style={"padding": "6px", "max_width": "100%"},
        ),
    )


def sex_options() -> rx.Component:
    """Not chosen yet, then the three ICAO markers in words."""
    return rx.fragment(
        rx.el.option("—", value=""),
        *[rx.el.option(T(label), value=code) for code, label in SEX_LABEL.items()],
    )


def _form() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(S.editing > 0, T("Edit resident"), T("New resident"))),
            rx.vstack(
                rx.grid(
                    _field("surname_native"),
                    _field("given_names_native"),
                    _field("surname_latin"),
                    _field("given_names_latin"),
                    _field("birth_date", type="date"),
                    _select("sex", sex_options()),
                    _field("nationality", max_length=3),
                    _field("document_number"),
                    _field("address"),
                    _field("residence_since", type="date"),
                    _select("border_area", named_options(S.areas)),
                    style=grid_columns(1, 2, from_width="768px"),
                    spacing="3",
                    width="100%",
                ),
                rx.hstack(
                    rx.cond(
                        S.photo_preview != "",
                        portrait(S.photo_preview, 72),
                    ),
                    file_button(
                        rx.icon("camera", size=16),
                        T("Photo"),
                        upload_id=PHOTO_UPLOAD_ID,
                        accept=IMAGE_TYPES,
                        max_size=imaging.DEFAULT_MAX_BYTES,
                        handler=S.upload_photo,
                        variant="soft",
                    ),
                    rx.cond(
                        S.form_errors.contains("photo"),
                        rx.text(T_var(S.form_errors["photo"]), color_scheme="red", size="2"),
                    ),
                    align="center",
                ),
                rx.hstack(
                    rx.button(T("Save"), on_click=S.save, data_testid="resident-save"),
                    rx.button(T("Cancel"), variant="soft", on_click=S.close_form),
                ),
                spacing="3",
            ),
            max_width="720px",
        ),
        open=S.form_open,
        on_open_change=lambda _: S.close_form(),
    )


def _import() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(T("Import residents from a CSV file"), weight="bold"),
            # the literal column names the file's first line must carry
            rx.text(T("Columns"), ": ", rx.code(", ".join(residents.FIELDS)), size="1"),
            file_button(
                rx.icon("upload", size=16),
                T("Choose a CSV file"),
                upload_id=CSV_UPLOAD_ID,
                accept=CSV_TYPES,
                max_size=residents.MAX_CSV_BYTES,
                handler=S.upload_csv,
            ),
            rx.cond(
                S.importing | (S.import_summary != ""),
                rx.progress(
                    value=S.import_done,
                    max=S.import_total,
                    width="100%",
                    data_testid="import-progress",
                ),
            ),
            rx.text(S.import_summary, data_testid="import-summary"),
            rx.foreach(
                S.import_errors,
                lambda e: rx.text(
                    T("Line"),
                    " ",
                    e["line"],
                    " · ",
                    e["field"],
                    ": ",
                    e["message"],
                    size="2",
                    color_scheme="red",
                    data_testid="import-error",
                ),
            ),
            width="100%",
        ),
        width="100%",
    )


def residents_page() -> rx.Component:
    return page(
        authority_nav(),
        rx.hstack(
            rx.heading(T("Residents"), size="6"),
            rx.spacer(),
            rx.button(
                rx.icon("user-plus", size=16),
                T("New resident"),
                on_click=S.new_resident,
                data_testid="resident-new",
            ),
            width="100%",
            align="center",
        ),
        _search(),
        rx.cond(S.selected > 0, _file()),
        _rows(),
        _import(),
        _form(),
        testid="residents-page",
    )
