"""Each role signs in and lands on its page; the server refuses what the client forges."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from lbt_app.i18n import format_day, t
from lbt_app.services.demo import LOGINS
from lbt_app.states.desk import AuthorityState
from tests.e2e.conftest import (
    audit_details,
    capture_sockets,
    forge_event,
    hydrated,
    sign_in,
    wait_until,
)

pytestmark = pytest.mark.browser

LANDING = {
    "authority": "/authority",
    "officer": "/officer",
    "resident": "/wallet",
    "admin": "/admin",
}
PAGE_ID = {
    "authority": "authority-page",
    "officer": "officer-page",
    "resident": "wallet-page",
    "admin": "admin-page",
}


@pytest.mark.parametrize("login", LOGINS, ids=[x.username for x in LOGINS])
def test_each_demo_login_lands_on_its_page(page, app, login):
    sign_in(page, app, login.username, login.password)
    page.wait_for_url(f"**{LANDING[login.role.value]}")
    page.wait_for_selector(f"[data-testid={PAGE_ID[login.role.value]}]")
    assert page.locator("[data-testid=user-role]").inner_text()
    # The page fits a phone: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_wrong_password_is_refused_with_a_message(page, app):
    sign_in(page, app, "staff", "not-the-password")
    error = page.wait_for_selector("[data-testid=login-error]")
    assert "Wrong user name or password" in error.inner_text()
    assert page.url.rstrip("/") == app.url
    # The throttle counts the browser's real address, taken from the socket.
    assert audit_details(app, "login_failed")[-1]["address"] == "127.0.0.1"


def test_a_resident_forcing_the_authority_page_is_turned_away(page, app):
    sign_in(page, app, "farhod", "farhod-demo-2026")
    page.wait_for_url("**/wallet")
    page.goto(app.url + "/authority")
    page.wait_for_url("**/wallet")
    page.wait_for_selector("[data-testid=wallet-page]")  # the redirect has rendered
    page.wait_for_selector("[data-testid=authority-page]", state="detached")


def test_an_anonymous_visitor_is_sent_to_sign_in(page, app):
    page.goto(app.url + "/officer")
    hydrated(page)
    page.wait_for_selector("[data-testid=login-page]")
    page.wait_for_selector("[data-testid=officer-page]", state="detached")


def test_language_switch_translates_the_page(page, app):
    page.goto(app.url + "/")
    hydrated(page)
    page.select_option("[data-testid=language]", "ru")
    page.wait_for_selector("text=Имя пользователя")
    page.reload()
    hydrated(page)
    page.wait_for_selector("text=Имя пользователя")  # remembered
    for lang in ("tg", "uz", "ky"):  # the languages of the border areas
        page.select_option("[data-testid=language]", lang)
        page.wait_for_selector(f"text={t('Sign in', lang)}")


def test_a_forged_authority_event_from_a_resident_changes_nothing(page, app):
    with app.engine().connect() as conn:
        number = conn.execute(
            sa.text("SELECT number FROM permit WHERE status = 'active' ORDER BY id LIMIT 1")
        ).scalar_one()
    denied_before = len(audit_details(app, "access_denied"))
    sockets = capture_sockets(page)
    sign_in(page, app, "farhod", "farhod-demo-2026")
    page.wait_for_url("**/wallet")
    hydrated(page)
    name = AuthorityState.get_full_name()
    forge_event(sockets, f"{name}.ask_change", {"number": number, "action": "suspend"}, "/wallet")
    forge_event(sockets, f"{name}.change_status", {"form": {"reason": "forged"}}, "/wallet")
    reached = wait_until(page, lambda: len(audit_details(app, "access_denied")) > denied_before)
    with app.engine().connect() as conn:
        status = conn.execute(
            sa.text("SELECT status FROM permit WHERE number = :n"), {"n": number}
        ).scalar_one()
    assert status == "active"
    assert reached, "the forged event never reached the handler"
    assert audit_details(app, "access_denied")[-1]["handler"] == AuthorityState.get_full_name()


def test_switching_language_reformats_the_dates_on_the_page(page, app):
    sign_in(page, app, "staff", "staff-demo-2026")
    page.wait_for_url("**/authority")
    hydrated(page)
    with app.engine().connect() as conn:
        until = conn.execute(
            sa.text("SELECT valid_until FROM permit ORDER BY valid_until DESC LIMIT 1")
        ).scalar_one()
    until = until if isinstance(until, date) else date.fromisoformat(str(until))
    page.wait_for_selector(f"[data-testid=permit-row]:has-text('{format_day(until, 'en')}')")
    page.select_option("[data-testid=language]", "ru")
    page.wait_for_selector(f"[data-testid=permit-row]:has-text('{format_day(until, 'ru')}')")
