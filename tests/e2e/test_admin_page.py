"""The administrator's page on a 360-pixel phone in every language."""

from __future__ import annotations

import pytest

from lbt_app.i18n import LANGUAGES, t
from tests.e2e.conftest import PHONE_360, hydrated, overflow_and_internal_words, sign_in

pytestmark = pytest.mark.browser


def test_the_admin_page_fits_and_speaks_every_language(page, app, tmp_path):
    page.set_viewport_size(PHONE_360)
    sign_in(page, app, "admin", "admin-demo-2026")
    page.wait_for_url("**/admin")
    hydrated(page)
    page.click("[data-testid=audit-chain-check]")
    page.wait_for_selector("[data-testid=audit-chain][data-chain=intact]")
    for lang in LANGUAGES:
        page.select_option("[data-testid=language]", lang)
        page.wait_for_selector(f"text={t('Administration', lang)}")
        page.wait_for_selector(f"text={t('Check now', lang)}")
        extra, internal = overflow_and_internal_words(page)
        assert (lang, extra, internal) == (lang, 0, [])
        page.screenshot(path=str(tmp_path / f"admin-{lang}.png"), full_page=True)
