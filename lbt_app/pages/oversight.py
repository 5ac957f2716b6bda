"""Authority staff: the audit log with filters and chain check; officers' misuse reports."""

import reflex as rx

from lbt_app.components.audit_chain import audit_chain
from lbt_app.components.layout import T, T_var, page
from lbt_app.components.pager import keyset_pager
from lbt_app.pages.residents import authority_nav
from lbt_app.states.oversight import OversightState

S = OversightState


def _report(r: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(r["at"], " · ", r["officer"], " · ", r["point"], " · ", r["number"], size="2"),
            rx.text(r["note"]),
            rx.cond(
                r["decision"] != "",
                rx.badge(
                    T_var(r["decision_label"]), " · ", r["decided_by"], data_testid="decision"
                ),
                rx.form(
                    rx.hstack(
                        rx.el.input(type="hidden", name="report", value=r["seq"]),
                        rx.el.select(
                            rx.foreach(
                                S.decisions, lambda d: rx.el.option(d["label"], value=d["value"])
                            ),
                            name="decision",
                            aria_label=T("Decision"),
                            data_testid="decision-choice",
                            style={"padding": "6px"},
                        ),
                        rx.input(
                            name="note",
                            placeholder=T("Note"),
                            aria_label=T("Note"),
                            data_testid="decision-note",
                        ),
                        rx.button(T("Decide"), type="submit", data_testid="decide"),
                        wrap="wrap",
                    ),
                    on_submit=S.decide,
                    reset_on_submit=True,
                ),
            ),
            width="100%",
        ),
        width="100%",
        data_testid="misuse-report",
        data_number=r["number"],
    )


def _event(e: rx.Var) -> rx.Component:
    """One event as a sentence; its raw fields, labelled, on demand."""
    return rx.box(
        rx.text(e["sentence"], size="2", data_testid="audit-sentence"),
        rx.el.details(
            rx.el.summary(
                e["at"], " · ", T("Details"), style={"cursor": "pointer", "color": "var(--gray-11)"}
            ),
            rx.el.dl(
                rx.foreach(
                    S.event_fields[e["seq"]],
                    lambda f: rx.el.div(
                        rx.el.dt(f[0], ":", style={"display": "inline", "color": "var(--gray-11)"}),
                        " ",
                        rx.el.dd(f[1], style={"display": "inline", "margin": "0"}),
                    ),
                ),
                style={"margin": "4px 0 0 0"},
            ),
            style={"font_size": "12px"},
        ),
        width="100%",
        padding_bottom="6px",
        border_bottom="1px solid var(--gray-4)",
        style={"overflow_wrap": "anywhere"},
        data_testid="audit-event",
    )


def _log() -> rx.Component:
    return rx.vstack(
        rx.form(
            rx.hstack(
                rx.el.select(
                    rx.el.option(T("Any action"), value=""),
                    rx.foreach(S.actions, lambda a: rx.el.option(a["label"], value=a["value"])),
                    name="action",
                    aria_label=T("Action"),
                    data_testid="audit-action",
                    style={"padding": "6px", "max_width": "100%"},
                ),
                rx.input(
                    name="text",
                    placeholder=T("User or subject"),
                    aria_label=T("User or subject"),
                    data_testid="audit-text",
                    max_width="100%",
                ),
                rx.button(T("Filter"), type="submit", data_testid="audit-filter"),
                wrap="wrap",
            ),
            on_submit=S.filter,
        ),
        rx.foreach(S.events, _event),
        keyset_pager(S, "audit"),
        width="100%",
    )


def oversight_page() -> rx.Component:
    return page(
        authority_nav(),
        rx.heading(T("Misuse reports"), size="6"),
        rx.cond(
            S.reports.length() > 0,
            rx.vstack(rx.foreach(S.reports, _report), width="100%"),
            rx.text(T("No misuse reports.")),
        ),
        rx.heading(T("Audit log"), size="6"),
        audit_chain(S.check_chain),
        _log(),
        testid="oversight-page",
    )
