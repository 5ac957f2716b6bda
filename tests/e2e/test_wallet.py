"""The resident's wallet: the live QR reads at the officer's camera; a stale copy does not."""

from __future__ import annotations

import base64
import io
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image
from sqlmodel import Session, select

from lbt_app.core import imaging, live
from lbt_app.core.qr import render_png
from lbt_app.core.verdict import Code
from lbt_app.db.models import Application, Resident, User
from lbt_app.db.types import utcnow
from lbt_app.services.auth import principal_of
from tests.e2e.camera import SIZE, write_y4m
from tests.e2e.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MOBILE,
    _phone_page,
    approve_as_the_app,
    assess_as_the_app,
    audit_details,
    capture_sockets,
    forge_event,
    hydrated,
    offline_worker_active,
    permit_field,
    sign_in,
    sign_in_as_officer,
    verdict_of,
    wait_until,
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


def test_the_qr_is_drawn_again_only_when_its_code_moves_on(page, app):
    """The page asks for the QR every second; encoding it is a long task on a cheap phone, so
    the same code is not encoded and drawn again."""
    _open_wallet(page, app)
    page.evaluate(
        """() => {
        window.cellsDrawn = 0;
        const fill = CanvasRenderingContext2D.prototype.fillRect;
        CanvasRenderingContext2D.prototype.fillRect = function (...args) {
          window.cellsDrawn += 1;
          return fill.apply(this, args);
        };
        }"""
    )
    qr = "[data-testid=wallet-qr]"
    before = page.get_attribute(qr, "data-text")
    page.wait_for_timeout(3_500)
    drawn = page.evaluate("window.cellsDrawn")
    if page.get_attribute(qr, "data-text") == before:
        assert drawn == 0
    else:  # a 30-second step passed meanwhile: drawn once more
        assert drawn > 100


def test_a_worker_encodes_the_qr_and_the_page_only_draws_it(page, app):
    """Encoding tries eight mask patterns: one long task (~250 ms) on a cheap phone, which held
    the wallet page up. A worker encodes; the page never loads the encoder, and what it draws
    reads as the live text."""
    _open_wallet(page, app)
    qr = "[data-testid=wallet-qr]"
    assert page.evaluate("typeof window.qrcode") == "undefined"
    before = page.get_attribute(qr, "data-text")
    shot = page.locator(qr).screenshot()
    read = imaging.decode_image(shot).texts
    assert read in ((before,), (page.get_attribute(qr, "data-text"),))  # a step may pass


def test_a_reply_for_an_older_code_does_not_draw_over_a_newer_one(page, app):
    _open_wallet(page, app)
    texts = page.evaluate(
        """async () => {
        const canvas = document.createElement("canvas");
        const records = [];
        const observer = new MutationObserver((changes) => records.push(...changes));
        observer.observe(canvas, { attributeFilter: ["data-text"], attributeOldValue: true });
        const { drawQr } = window.LbtLiveQr;
        await Promise.all([drawQr(canvas, "LBT OLDER", 200), drawQr(canvas, "LBT NEWER", 200)]);
        records.push(...observer.takeRecords());
        // every text the canvas showed, in order
        return [...records.slice(1).map((r) => r.oldValue), canvas.dataset.text];
        }"""
    )
    assert texts == ["LBT NEWER"]


def test_when_the_qr_cannot_be_encoded_the_wallet_says_so_in_its_place(browser, app):
    # No service worker: it would answer from its cache what the route below refuses.
    page = _phone_page(browser, service_workers="block")
    try:
        page.route("**/live-qr-worker.js", lambda route: route.abort())
        sign_in(page, app, "farhod", "farhod-demo-2026")
        page.wait_for_url("**/wallet")
        hydrated(page)
        failed = "[data-testid=wallet-qr-failed]"
        page.wait_for_selector(failed)
        assert page.inner_text(failed) == "Something went wrong. Please try again."
        assert page.locator("[data-testid=wallet-qr]").count() == 0
        assert page.locator("[data-testid=wallet-qr-tap]").count() == 0  # no code to tap
        page.goto(app.url + "/wallet-offline.html")  # what the wallet saved, as offline
        page.wait_for_selector(failed)
        assert page.inner_text(failed) == "Something went wrong. Please try again."
        assert page.locator("[data-testid=wallet-qr]").is_hidden()
    finally:
        page.context.close()


def test_a_tap_shows_the_qr_full_screen_with_a_brightness_hint(page, app):
    _open_wallet(page, app)
    assert page.inner_text("[data-testid=wallet-qr-tap]") == "Tap the code to show it full screen."
    page.click("[data-testid=wallet-qr]")
    full = page.wait_for_selector("[data-testid=wallet-qr-full]")
    assert "brightness" in full.inner_text()
    page.click("[data-testid=wallet-qr-full]")
    page.wait_for_selector("[data-testid=wallet-qr-full]", state="detached")


