"""The resident's wallet: the live QR reads at the officer's camera; a stale copy does not."""

from __future__ import annotations

import base64
import io
import json
from datetime import timedelta

import pytest
from PIL import Image

from lbt_app.core import live
from lbt_app.core.qr import render_png
from lbt_app.core.verdict import Code
from lbt_app.db.types import utcnow
from tests.e2e.camera import SIZE, write_y4m
from tests.e2e.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MOBILE,
    assess_as_the_app,
    hydrated,
    sign_in,
    sign_in_as_officer,
    verdict_of,
)

pytestmark = pytest.mark.browser


def _scene(qr: Image.Image) -> Image.Image:
    """The phone screen held up to the officer's camera."""
    scene = Image.new("RGB", SIZE, (110, 110, 105))
    qr = qr.convert("RGB")
    qr.thumbnail((SIZE[1] - 40, SIZE[1] - 40))
    scene.paste(qr, ((SIZE[0] - qr.width) // 2, (SIZE[1] - qr.height) // 2))
    return scene


def _open_wallet(page, app) -> dict:
    sign_in(page, app, "farhod", "farhod-demo-2026")
    page.wait_for_url("**/wallet")
    hydrated(page)
    page.wait_for_function(
        "document.querySelector('[data-testid=wallet-qr]')?.dataset.text?.startsWith('LBTL:')"
    )
    return json.loads(page.evaluate("localStorage.getItem('lbt_wallet')"))


def test_the_wallet_qr_is_live_and_a_two_minute_old_copy_is_a_static_copy(
    page, camera, app, tmp_path
):
    stored = _open_wallet(page, app)
    assert stored["number"] and stored["payload"].startswith("LBT1:") and stored["secret"]
    assert page.locator("[data-testid=wallet-permit]").get_attribute("data-status") == "active"
    shot = page.locator("[data-testid=wallet-qr]").screenshot()
    video = write_y4m(tmp_path / "wallet.y4m", [(_scene(Image.open(io.BytesIO(shot))), 2.0)])
    officer = camera(video)
    sign_in_as_officer(officer, app)
    officer.click("[data-testid=scan-start]")
    assert verdict_of(officer) == ("VALID", "valid", "camera")

    # The same wallet's QR as it was two minutes ago: a screenshot passed on.
    secret = base64.b64decode(stored["secret"])
    old = live.live_text(stored["payload"], secret, utcnow() - timedelta(minutes=2))
    stale = Image.open(io.BytesIO(render_png(old, box_size=5)))
    video = write_y4m(tmp_path / "stale.y4m", [(_scene(stale), 2.0)])
    officer = camera(video)
    sign_in_as_officer(officer, app)
    officer.click("[data-testid=scan-start]")
    assert verdict_of(officer) == ("CHECK", "static_copy", "camera")
    assert "copy" in officer.inner_text("[data-testid=verdict-reason]")


def test_a_tap_shows_the_qr_full_screen_with_a_brightness_hint(page, app):
    _open_wallet(page, app)
    page.click("[data-testid=wallet-qr]")
    full = page.wait_for_selector("[data-testid=wallet-qr-full]")
    assert "brightness" in full.inner_text()
    page.click("[data-testid=wallet-qr-full]")
    page.wait_for_selector("[data-testid=wallet-qr-full]", state="detached")


def test_after_one_visit_the_wallet_opens_offline_and_its_qr_still_verifies(page, app, monkeypatch):
    _open_wallet(page, app)
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30_000)
    page.context.set_offline(True)
    try:
        page.goto(app.url + "/wallet")
        page.wait_for_selector("[data-testid=offline-wallet]")
        page.wait_for_function(
            "document.querySelector('[data-testid=wallet-qr]').dataset.text?.startsWith('LBTL:')"
        )
        text = page.get_attribute("[data-testid=wallet-qr]", "data-text")
        assert "RAHIMOV" in page.inner_text("[data-testid=offline-wallet]")
        assert page.inner_text("[data-testid=offline-refreshed]").strip()
    finally:
        page.context.set_offline(False)
    check = assess_as_the_app(app, text, "FOTEHOBOD", monkeypatch)
    assert check.verdict.code is Code.VALID


def test_chromium_finds_the_app_installable(playwright, app, tmp_path):
    # A normal (not incognito) profile, as a phone's browser has: installability needs one.
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        viewport=MOBILE,
        is_mobile=True,
        has_touch=True,
    )
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        _open_wallet(page, app)
        page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30_000)
        cdp = context.new_cdp_session(page)
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["url"].endswith("/manifest.json") and not manifest["errors"]
    finally:
        context.close()
