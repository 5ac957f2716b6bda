"""The live scanner with Chromium's fake camera playing a video of a permit QR code.

Each video is a .y4m file made from a demo permit's signed payload (tests/e2e/camera.py);
Chromium loops it as the camera of a phone-sized page.
"""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from lbt_app.states.officer import OfficerState
from tests.e2e.camera import empty_scene, qr_scene, write_y4m
from tests.e2e.conftest import (
    audit_details,
    capture_sockets,
    crossings_of,
    forge_event,
    hydrated,
    permit_field,
    sign_in,
    sign_in_as_officer,
    verdict_of,
    wait_until,
)

pytestmark = pytest.mark.browser

# Records what the verdict cue asked the phone to do.
RECORD_VIBRATIONS = (
    "window.__vibrations = []; navigator.vibrate = (p) => { __vibrations.push(p); return true; };"
)


def _video(tmp_path, app, surname: str, *, dark: bool = False):
    text = permit_field(app, surname, "payload")
    return write_y4m(tmp_path / f"{surname}-{dark}.y4m", [(qr_scene(text, dark=dark), 2.0)])


def _scan(page) -> None:
    page.click("[data-testid=scan-start]")
    page.wait_for_selector("[data-testid=scanner]")


def test_live_scan_valid_then_entry_then_already_inside(camera, app, tmp_path):
    page = camera(_video(tmp_path, app, "ABDURAHMONZODA"))
    page.add_init_script(RECORD_VIBRATIONS)
    sign_in_as_officer(page, app)
    _scan(page)
    assert verdict_of(page) == ("VALID", "valid", "camera")
    assert page.locator("[data-testid=scanner]").count() == 0  # the camera closed
    assert page.locator("[data-testid=holder-photo]").count() == 1
    assert page.evaluate("window.__vibrations") == [[120]]
    page.click("[data-testid=record-entry]")
    page.wait_for_selector("[data-testid=recorded]")
    assert crossings_of(app, "ABDURAHMONZODA") == [("entry", False)]
    page.click("[data-testid=scan-next]")  # back to the camera in one tap, same card in view
    assert verdict_of(page, after=1) == ("CHECK", "already_inside", "camera")
    assert page.evaluate("window.__vibrations") == [[120], [120, 80, 120]]
    assert len(crossings_of(app, "ABDURAHMONZODA")) == 1


def test_the_decoder_is_loaded_before_the_first_tap(camera, app, tmp_path):
    page = camera(_video(tmp_path, app, "KARIMOVA"))
    wasm = []
    page.on("response", lambda r: r.url.endswith(".wasm") and wasm.append(r))
    sign_in_as_officer(page, app)
    ready = "performance.getEntriesByName('lbt:decoder-ready').length > 0"
    assert wait_until(page, lambda: page.evaluate(ready), 30)  # fetched and compiled
    assert page.locator("[data-testid=scanner]").count() == 0  # nobody tapped
    [response] = wasm
    assert response.headers["content-type"] == "application/wasm"
    assert response.headers["content-encoding"] in ("br", "gzip")
    fetched = "performance.getEntriesByType('resource').filter(e => e.name.endsWith('.wasm'))"
    [entry] = page.evaluate(f"{fetched}.map(e => [e.encodedBodySize, e.decodedBodySize])")
    assert entry[0] < entry[1] / 2  # it travelled compressed
    _scan(page)  # the tap finds it ready: nothing fetched again, the code read
    assert verdict_of(page)[2] == "camera"
    assert len(wasm) == 1


def test_revoked_permit_is_invalid_with_the_reason(camera, app, tmp_path):
    page = camera(_video(tmp_path, app, "GHAFUROVA"))
    page.add_init_script(RECORD_VIBRATIONS)
    sign_in_as_officer(page, app)
    _scan(page)
    assert verdict_of(page)[:2] == ("INVALID", "revoked")
    assert "revoked" in page.inner_text("[data-testid=verdict-reason]")
    assert page.evaluate("window.__vibrations") == [[400, 100, 400]]
    checks = len(audit_details(app, "permit_checked"))
    page.click("[data-testid=scan-next]")  # nothing decided, the same card still in view:
    page.wait_for_selector("[data-testid=scanner]")
    page.wait_for_timeout(2500)  # read again at once, yet the same scan, not a second one
    assert page.locator("[data-testid=verdict]").count() == 0
    assert page.locator("[data-testid=scanner]").count() == 1
    assert len(audit_details(app, "permit_checked")) == checks


def test_permit_not_allowed_at_this_crossing_point_is_invalid(camera, app, tmp_path):
    page = camera(_video(tmp_path, app, "KARIMOVA"))  # Fotehobod only; officer2 is at Patar
    sign_in_as_officer(page, app, "officer2")
    _scan(page)
    assert verdict_of(page) == ("INVALID", "crossing_point_not_allowed", "camera")


def test_a_light_on_dark_code_reads(camera, app, tmp_path):
    page = camera(_video(tmp_path, app, "KARIMOVA", dark=True))  # a phone in dark mode
    sign_in_as_officer(page, app)
    _scan(page)
    assert verdict_of(page) == ("VALID", "valid", "camera")
    assert "KARIMOVA" in page.inner_text("[data-testid=holder-latin]")


