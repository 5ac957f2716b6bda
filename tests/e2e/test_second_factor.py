"""Two-step sign-in in the browser: an officer turns it on from the account page and is then
asked for a code; a one-time password is replaced at sign-in. Every new step is looked at on a
360-pixel phone in every language."""

from __future__ import annotations

import base64
import time

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from lbt_app.i18n import LANGUAGES, t
from tests.e2e.conftest import (
    PHONE_360,
    hydrated,
    overflow_and_internal_words,
    sign_in,
    sign_in_as_officer,
)

pytestmark = pytest.mark.browser


def _code(secret_text: str, at: float) -> str:
    """What the officer's authenticator app shows at `at`, from the key typed off the page."""
    secret = base64.b32decode(secret_text.replace(" ", ""))
    return TOTP(secret, 6, SHA1(), 30).generate(int(at)).decode()


@pytest.fixture
def restore_user(app):
    """Put a demo user's sign-in back as it was: other tests sign in with the demo password."""
    saved: list[tuple[str, dict]] = []

    def keep(username: str) -> None:
        with app.engine().connect() as conn:
            row = conn.execute(
                sa.text('SELECT id, password_hash FROM "user" WHERE username = :u'),
                {"u": username},
            ).one()
        saved.append((username, {"id": row.id, "hash": row.password_hash}))

    yield keep
    with app.engine().begin() as conn:
        for username, old in saved:
            conn.execute(
                sa.text(
                    'UPDATE "user" SET password_hash = :hash, must_change_password = false, '
                    "totp_secret_sealed = NULL, totp_enabled_at = NULL, totp_last_step = NULL "
                    "WHERE id = :id"
                ),
                old,
            )
            conn.execute(sa.text("DELETE FROM recoverycode WHERE user_id = :id"), old)
            conn.execute(sa.text("DELETE FROM authattempt WHERE username = :u"), {"u": username})


def _look(page, tmp_path, name: str, text_id: str) -> None:
    """In each language: the step's own words shown, nothing wider than the phone, no
    internal names; a screenshot to look at."""
    for lang in LANGUAGES:
        page.select_option("[data-testid=language]", lang)
        page.wait_for_selector(f"text={t(text_id, lang)}")
        extra, internal = overflow_and_internal_words(page)
        assert (lang, extra, internal) == (lang, 0, []), name
        page.screenshot(path=str(tmp_path / f"{name}-{lang}.png"), full_page=True)
    page.select_option("[data-testid=language]", "en")
    page.wait_for_selector(f"text={t(text_id, 'en')}")


def test_an_officer_turns_on_two_step_sign_in_then_needs_a_code(page, app, tmp_path, restore_user):
    restore_user("officer1")
    page.set_viewport_size(PHONE_360)
    sign_in_as_officer(page, app)
    page.click("[data-testid=to-account]")
    page.wait_for_url("**/account")
    hydrated(page)
    page.click("[data-testid=second-factor-begin]")
    page.wait_for_selector("[data-testid=account-qr]")
    _look(page, tmp_path, "account-enrol", "Or type this key into the app:")
    secret = page.inner_text("[data-testid=account-secret]")
    page.fill("#account-code", _code(secret, time.time()))
    page.click("[data-testid=account-confirm]")
    page.wait_for_selector("[data-testid=account-recovery-codes]")
    codes = page.inner_text("[data-testid=account-recovery-codes]").split()
    assert len(codes) == 10
    _look(page, tmp_path, "account-codes", "I have saved them")
    page.click("[data-testid=account-codes-saved]")
    page.wait_for_selector("[data-testid=second-factor-on]")

    page.click("[data-testid=sign-out]")
    page.wait_for_selector("[data-testid=sign-in]")
    sign_in(page, app, "officer1", "officer1-demo-2026")
    page.wait_for_selector("[data-testid=step-code]")
    assert page.url.rstrip("/") == app.url  # no session yet
    _look(page, tmp_path, "login-code", "Enter your sign-in code")
    page.click("[data-testid=use-recovery-code]")
    _look(page, tmp_path, "login-recovery", "One of your recovery codes")
    page.click("[data-testid=use-app-code]")

    page.fill("#sign-in-code", _code(secret, time.time() - 600))  # an old code
    page.click("[data-testid=give-code]")
    error = page.wait_for_selector("[data-testid=login-error]")
    assert error.inner_text() == "This code is not right. Enter the code your app shows now."
    assert page.is_visible("[data-testid=step-code]")
    page.fill("#sign-in-code", _code(secret, time.time() + 30))  # never the enrolment's code
    page.click("[data-testid=give-code]")
    page.wait_for_url("**/officer")
    hydrated(page)


def test_a_one_time_password_is_replaced_at_sign_in(page, app, tmp_path, restore_user):
    restore_user("officer2")
    with app.engine().begin() as conn:
        conn.execute(
            sa.text('UPDATE "user" SET must_change_password = true WHERE username = :u'),
            {"u": "officer2"},
        )
    page.set_viewport_size(PHONE_360)
    sign_in(page, app, "officer2", "officer2-demo-2026")
    page.wait_for_selector("[data-testid=step-new-password]")
    _look(page, tmp_path, "login-new-password", "Choose your own password")
    page.fill("#new-password", "officer2-own-2026")
    page.fill("#new-password-again", "officer2-own-2027")
    page.click("[data-testid=save-password]")
    error = page.wait_for_selector("[data-testid=login-error]")
    assert error.inner_text() == "The two passwords differ."
    page.fill("#new-password", "officer2-own-2026")
    page.fill("#new-password-again", "officer2-own-2026")
    page.click("[data-testid=save-password]")
    page.wait_for_url("**/officer")
    hydrated(page)
