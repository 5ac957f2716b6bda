"""Administration: agreements, their rules, border areas, crossing points and authorities
(/admin/agreements). Phone first: one column of sections, every control under its label."""

import reflex as rx

from lbt_app.components.admin_nav import admin_nav
from lbt_app.components.layout import T, page
from lbt_app.states.admin_agreements import FORM_IDS, AdminAgreementsState

S = AdminAgreementsState
LABEL_STYLE = {"font_size": "var(--font-size-2)", "font_weight": "500"}
SELECT_STYLE = {"width": "100%", "padding": "6px", "border_radius": "6px", "max_width": "100%"}


def _labelled(form: str, name: str, label: rx.Var, control: rx.Component) -> rx.Component:
    """A control under its label, its error (if any) beneath."""
    key = f"{form}.{name}"
    return rx.vstack(
        rx.el.label(label, html_for=f"{form}-{name}", style=LABEL_STYLE),
        control,
        rx.cond(
            S.errors.contains(key),
            rx.text(
                S.errors[key], color_scheme="red", size="1", data_testid=f"error-{form}-{name}"
            ),
        ),
        spacing="1",
        width="100%",
    )


def _input(form: str, name: str, label: rx.Var, default: rx.Var | str, **props) -> rx.Component:
    return _labelled(
        form,
        name,
        label,
        rx.input(
            name=name,
            id=f"{form}-{name}",
            default_value=default,
            width="100%",
            data_testid=f"{form}-{name}",
            **props,
        ),
    )


def _number(form: str, name: str, label: rx.Var, default: rx.Var | str) -> rx.Component:
    return _input(form, name, label, default, type="number", input_mode="numeric", min=1)


def _select(
    form: str,
    name: str,
    label: rx.Var,
    options: rx.Var,
    default: rx.Var | str,
    *,
    unchosen: bool = False,
    **props,
) -> rx.Component:
    """A native select over `options` ({"value", "label"} each); `unchosen`: it starts at a
    blank choice, so that a forgotten field is noticed."""
    return _labelled(
        form,
        name,
        label,
        rx.el.select(
            *([rx.el.option("—", value="")] if unchosen else []),
            rx.foreach(options, lambda o: rx.el.option(o["label"], value=o["value"])),
            name=name,
            id=f"{form}-{name}",
            default_value=default,
            style=SELECT_STYLE,
            data_testid=f"{form}-{name}",
            **props,
        ),
    )


def _country(form: str, side: str, label: rx.Var, default: rx.Var | str) -> rx.Component:
    """One of the two countries; once picked, the form offers its time zones."""
    return _select(
        form,
        side,
        label,
        S.countries,
        default,
        unchosen=form == "agreement",
        on_change=lambda code: S.pick_country(form, side, code),
    )


def _countries_and_zone(form: str, a: rx.Var | str, b: rx.Var | str, zone: rx.Var | str):
    """The two countries, and the time zone among theirs."""
    return (
        _country(form, "country_a", T("First country"), a),
        _country(form, "country_b", T("Second country"), b),
        _select(form, "timezone", T("Time zone"), S.zones[form], zone),
    )


def _submit(label: rx.Var, testid: str) -> rx.Component:
    return rx.button(label, type="submit", data_testid=testid)


def _note(text: rx.Var) -> rx.Component:
    return rx.text(text, size="2", color_scheme="gray")


def _code(code: rx.Var) -> rx.Component:
    return rx.text(T("Code"), ": ", rx.code(code), size="2")


def _form(form: str, on_submit, *children: rx.Component) -> rx.Component:
    return rx.form(
        rx.vstack(*children, spacing="3", width="100%"),
        on_submit=on_submit,
        key=f"{form}-" + S.form_key.to_string(),
        width="100%",
        data_testid=f"{form}-form",
    )


def _agreement_list() -> rx.Component:
    return rx.vstack(
        rx.foreach(
            S.agreements,
            lambda a: rx.card(
                rx.vstack(
                    rx.text(a["name"], weight="bold"),
                    rx.text(a["countries"], size="2"),
                    rx.hstack(
                        _code(a["code"]),
                        rx.spacer(),
                        rx.button(
                            T("Set up"),
                            size="1",
                            variant=rx.cond(S.chosen == a["code"], "solid", "soft"),
                            on_click=S.open_agreement(a["code"]),
                            data_testid="agreement-open",
                        ),
                        align="center",
                        width="100%",
                    ),
                    spacing="1",
                    width="100%",
                ),
                width="100%",
                data_testid="agreement-row",
                data_code=a["code"],
            ),
        ),
        width="100%",
    )


def _new_agreement() -> rx.Component:
    """A button until it is wanted: the form's two lists of every country are long to draw."""
    opener = rx.button(
        rx.icon("plus", size=18),
        T("New agreement"),
        variant="soft",
        width="100%",
        on_click=S.show_new(True),
        data_testid="agreement-new",
    )
    return rx.cond(S.adding, _new_agreement_form(), opener)