def test_a_picture_without_a_code_keeps_scanning_quietly(camera, app, tmp_path):
    page = camera(write_y4m(tmp_path / "empty.y4m", [(empty_scene(), 2.0)]))
    sent: list[str] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda p: sent.append(str(p))))
    sign_in_as_officer(page, app)
    _scan(page)
    page.wait_for_selector("[data-testid=scanner][data-mode=browser]")
    # After a few seconds without a code the browser asks the server for a second opinion too.
    assert wait_until(page, lambda: any(".frame" in f for f in sent), seconds=15)
    page.wait_for_timeout(1500)
    assert page.locator("[data-testid=scanner]").count() == 1
    assert "Point the camera" in page.inner_text("[data-testid=scanner-status]")
    assert page.locator("[data-testid=verdict]").count() == 0
    assert page.locator("[data-sonner-toast]").count() == 0  # no error shown
    page.click("[data-testid=scan-close]")
    page.wait_for_selector("[data-testid=scanner]", state="detached")


def test_frames_go_to_the_server_where_the_decoder_cannot_load(camera, app, tmp_path):
    page = camera(_video(tmp_path, app, "HASANOV"))
    page.route("**/*.wasm", lambda route: route.abort())  # no WebAssembly decoder
    sign_in_as_officer(page, app)
    _scan(page)
    assert verdict_of(page, timeout=30_000) == ("INVALID", "expired", "frame")
    assert audit_details(app, "permit_checked")[-1]["source"] == "frame"


def _jpeg(image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _upload(page, name: str, data: bytes, mime: str = "image/jpeg") -> None:
    upload = {"name": name, "mimeType": mime, "buffer": data}
    page.set_input_files("input[type=file]", files=[upload])


@pytest.mark.parametrize(
    ("surname", "expected"),
    [
        ("KARIMOVA", ("VALID", "valid")),
        ("QODIROV", ("INVALID", "suspended")),
        ("HASANOV", ("INVALID", "expired")),
    ],
)
def test_the_photo_and_the_typed_number_reach_the_same_verdict(page, app, surname, expected):
    sign_in_as_officer(page, app)
    text = permit_field(app, surname, "payload")
    _upload(page, "permit.jpg", _jpeg(qr_scene(text, module_px=5)))
    assert verdict_of(page) == (*expected, "photo")
    page.click("[data-testid=verdict-close]")
    page.fill("[data-testid=manual-number]", permit_field(app, surname))
    page.click("[data-testid=manual-check]")
    assert verdict_of(page, after=1) == (*expected, "manual")


def test_bad_photos_get_a_clear_message_and_no_verdict(page, app):
    sign_in_as_officer(page, app)
    checked = len(audit_details(app, "permit_checked"))
    _upload(page, "desk.jpg", _jpeg(empty_scene()))
    page.wait_for_selector("text=No QR code was found in the image.")
    _upload(page, "notes.jpg", b"this is not a picture at all")
    page.wait_for_selector("text=The file is not an image.")
    assert page.locator("[data-testid=verdict]").count() == 0
    assert len(audit_details(app, "permit_checked")) == checked


def _choose(page, how: str, name: str, data: bytes, mime: str = "image/jpeg") -> None:
    """A file chosen in the system's picker, opened by a tap on the photo button or a key;
    on a phone the picker is the back camera (`capture`), not the gallery."""
    button = page.get_by_role("button", name="Take a photo")
    assert page.get_attribute("input[type=file]", "capture") == "environment"
    with page.expect_file_chooser() as chooser:
        if how == "tap":
            button.click()
        else:
            button.focus()
            page.keyboard.press(how)
    chooser.value.set_files(files=[{"name": name, "mimeType": mime, "buffer": data}])


def test_a_refused_photo_never_travels_and_the_same_photo_goes_twice(page, app):
    sign_in_as_officer(page, app)
    sent: list[str] = []
    page.on("request", lambda r: "/_upload" in r.url and sent.append(r.url))
    _choose(page, "tap", "huge.jpg", b"\xff\xd8" + b"\0" * (30 * 1024 * 1024))  # 30 MB
    page.wait_for_selector("text=The file is too large.")
    _choose(page, "Enter", "permit.pdf", b"%PDF-1.4 x", "application/pdf")
    page.wait_for_selector("text=This kind of file is not accepted here.")
    assert sent == []
    photo = _jpeg(qr_scene(permit_field(app, "KARIMOVA", "payload"), module_px=5))
    _choose(page, "Space", "permit.jpg", photo)
    assert verdict_of(page) == ("VALID", "valid", "photo")
    # emptied once the photo went: the same photo, chosen again, is a change again
    assert page.eval_on_selector("input[type=file]", "input => input.value") == ""
    page.click("[data-testid=verdict-close]")
    with page.expect_request("**/_upload"):  # (the verdict is not shown again: the same scan)
        _choose(page, "tap", "permit.jpg", photo)
    assert len(sent) == 2


def test_a_forged_record_crossing_from_a_resident_records_nothing(page, app):
    before = crossings_of(app, "RAHIMOV")
    denied = len(audit_details(app, "access_denied"))
    sockets = capture_sockets(page)
    sign_in(page, app, "farhod", "farhod-demo-2026")
    page.wait_for_url("**/wallet")
    hydrated(page)
    name = OfficerState.get_full_name()
    text = permit_field(app, "RAHIMOV", "payload")
    forge_event(sockets, f"{name}.scanned", {"text": text, "sent_at": 0}, "/wallet")
    forge_event(sockets, f"{name}.record_crossing", {"direction": "entry"}, "/wallet")
    assert wait_until(page, lambda: len(audit_details(app, "access_denied")) >= denied + 2)
    assert crossings_of(app, "RAHIMOV") == before
    # (counts of earlier refusals, folded, may be written along: they are not these two)
    denials = audit_details(app, "access_denied")[denied:]
    assert [d["handler"] for d in denials if "repeated" not in d] == [name, name]
    with app.engine().connect() as conn:
        actors = conn.execute(
            sa.text("SELECT actor FROM auditevent WHERE action = 'permit_checked'")
        ).scalars()
        assert "farhod" not in set(actors)
