"""The Reflex app: pages and routes, nothing else."""

import base64
import functools
import logging
from pathlib import Path

import reflex as rx

from lbt_app import heap, routes
from lbt_app.components.layout import T, early_words, toaster
from lbt_app.endpoints import api
from lbt_app.http_headers import SecurityHeaders
from lbt_app.i18n import t
from lbt_app.metrics import CountSockets
from lbt_app.page_paths import PagePaths
from lbt_app.pages.account import account_page
from lbt_app.pages.admin import admin_page
from lbt_app.pages.admin_agreements import admin_agreements_page
from lbt_app.pages.admin_keys import admin_keys_page
from lbt_app.pages.admin_refusals import admin_refusals_page
from lbt_app.pages.applications import applications_page
from lbt_app.pages.desk import authority_page
from lbt_app.pages.login import login_page, signup_page
from lbt_app.pages.officer import officer_page
from lbt_app.pages.oversight import oversight_page
from lbt_app.pages.residents import residents_page
from lbt_app.pages.wallet import wallet_page
from lbt_app.settings import get_settings
from lbt_app.state_lock import make_lock_cancellation_safe
from lbt_app.states.account import AccountState
from lbt_app.states.admin import AdminState
from lbt_app.states.admin_agreements import AdminAgreementsState
from lbt_app.states.admin_keys import AdminKeysState
from lbt_app.states.admin_refusals import AdminRefusalsState
from lbt_app.states.applications import ApplicationsState
from lbt_app.states.desk import AuthorityState
from lbt_app.states.login import LoginState
from lbt_app.states.officer import OfficerState
from lbt_app.states.oversight import OversightState
from lbt_app.states.residents import ResidentsState
from lbt_app.states.session import PAGE_LOADS, SOMETHING_WENT_WRONG, StateRecovery
from lbt_app.states.wallet import WalletState

log = logging.getLogger(__name__)


def _backend_error(exception: Exception) -> rx.event.EventSpec:
    """Log the details; the user sees a calm message, never a stack trace."""
    log.error("backend error", exc_info=exception)
    message = t(SOMETHING_WENT_WRONG, get_settings().default_lang)
    return rx.toast.error(message)


# The tab's icon in the page itself (453 bytes): as /favicon.ico it was one more request, 4.5 KB,
# while the page waited for its state on a slow link, and a revalidation on every later load.
FAVICON = (
    "data:image/png;base64,"
    + base64.b64encode(
        (Path(__file__).parent.parent / "assets" / "icons" / "icon-32.png").read_bytes()
    ).decode()
)

# Installable (manifest, icons, service worker); the service worker keeps the wallet offline.
PWA_HEAD = [
    rx.el.meta(name="viewport", content="width=device-width, initial-scale=1"),
    rx.el.meta(name="theme-color", content="#0d9488"),
    rx.el.link(rel="manifest", href="/manifest.json"),
    rx.el.link(rel="icon", type="image/png", href=FAVICON),
    rx.el.link(rel="apple-touch-icon", href="/icons/apple-touch-icon.png"),
    rx.el.meta(name="apple-mobile-web-app-capable", content="yes"),
    rx.el.meta(name="apple-mobile-web-app-status-bar-style", content="default"),
    rx.el.meta(name="apple-mobile-web-app-title", content="LBT"),
    rx.el.script("if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js');"),
    early_words(),
]

PAGES = [
    (login_page, routes.LOGIN, LoginState.load),
    (signup_page, routes.SIGNUP, LoginState.load),
    (authority_page, routes.AUTHORITY, AuthorityState.load),
    (residents_page, routes.RESIDENTS, ResidentsState.load),
    (applications_page, routes.APPLICATIONS, ApplicationsState.load),
    (oversight_page, routes.OVERSIGHT, OversightState.load),
    (officer_page, routes.OFFICER, OfficerState.load),
    (wallet_page, routes.WALLET, WalletState.load),
    (admin_page, routes.ADMIN, AdminState.load),
    (admin_refusals_page, routes.ADMIN_REFUSALS, AdminRefusalsState.load),
    (admin_keys_page, routes.ADMIN_KEYS, AdminKeysState.load),
    (admin_agreements_page, routes.ADMIN_AGREEMENTS, AdminAgreementsState.load),
    (account_page, routes.ACCOUNT, AccountState.load),
]

make_lock_cancellation_safe()  # before any event takes a tab's lock in Redis
app = rx.App(
    head_components=PWA_HEAD,
    stylesheets=["/theme.css"],  # colours and tap targets that accessibility decides
    toaster=toaster(),
    backend_exception_handler=_backend_error,
    # Pages by their routes as they are; endpoints beside them; headers on all; the browser
    # tabs connected counted.
    api_transformer=[
        functools.partial(PagePaths, routes=[route for _, route, _ in PAGES]),
        api,
        SecurityHeaders,
        CountSockets,
    ],
)
app.add_middleware(StateRecovery())  # a tab whose server state was lost carries on
app.register_lifespan_task(heap.freeze_loaded)  # full collections no longer stop every event
for component, route, load in PAGES:
    title, description = T(routes.TITLE[route]), T(routes.DESCRIPTION)
    app.add_page(component, route=route, title=title, description=description, on_load=load)
    PAGE_LOADS[route] = load  # a language switch runs it again: dates in the new language
