"""Authority staff: applications oldest first, eligibility rule by rule, approve or reject."""

import reflex as rx

from lbt_app.components.form_field import named_options
from lbt_app.components.layout import T, page
from lbt_app.components.pager import pager
from lbt_app.pages.residents import authority_nav
from lbt_app.states.applications import REVIEW_ID, ApplicationsState

S = ApplicationsState


def _row(r: rx.Var) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.checkbox(
                checked=S.picked.contains(r["id"]),
                on_change=lambda _: S.toggle_pick(r["id"]),
                disabled=r["eligible"] != "yes",
                aria_label=T("Select for approval") + ": " + r["latin"].to(str),
                data_testid="application-pick",
            ),
            rx.vstack(
                rx.text(r["latin"], weight="bold"),
                rx.text(r["native"], " · ", r["document"], size="2"),
                spacing="0",
            ),
            rx.spacer(),
            rx.text(r["submitted"], size="2"),
            rx.cond(
                r["eligible"] == "yes",
                rx.badge(T("Eligible"), color_scheme="green"),
                rx.badge(T("Not eligible"), ": ", r["failed"], color_scheme="red"),
            ),
            rx.button(
                T("Review"),
                size="1",
                on_click=S.select(r["id"]),
                data_testid="application-review",
            ),
            align="center",
            wrap="wrap",
            width="100%",
        ),
        width="100%",
        data_testid="application-row",
        data_document=r["document"],
    )


def _applicant() -> rx.Component:
    a = S.applicant
    return rx.vstack(
        rx.text(a["latin"], weight="bold", size="4", data_testid="applicant-name"),
        rx.text(a["native"], size="3"),
        rx.text(T("Date of birth"), ": ", a["birth_date"], size="2"),
        rx.text(T("Document"), ": ", a["document"], " · ", a["nationality"], size="2"),
        rx.text(T("Resident since"), ": ", a["since"], size="2"),
        spacing="1",
        data_testid="applicant",
    )


def _proof() -> rx.Component:
    """An image proof shows here; any proof, a PDF too, opens as a file."""
    return rx.vstack(
        rx.cond(
            S.proof != "",
            rx.image(src=S.proof, max_width="100%", alt=T("Proof of residence")),
        ),
        rx.button(
            rx.icon("file-down", size=16),
            T("Proof of residence"),
            rx.cond(S.proof_is_pdf, " (PDF)", ""),
            variant="soft",
            on_click=S.download_proof,
            data_testid="proof-download",
        ),
        width="100%",
    )


def _review() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(T("Review"), size="4"),
            _applicant(),
            rx.foreach(
                S.rules,
                lambda rule: rx.hstack(
                    rx.cond(
                        rule["ok"] == "yes",
                        rx.icon("circle-check", color="green", size=18, flex_shrink="0"),
                        rx.icon("circle-x", color="red", size=18, flex_shrink="0"),
                    ),
                    rx.text(rule["label"]),
                    data_testid="eligibility-rule",
                    data_ok=rule["ok"],
                ),
            ),
            _proof(),
            rx.hstack(
                rx.el.label(T("Validity in years"), html_for="approve-years"),
                rx.el.select(
                    rx.foreach(S.year_choices, lambda y: rx.el.option(y, value=y)),
                    value=S.years,
                    on_change=S.set_years,
                    id="approve-years",
                    data_testid="approve-years",
                ),
                align="center",
            ),
            rx.cond(
                S.areas.length() > 1,
                rx.hstack(
                    rx.el.label(T("Border area"), html_for="approve-area"),
                    rx.el.select(
                        named_options(S.areas),
                        value=S.area,
                        on_change=S.set_area,
                        id="approve-area",
                        data_testid="approve-area",
                    ),
                    align="center",
                    wrap="wrap",
                ),
            ),
            rx.hstack(
                rx.foreach(
                    S.points,
                    lambda p: rx.checkbox(
                        p["name"],
                        checked=S.chosen_points.contains(p["code"]),
                        on_change=lambda _: S.toggle_point(p["code"]),
                        data_testid="approve-point",
                        data_code=p["code"],
                    ),
                ),
                wrap="wrap",
            ),
            rx.button(
                T("Approve and issue"),
                on_click=S.approve,
                color_scheme="green",
                data_testid="application-approve",
            ),
            rx.form(
                rx.hstack(
                    rx.input(
                        name="reason",
                        placeholder=T("Reason the resident will see"),
                        aria_label=T("Reason the resident will see"),
                        width="100%",
                        data_testid="reject-reason",
                    ),
                    rx.button(T("Reject"), type="submit", color_scheme="red", data_testid="reject"),
                    width="100%",
                ),
                on_submit=S.reject,
                reset_on_submit=True,
                width="100%",
            ),
            width="100%",
        ),
        width="100%",
        id=REVIEW_ID,
        data_testid="application-review-panel",
    )


def applications_page() -> rx.Component:
    return page(
        authority_nav(),
        rx.heading(T("Applications"), size="6"),
        rx.cond(S.selected > 0, _review()),
        rx.cond(
            S.rows.length() > 0,
            rx.vstack(rx.foreach(S.rows, _row), pager(S, "application"), width="100%"),
            rx.text(T("No applications are waiting.")),
        ),
        rx.hstack(
            rx.button(
                T("Approve selected"),
                on_click=S.approve_picked,
                disabled=(S.picked.length() == 0) | S.bulk_running,
                data_testid="approve-picked",
            ),
            rx.cond(
                S.bulk_total > 0,
                rx.progress(value=S.bulk_done, max=S.bulk_total, width="200px"),
            ),
            rx.text(S.bulk_summary, data_testid="bulk-summary"),
            align="center",
            wrap="wrap",
        ),
        testid="applications-page",
    )