def _new_agreement_form() -> rx.Component:
    return rx.card(
        _form(
            "agreement",
            S.create_agreement,
            rx.heading(T("New agreement"), size="4"),
            _input("agreement", "code", T("Code (capital letters, digits, hyphens)"), ""),
            _input("agreement", "name", T("Name"), ""),
            *_countries_and_zone("agreement", "", "", "UTC"),
            _note(
                T(
                    "A new agreement starts with the regulation's limits: stays of up to 90 days, "
                    "permits valid 1 to 5 years, 1 year of residence, border areas up to 30 km. "
                    "Set its own rules once it is created."
                )
            ),
            rx.hstack(
                _submit(T("Create agreement"), "agreement-create"),
                rx.button(
                    T("Cancel"),
                    type="button",
                    variant="soft",
                    color_scheme="gray",
                    on_click=S.show_new(False),
                    data_testid="agreement-cancel",
                ),
                wrap="wrap",
            ),
        ),
        width="100%",
    )


def _details() -> rx.Component:
    a = S.agreement
    return rx.card(
        _form(
            "details",
            S.save_details,
            rx.heading(T("Agreement"), size="4"),
            _code(a["code"]),
            _input("details", "name", T("Name"), a["name"]),
            *_countries_and_zone("details", a["country_a"], a["country_b"], a["timezone"]),
            _note(T("Days of stay are counted in this time zone.")),
            _select(
                "details",
                "card_languages",
                T("Card languages"),
                S.card_languages,
                a["card_languages"],
            ),
            _submit(T("Save"), "details-save"),
        ),
        width="100%",
    )


def _rules() -> rx.Component:
    a = S.agreement
    return rx.card(
        _form(
            "rules",
            S.save_rules,
            rx.heading(T("Rules"), size="4"),
            _number(
                "rules",
                "max_stay_days",
                T("Days per uninterrupted stay (1–90)"),
                a["max_stay_days"],
            ),
            _note(
                T(
                    "Optional cap: at most N days of stay within any M days. "
                    "Leave both empty for none."
                )
            ),
            rx.hstack(
                _number("rules", "period_cap_days", T("N: days of stay"), a["period_cap_days"]),
                _number("rules", "period_days", T("M: within any days"), a["period_days"]),
                width="100%",
            ),
            rx.hstack(
                _number(
                    "rules",
                    "min_validity_years",
                    T("Shortest validity (years)"),
                    a["min_validity_years"],
                ),
                _number(
                    "rules",
                    "max_validity_years",
                    T("Longest validity (years)"),
                    a["max_validity_years"],
                ),
                width="100%",
            ),
            _number(
                "rules",
                "min_residence_years",
                T("Minimum years of residence"),
                a["min_residence_years"],
            ),
            _labelled(
                "rules",
                "max_area_km",
                T("Border area depth limit"),
                rx.el.select(
                    rx.el.option(T("30 km"), value="30"),
                    rx.el.option(T("50 km (the regulation's exception)"), value="50"),
                    name="max_area_km",
                    id="rules-max_area_km",
                    default_value=a["max_area_km"],
                    style=SELECT_STYLE,
                    data_testid="rules-max_area_km",
                ),
            ),
            rx.callout(
                T(
                    "Changes apply from now on. New permits are issued with the new days per "
                    "stay and validity range. Permits already issued keep the validity and the "
                    "days per stay they were signed with: checks at the crossing points, the "
                    "wallet and the statistics count each stay against the holder's own "
                    "permit. The N-in-M cap applies at every check as set now."
                ),
                icon="info",
                size="1",
                data_testid="rules-note",
            ),
            _submit(T("Save rules"), "rules-save"),
        ),
        width="100%",
    )


def _item(part: str, row: rx.Var, lines: list[rx.Component]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(row["name"], weight="bold"),
            rx.cond(row["name_native"] != "", rx.text(row["name_native"], size="2")),
            _code(row["code"]),
            *lines,
            rx.hstack(
                rx.button(
                    T("Edit"),
                    size="1",
                    variant="soft",
                    on_click=S.edit(part, row["code"]),
                    data_testid=f"{part}-edit",
                ),
                rx.button(
                    T("Delete"),
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=S.delete(part, row["code"]),
                    data_testid=f"{part}-delete",
                ),
            ),
            spacing="1",
            width="100%",
        ),
        width="100%",
        data_testid=f"{part}-row",
        data_code=row["code"],
    )


