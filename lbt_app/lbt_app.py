"""The Reflex app: pages and routes, nothing else."""

import logging

import reflex as rx

from lbt_app import routes
from lbt_app.http_headers import SecurityHeaders
from lbt_app.i18n import t
from lbt_app.pages.applications import applications_page
from lbt_app.pages.login import login_page, signup_page
from lbt_app.pages.officer import officer_page
from lbt_app.pages.oversight import oversight_page
from lbt_app.pages.residents import residents_page
from lbt_app.pages.roles import admin_page, authority_page, wallet_page
from lbt_app.settings import get_settings
from lbt_app.states.applications import ApplicationsState
from lbt_app.states.login import LoginState
from lbt_app.states.officer import OfficerState
from lbt_app.states.oversight import OversightState
from lbt_app.states.residents import ResidentsState
from lbt_app.states.roles import AdminState, AuthorityState, WalletState

log = logging.getLogger(__name__)


def _backend_error(exception: Exception) -> rx.event.EventSpec:
    """Log the details; the user sees a calm message, never a stack trace."""
    log.error("backend error", exc_info=exception)
    message = t("Something went wrong. Please try again.", get_settings().default_lang)
    return rx.toast.error(message, position="top-center")


# Installable (manifest, icons, service worker); the service worker keeps the wallet offline.
PWA_HEAD = [
    rx.el.meta(name="viewport", content="width=device-width, initial-scale=1"),
    rx.el.meta(name="theme-color", content="#0d9488"),
    rx.el.link(rel="manifest", href="/manifest.json"),
    rx.el.link(rel="icon", href="/favicon.ico"),
    rx.el.link(rel="apple-touch-icon", href="/icons/apple-touch-icon.png"),
    rx.el.meta(name="apple-mobile-web-app-capable", content="yes"),
    rx.el.meta(name="apple-mobile-web-app-status-bar-style", content="default"),
    rx.el.meta(name="apple-mobile-web-app-title", content="LBT"),
    rx.el.script("if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js');"),
]

app = rx.App(
    head_components=PWA_HEAD,
    backend_exception_handler=_backend_error,
    api_transformer=SecurityHeaders,
)
app.add_page(login_page, route=routes.LOGIN, title="LBT permits", on_load=LoginState.load)
app.add_page(signup_page, route=routes.SIGNUP, title="Sign up", on_load=LoginState.load)
app.add_page(
    authority_page, route=routes.AUTHORITY, title="Authority desk", on_load=AuthorityState.load
)
app.add_page(residents_page, route=routes.RESIDENTS, title="Residents", on_load=ResidentsState.load)
app.add_page(
    applications_page,
    route=routes.APPLICATIONS,
    title="Applications",
    on_load=ApplicationsState.load,
)
app.add_page(oversight_page, route=routes.OVERSIGHT, title="Oversight", on_load=OversightState.load)
app.add_page(officer_page, route=routes.OFFICER, title="Officer", on_load=OfficerState.load)
app.add_page(wallet_page, route=routes.WALLET, title="My permits", on_load=WalletState.load)
app.add_page(admin_page, route=routes.ADMIN, title="Administration", on_load=AdminState.load)