def test_the_portrait_comes_by_its_own_address_not_inside_the_page_state(page, app):
    received: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: received.append(str(f))))
    _open_wallet(page, app)
    portrait = "[data-testid=wallet-photo]"
    assert page.get_attribute(portrait, "src").startswith("/photo/")
    page.wait_for_function(f"document.querySelector('{portrait}').naturalWidth > 0")
    assert received and not any("data:image" in frame for frame in received)


def test_after_one_visit_the_wallet_opens_offline_and_its_qr_still_verifies(page, app, monkeypatch):
    _open_wallet(page, app)
    offline_worker_active(page)
    page.context.set_offline(True)
    try:
        page.goto(app.url + "/wallet")
        page.wait_for_selector("[data-testid=offline-wallet]")
        page.wait_for_function(
            "document.querySelector('[data-testid=wallet-qr]').dataset.text?.startsWith('LBTL:')"
        )
        text = page.get_attribute("[data-testid=wallet-qr]", "data-text")
        assert page.evaluate("typeof window.qrcode") == "undefined"  # encoded by the worker
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
        offline_worker_active(page)
        cdp = context.new_cdp_session(page)
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["url"].endswith("/manifest.json") and not manifest["errors"]
    finally:
        context.close()


def _jpeg(size=(300, 400)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (180, 160, 150)).save(out, "JPEG")
    return out.getvalue()


def test_sign_up_apply_get_approved_and_carry_the_permit(page, app):
    page.goto(app.url + "/")
    hydrated(page)
    page.click("[data-testid=to-signup]")
    page.wait_for_url("**/signup")
    hydrated(page)
    page.fill("#signup-full_name", "Nilufar Saidova")
    page.fill("#signup-username", "+992900445566")
    page.fill("#signup-password", "border-2026-pass")
    page.fill("#signup-password_again", "border-2026-pass")
    page.click("[data-testid=sign-up]")
    page.wait_for_url("**/wallet")
    page.wait_for_selector("[data-testid=apply-form]")
    for name, value in {
        "surname_native": "Саидова",
        "given_names_native": "Нилуфар",
        "birth_date": "1985-05-05",
        "nationality": "TJK",
        "document_number": "E2E30001",
        "address": "Ғафуров, кӯчаи Исмоили Сомонӣ 1",
        "residence_since": "2001-01-01",
    }.items():
        page.fill(f"[data-testid=apply-{name}]", value)
    page.select_option("[data-testid=apply-sex]", "F")
    photo = {"name": "me.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}
    page.set_input_files("input[data-upload=apply-photo]", files=[photo])
    page.wait_for_selector("[data-testid=apply-form] img")
    proof = {"name": "proof.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 x"}
    page.set_input_files("input[data-upload=apply-proof]", files=[proof])
    page.wait_for_selector("[data-testid=apply-proof-name]:has-text('proof.pdf')")
    page.click("[data-testid=apply]")
    page.wait_for_selector("[data-testid=application-status][data-status=submitted]")
    assert page.locator("[data-testid=apply-form]").count() == 0

    # The authority approves (its portal has its own test); here through the service layer.
    with Session(app.engine()) as session:
        application_id = session.exec(
            select(Application.id)
            .join(Resident, Resident.id == Application.resident_id)
            .where(Resident.document_number == "E2E30001")
        ).one()
        staff = session.exec(select(User).where(User.username == "staff")).one()
        approve_as_the_app(app, session, principal_of(session=session, user=staff), application_id)
        session.commit()
    page.reload()
    hydrated(page)
    page.wait_for_function(
        "document.querySelector('[data-testid=wallet-qr]')?.dataset.text?.startsWith('LBTL:')"
    )
    assert "SAIDOVA NILUFAR" in page.inner_text("[data-testid=wallet-permit]")


def test_a_resident_cannot_reach_another_residents_data_by_forged_events(page, app):
    from lbt_app.states.desk import AuthorityState
    from lbt_app.states.residents import ResidentsState

    number = permit_field(app, "RAHIMOV")
    with app.engine().connect() as conn:
        farhod = conn.execute(
            sa.text("SELECT id FROM resident WHERE surname_latin = 'RAHIMOV'")
        ).scalar_one()
    denied = len(audit_details(app, "access_denied"))
    sockets = capture_sockets(page)
    sign_in(page, app, "gulnora", "gulnora-demo-2026")
    page.wait_for_url("**/wallet")
    hydrated(page)
    forge_event(
        sockets, f"{AuthorityState.get_full_name()}.open_permit", {"number": number}, "/wallet"
    )
    forge_event(
        sockets,
        f"{ResidentsState.get_full_name()}.open_resident",
        {"resident_id": str(farhod)},
        "/wallet",
    )
    assert wait_until(page, lambda: len(audit_details(app, "access_denied")) >= denied + 2)
    assert "RAHIMOV" not in page.content()
