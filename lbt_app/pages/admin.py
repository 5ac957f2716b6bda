"""Administration (/admin)."""

import reflex as rx

from lbt_app.components.admin_nav import admin_nav
from lbt_app.components.audit_chain import audit_chain
from lbt_app.components.layout import T, T_var, page
from lbt_app.states.admin import AdminState


def admin_page() -> rx.Component:
    return page(
        rx.heading(T("Administration"), size="6"),
        admin_nav(),
        audit_chain(AdminState.check_chain),
        rx.heading(T("Users"), size="4"),
        rx.foreach(
            AdminState.users,
            lambda u: rx.hstack(
                rx.text(u["username"], weight="bold"),
                rx.text(u["name"]),
                rx.spacer(),
                rx.badge(T_var(u["role"])),
                width="100%",
            ),
        ),
        testid="admin-page",
    )
