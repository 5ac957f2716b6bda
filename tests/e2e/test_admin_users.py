"""The administrator's users list on a 360-pixel phone: a new officer's one-time password shown
once, a deactivation confirmed, and the list and its dialogs in every language."""

from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa

from lbt_app.i18n import LANGUAGES, t
from tests.e2e.conftest import PHONE_360, hydrated, overflow_and_internal_words, sign_in

pytestmark = pytest.mark.browser

ONE_TIME = re.compile(r"([2-9A-HJKMNP-Z]{4}-){3}[2-9A-HJKMNP-Z]{4}")


def _account(app, username: str) -> tuple[bool, bool, str]:
    with app.engine().connect() as conn:
        return tuple(
            conn.execute(
                sa.text(
                    'SELECT u.is_active, u.must_change_password, p.code FROM "user" u '
                    "JOIN crossingpoint p ON p.id = u.crossing_point_id WHERE u.username = :u"
                ),
                {"u": username},
            ).one()
        )


def _looks_right(page, lang: str, shot) -> None:
    extra, internal = overflow_and_internal_words(page)
    assert (lang, extra, internal) == (lang, 0, [])
    page.screenshot(path=str(shot), full_page=True)


def _admin_on_a_phone(page, app) -> None:
    page.set_viewport_size(PHONE_360)
    sign_in(page, app, "admin", "admin-demo-2026")
    page.wait_for_url("**/admin")
    hydrated(page)
    page.wait_for_selector("[data-testid=user-row][data-username=officer1]")


def test_an_admin_opens_an_officer_account_and_deactivates_it(page, app, tmp_path):
    _admin_on_a_phone(page, app)
    username = f"officer-{int(time.time() * 1000) % 10**8}"

    page.click("[data-testid=user-new]")
    page.fill("[data-testid=form-username]", username)
    page.fill("[data-testid=form-full-name]", "Jamshed Qodirov")
    page.select_option("[data-testid=form-role]", "officer")
    page.click("[data-testid=form-save]")  # no point chosen yet
    page.wait_for_selector("[data-testid=form-error]")
    assert page.inner_text("[data-testid=form-error]") == "Choose the crossing point."
    page.select_option(
        "[data-testid=form-point]",
        label="Patar – Rishton · Tajikistan–Uzbekistan local border traffic",
    )
    page.click("[data-testid=form-save]")

    password = page.inner_text("[data-testid=one-time-password]").strip()
    assert ONE_TIME.fullmatch(password)
    assert _account(app, username) == (True, True, "PATAR")
    _looks_right(page, "en", tmp_path / "admin-users-password.png")
    page.click("[data-testid=secret-done]")
    page.wait_for_selector("[data-testid=one-time-password]", state="detached")
    assert password not in page.inner_text("body")  # shown once

    row = page.locator(f"[data-testid=user-row][data-username='{username}']")
    row.locator("[data-testid=user-actions]").click()
    page.click("[data-testid=user-deactivate]")
    page.wait_for_selector("[data-testid=confirm-action]")
    _looks_right(page, "en", tmp_path / "admin-users-confirm.png")
    page.click("[data-testid=confirm-action]")
    row.locator("[data-testid=user-inactive]").wait_for()
    assert not _account(app, username)[0]


def test_the_users_list_and_form_fit_and_speak_every_language(page, app, tmp_path):
    _admin_on_a_phone(page, app)
    for lang in LANGUAGES:
        page.select_option("[data-testid=language]", lang)
        page.wait_for_selector(f"text={t('New account', lang)}")
        officer = "[data-testid=user-row][data-username=officer1]"
        page.wait_for_selector(f"{officer} >> text={t('Border officer', lang)}")
        _looks_right(page, lang, tmp_path / f"admin-users-{lang}.png")
        page.click("[data-testid=user-new]")
        page.select_option("[data-testid=form-role]", "authority")
        page.wait_for_selector("[data-testid=form-authority]")
        _looks_right(page, lang, tmp_path / f"admin-users-form-{lang}.png")
        page.keyboard.press("Escape")
        page.wait_for_selector("[data-testid=form-save]", state="detached")
