"""The administration pages' links (users, agreements, refusal list, signing keys)."""

import reflex as rx

from lbt_app import routes
from lbt_app.components.layout import T


def admin_nav() -> rx.Component:
    return rx.hstack(
        rx.link(T("Users"), href=routes.ADMIN, data_testid="nav-admin-users"),
        rx.link(T("Agreements"), href=routes.ADMIN_AGREEMENTS, data_testid="nav-admin-agreements"),
        rx.link(T("Refusal list"), href=routes.ADMIN_REFUSALS, data_testid="nav-admin-refusals"),
        rx.link(T("Signing keys"), href=routes.ADMIN_KEYS, data_testid="nav-admin-keys"),
        spacing="4",
        wrap="wrap",
    )
