"""The administrator adds and lifts a refusal-list entry, rotates a signing key and revokes one
by typing its id; both pages fit a 360-pixel phone in every language."""

from __future__ import annotations

import pytest

from lbt_app.i18n import LANGUAGES, t
from tests.e2e.conftest import PHONE_360, hydrated, overflow_and_internal_words, sign_in

pytestmark = pytest.mark.browser


def _admin(page, app) -> None:
    page.set_viewport_size(PHONE_360)
    sign_in(page, app, "admin", "admin-demo-2026")
    page.wait_for_url("**/admin")
    hydrated(page)


def test_the_admin_adds_and_lifts_a_refusal_entry(page, app, tmp_path):
    _admin(page, app)
    page.click("[data-testid=nav-admin-refusals]")
    page.wait_for_url("**/admin/refusals")
    hydrated(page)
    page.click("[data-testid=refusal-add]")
    page.fill("[data-testid=refusal-full_name]", "Testov Test")
    page.fill("[data-testid=refusal-document_number]", "zz 99 88 77")
    page.fill("[data-testid=refusal-reason]", "Forged papers")
    page.fill("[data-testid=refusal-until]", "2020-01-01")
    page.click("[data-testid=refusal-save]")
    page.wait_for_selector("[data-testid=error-until]")
    page.screenshot(path=str(tmp_path / "refusal-form-en.png"))
    page.fill("[data-testid=refusal-until]", "")
    page.click("[data-testid=refusal-save]")
    entry = "[data-testid=refusal-entry][data-document=ZZ998877]"
    page.wait_for_selector(entry)
    assert page.inner_text(f"{entry} [data-testid=refusal-status]") == "In force"
    page.click(f"{entry} [data-testid=refusal-lift]")
    page.click("[data-testid=lift-confirm]")
    page.wait_for_function(
        "(sel) => document.querySelector(sel + ' [data-testid=refusal-status]')"
        "?.innerText === 'Lifted'",
        arg=entry,
    )
    for lang in LANGUAGES:
        page.select_option("[data-testid=language]", lang)
        page.wait_for_selector(f"{entry} >> text={t('Lifted', lang)}")
        extra, internal = overflow_and_internal_words(page)
        assert (lang, extra, internal) == (lang, 0, [])
        page.screenshot(path=str(tmp_path / f"refusals-{lang}.png"), full_page=True)


def _kids(page, status: str) -> list[str]:
    return page.eval_on_selector_all(
        f"[data-testid=signing-key][data-status={status}]",
        "els => els.map(e => e.dataset.kid)",
    )


def test_the_admin_rotates_and_revokes_a_key_it_made(page, app, tmp_path):
    _admin(page, app)
    page.goto(app.url + "/admin/keys")
    hydrated(page)
    page.wait_for_selector("[data-testid=signing-key][data-status=active]")
    (demo_kid,) = _kids(page, "active")
    for _ in range(2):  # the second rotation retires a key that signed nothing
        before = _kids(page, "active")
        page.click("[data-testid=key-rotate]")
        page.click("[data-testid=rotate-confirm]")
        page.wait_for_function(
            "(old) => { const a = document.querySelector("
            "'[data-testid=signing-key][data-status=active]'); return a && a.dataset.kid !== old }",
            arg=before[0],
        )
    (made,) = [k for k in _kids(page, "retired") if k != demo_kid]
    key = f"[data-testid=signing-key][data-kid='{made}']"
    assert page.inner_text(f"{key} [data-testid=key-signed]").endswith(": 0")
    page.click(f"{key} [data-testid=key-revoke]")
    assert page.inner_text("[data-testid=revoke-count]") == "0"
    page.fill("[data-testid=revoke-typed]", made[:-1])
    page.click("[data-testid=revoke-confirm]")
    page.wait_for_selector("[data-testid=revoke-error]")
    page.screenshot(path=str(tmp_path / "revoke-dialog-en.png"))
    page.fill("[data-testid=revoke-typed]", made)
    page.click("[data-testid=revoke-confirm]")
    page.wait_for_selector(f"[data-testid=signing-key][data-kid='{made}'][data-status=revoked]")
    assert demo_kid in _kids(page, "retired")  # the demo permits keep verifying
    with page.expect_download() as download:
        page.click("[data-testid=trust-list-export]")
    text = download.value.path().read_text()
    assert made in text and "private" not in text.lower()
    for lang in LANGUAGES:
        page.select_option("[data-testid=language]", lang)
        page.wait_for_selector(f"text={t('Rotate key', lang)}")
        extra, internal = overflow_and_internal_words(page)
        assert (lang, extra, internal) == (lang, 0, [])
        page.screenshot(path=str(tmp_path / f"keys-{lang}.png"), full_page=True)
