"""A new resident's main jobs on a 360 px phone in every language: sign up (a short password
told as such, a way back to sign-in), apply (the missing photo and proof named), sign in by the
phone number as typed at sign-up, and the wallet naming its border area, online and offline."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lbt_app.i18n import LANGUAGES, place_name, t
from lbt_app.services.applications import PHOTO_MISSING, PROOF_MISSING
from lbt_app.services.auth import PASSWORD_TOO_SHORT
from lbt_app.states.wallet import OFFLINE_NOTICE
from tests.e2e.conftest import (
    choose_language,
    hydrated,
    offline_worker_active,
    overflow_and_internal_words,
    sign_in,
)

pytestmark = pytest.mark.browser

SUGHD = ("Sughd border districts", "Ноҳияҳои сарҳадии Суғд", "TJK")
FERGANA = ("Fergana border districts", "Farg'ona chegara tumanlari", "UZB")


@pytest.fixture
def fresh_sign_up_allowance(app):
    """Each test's browser signs up from 127.0.0.1, which may open 5 accounts an hour."""
    with app.engine().begin() as conn:
        conn.execute(sa.text("DELETE FROM authattempt WHERE kind = 'signed_up'"))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_new_resident_signs_up_applies_and_signs_in_again(
    page, app, lang, fresh_sign_up_allowance
):
    choose_language(page, app, lang)
    page.click("[data-testid=to-signup]")
    page.wait_for_url("**/signup")
    hydrated(page)
    phone = f"+992 90 777 00 {10 + LANGUAGES.index(lang)}"
    page.fill("#signup-full_name", "Malika Yusupova")
    page.fill("#signup-username", phone)
    page.fill("#signup-password", "short")
    page.fill("#signup-password_again", "different")
    page.click("[data-testid=sign-up]")
    error = page.wait_for_selector("[data-testid=signup-error]")
    assert error.inner_text() == t(PASSWORD_TOO_SHORT, lang)
    assert overflow_and_internal_words(page) == (0, [])

    page.click("[data-testid=to-login]")  # the way back to sign-in
    page.wait_for_selector("[data-testid=login-page]")
    page.click("[data-testid=to-signup]")
    page.wait_for_selector("[data-testid=signup-page]")
    page.fill("#signup-full_name", "Malika Yusupova")
    page.fill("#signup-username", phone)
    page.fill("#signup-password", "border-2026-pass")
    page.fill("#signup-password_again", "border-2026-pass")
    page.click("[data-testid=sign-up]")
    page.wait_for_url("**/wallet")
    page.wait_for_selector("[data-testid=apply-form]")
    area = page.locator("[data-testid=apply-border_area] option")
    assert area.all_inner_texts() == [place_name(*SUGHD, lang)]
    sex = page.locator("[data-testid=apply-sex] option").all_inner_texts()
    assert sex == ["—", *(t(w, lang) for w in ("Female", "Male", "Unspecified"))]  # no "X"
    page.click("[data-testid=apply]")  # the empty form
    assert page.inner_text("[data-testid=apply-error-photo]") == t(PHOTO_MISSING, lang)
    assert page.inner_text("[data-testid=apply-error-proof]") == t(PROOF_MISSING, lang)
    assert overflow_and_internal_words(page) == (0, [])

    page.click("[data-testid=sign-out]")
    page.wait_for_selector("[data-testid=login-page]")
    sign_in(page, app, phone, "border-2026-pass")  # with spaces, as typed at sign-up
    page.wait_for_url("**/wallet")
    page.wait_for_selector("[data-testid=apply-form]")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_wallet_names_its_border_area_in_the_residents_language(page, app, lang):
    choose_language(page, app, lang)
    sign_in(page, app, "farhod", "farhod-demo-2026")
    page.wait_for_url("**/wallet")
    page.wait_for_function(
        "document.querySelector('[data-testid=wallet-qr]')?.dataset.text?.startsWith('LBTL:')"
    )
    card = page.inner_text("[data-testid=wallet-permit]")
    assert t("Border area", lang) in card
    assert place_name(*FERGANA, lang) in card and "UZ-FRG" not in card
    assert "Fotehobod – Oybek" in card  # crossing points by name too
    assert overflow_and_internal_words(page) == (0, [])

    offline_worker_active(page)
    page.context.set_offline(True)
    try:
        page.goto(app.url + "/wallet")
        notice = page.wait_for_selector("[data-testid=offline-notice]")
        assert t(OFFLINE_NOTICE, lang) in notice.inner_text()
        assert t("Last refreshed", lang) in notice.inner_text()
        assert place_name(*FERGANA, lang) in page.inner_text("[data-testid=offline-wallet]")
        assert overflow_and_internal_words(page) == (0, [])
    finally:
        page.context.set_offline(False)