def _section(
    part: str,
    words: tuple[rx.Var, rx.Var, rx.Var, rx.Var],
    rows: rx.Var,
    lines,
    on_submit,
    *fields: rx.Component,
) -> rx.Component:
    """A part's list (each with edit and delete) and its form: code and names, then `fields`.

    `words`: the section's title, and the form's titles for a new and a changed one, and its
    save button."""
    title, new, change, save = words
    f = S.forms[part]
    return rx.vstack(
        rx.heading(title, size="4"),
        rx.foreach(rows, lambda r: _item(part, r, lines(r))),
        rx.card(
            _form(
                part,
                on_submit,
                rx.heading(rx.cond(S.editing[part] == "", new, change), size="3"),
                _input(part, "code", T("Code (capital letters, digits, hyphens)"), f["code"]),
                _input(part, "name", T("International name (Latin letters)"), f["name"]),
                _input(part, "name_native", T("Name in the country's language"), f["name_native"]),
                *fields,
                rx.hstack(
                    _submit(save, f"{part}-save"),
                    rx.cond(
                        S.editing[part] != "",
                        rx.button(new, type="button", variant="soft", on_click=S.edit(part, "")),
                    ),
                    wrap="wrap",
                ),
            ),
            width="100%",
            id=FORM_IDS[part],
        ),
        width="100%",
    )


def _areas() -> rx.Component:
    f = S.forms["area"]
    return _section(
        "area",
        (
            T("Border areas"),
            T("New border area"),
            T("Change the border area"),
            T("Save border area"),
        ),
        S.areas,
        lambda r: [
            rx.text(T("Country"), ": ", r["country_name"], size="2"),
            rx.text(T("Depth"), ": ", r["depth_km"], " km", size="2"),
            rx.text(T("Districts"), ": ", r["districts"], size="2"),
        ],
        S.save_area,
        _select("area", "country", T("Country"), S.sides, f["country"]),
        _number("area", "depth_km", T("Depth from the border (km)"), f["depth_km"]),
        _labelled(
            "area",
            "districts",
            T("Districts (separated by commas)"),
            rx.text_area(
                name="districts",
                id="area-districts",
                default_value=f["districts"],
                width="100%",
                data_testid="area-districts",
            ),
        ),
    )


def _points() -> rx.Component:
    return _section(
        "point",
        (
            T("Crossing points"),
            T("New crossing point"),
            T("Change the crossing point"),
            T("Save crossing point"),
        ),
        S.points,
        lambda r: [rx.text(T("Serves"), ": ", r["serves"], size="2")],
        S.save_point,
        rx.vstack(
            rx.text(T("Serves the border areas"), style=LABEL_STYLE),
            rx.foreach(
                S.areas,
                lambda a: rx.el.label(
                    rx.el.input(
                        type="checkbox",
                        name="serves:" + a["code"],
                        default_checked=S.serves.contains(a["code"]),
                        data_testid="point-serves",
                        data_code=a["code"],
                    ),
                    " ",
                    a["label"],
                    style={"display": "flex", "gap": "8px", "align_items": "center"},
                ),
            ),
            rx.cond(
                S.errors.contains("point.serves"),
                rx.text(
                    S.errors["point.serves"],
                    color_scheme="red",
                    size="1",
                    data_testid="error-point-serves",
                ),
            ),
            spacing="1",
            width="100%",
        ),
    )


def _authorities() -> rx.Component:
    f = S.forms["authority"]
    return _section(
        "authority",
        (T("Authorities"), T("New authority"), T("Change the authority"), T("Save authority")),
        S.authorities,
        lambda r: [
            rx.text(T("Country"), ": ", r["country_name"], size="2"),
            rx.text(r["kind_label"], size="2"),
        ],
        S.save_authority,
        _select("authority", "country", T("Country"), S.sides, f["country"]),
        _select("authority", "kind", T("Kind"), S.kinds, f["kind"]),
        _note(T("A new issuing authority gets its first signing key at once.")),
    )


def _setup() -> rx.Component:
    return rx.vstack(
        rx.heading(S.agreement["name"], size="5", data_testid="agreement-chosen"),
        _details(),
        _rules(),
        rx.callout(
            rx.cond(
                S.has_permits,
                T(
                    "This agreement has issued permits. Their QR codes name areas, crossing "
                    "points and authorities by code: codes in use cannot change, and nothing "
                    "can be deleted. Names can always change."
                ),
                T(
                    "Codes go into permits' QR codes: once in use they cannot change, and once "
                    "the agreement has issued permits nothing can be deleted. Names can always "
                    "change."
                ),
            ),
            icon="info",
            size="1",
        ),
        _areas(),
        _points(),
        _authorities(),
        spacing="4",
        width="100%",
    )


def admin_agreements_page() -> rx.Component:
    return page(
        rx.heading(T("Agreements"), size="6"),
        admin_nav(),
        _agreement_list(),
        rx.cond(S.chosen != "", _setup()),
        _new_agreement(),
        testid="admin-agreements-page",
    )
