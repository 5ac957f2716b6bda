"""The officer types permit numbers, records, refuses and reports, in a phone-sized Chromium."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from lbt_app.i18n import LANGUAGES, t
from tests.core.test_imaging import two_codes
from tests.e2e.conftest import (
    PHONE_360,
    crossings_of,
    hydrated,
    overflow_and_internal_words,
    permit_field,
    sign_in_as_officer,
    verdict_of,
    verdicts_shown,
)

pytestmark = pytest.mark.browser


def _check(page, number: str) -> tuple[str, str, str]:
    shown = verdicts_shown(page)
    page.fill("[data-testid=manual-number]", number)
    page.click("[data-testid=manual-check]")
    return verdict_of(page, after=shown)


def _heading_in_view(page) -> str:
    heading = page.locator("[data-testid=verdict-heading]")
    expect(heading).to_be_in_viewport()
    return heading.inner_text()


def test_valid_then_entry_recorded_then_already_inside(page, app):
    sign_in_as_officer(page, app)
    number = permit_field(app, "YUSUPOVA")
    assert _check(page, number) == ("VALID", "valid", "manual")
    assert page.locator("[data-testid=holder-photo]").count() == 1
    # the photo comes by its own address (services/photos.py), and it arrives
    assert page.get_attribute("[data-testid=holder-photo]", "src").startswith("/photo/")
    page.wait_for_function("document.querySelector('[data-testid=holder-photo]').naturalWidth > 0")
    assert "YUSUPOVA" in page.inner_text("[data-testid=holder-latin]")
    page.click("[data-testid=record-entry]")
    page.wait_for_selector("[data-testid=recorded]")
    assert crossings_of(app, "YUSUPOVA") == [("entry", True)]
    page.click("[data-testid=verdict-close]")
    assert _check(page, number) == ("CHECK", "already_inside", "manual")
    assert page.locator("[data-testid=stay]").count() == 1


def test_a_message_shows_at_the_top_clear_of_the_buttons(page, app):
    """Messages (toasts) came up at the bottom of the phone, over the form's buttons; then
    at the very top, over the header's sign-out button; then under it, over the desk's links
    (a tap there hit the message)."""
    sign_in_as_officer(page, app)
    page.click("[data-testid=manual-check]")  # no number typed
    toast = page.locator("[data-sonner-toast]", has_text="Type the permit number.")
    toast.wait_for()
    toast.evaluate("el => Promise.all(el.getAnimations().map(a => a.finished))")  # slid in
    box = toast.bounding_box()
    button = page.locator("[data-testid=manual-check]").bounding_box()
    assert box["y"] + box["height"] < page.viewport_size["height"] / 3
    assert box["y"] + box["height"] <= button["y"] or box["y"] >= button["y"] + button["height"]
    assert box["y"] >= page.locator("header").bounding_box()["height"]
    # a tap on the message goes to what is under it (there: the desk's links, the lane switch)
    centre = [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2]
    tapped = "([x, y]) => document.elementFromPoint(x, y).closest('[data-sonner-toast]')"
    assert page.evaluate(tapped, centre) is None
    page.click("[data-testid=sign-out]", timeout=3_000)  # while the message still shows
    page.wait_for_selector("[data-testid=sign-in]")


def test_revoked_and_wrong_crossing_point_are_invalid_with_the_reason(page, app):
    sign_in_as_officer(page, app, "officer2")
    assert _check(page, permit_field(app, "GHAFUROVA"))[:2] == ("INVALID", "revoked")
    assert "revoked" in page.inner_text("[data-testid=verdict-reason]")
    assert page.locator("[data-testid=record-entry], [data-testid=record-exit]").count() == 0
    page.click("[data-testid=verdict-close]")
    outcome, code, _ = _check(page, permit_field(app, "KARIMOVA"))  # allowed at Fotehobod only
    assert (outcome, code) == ("INVALID", "crossing_point_not_allowed")


def test_refuse_and_report_are_recorded_and_counted_in_the_shift(page, app):
    sign_in_as_officer(page, app, "officer2")
    assert _check(page, permit_field(app, "QODIROV"))[:2] == ("INVALID", "suspended")
    page.click("[data-testid=refuse]")
    page.select_option("[data-testid=refuse-reason]", "not_the_holder")
    page.click("[data-testid=refuse-submit]")
    page.wait_for_selector("[data-testid=verdict][data-tone=REFUSED]")
    assert page.locator("[data-testid=record-exit]").count() == 0
    page.click("[data-testid=report]")
    page.fill("[data-testid=report-note]", "Card handed over by another man")
    page.click("[data-testid=report-submit]")
    page.wait_for_selector("text=Report recorded.")
    number = permit_field(app, "QODIROV")
    with app.engine().connect() as conn:  # (other tests on this app report other permits)
        rows = conn.execute(
            sa.text(
                "SELECT action, actor, subject FROM auditevent "
                "WHERE action IN ('crossing_refused', 'misuse_reported') AND subject = :number "
                "ORDER BY seq"
            ),
            {"number": number},
        ).all()
    assert [tuple(r) for r in rows] == [
        ("crossing_refused", "officer2", number),
        ("misuse_reported", "officer2", number),
    ]
    page.click("[data-testid=verdict-close]")
    page.click("[data-testid=shift-toggle]")
    page.wait_for_selector("[data-testid=shift]")
    assert page.inner_text("[data-testid=shift-refused]") == "1"
    assert page.inner_text("[data-testid=shift-reported]") == "1"
    assert int(page.inner_text("[data-testid=shift-scans]")) >= 1
    assert number in page.inner_text("[data-testid=shift]")


def test_a_device_clock_five_minutes_off_is_pointed_out(page, app):
    page.add_init_script("{ const real = Date.now; Date.now = () => real() + 3600 * 1000; }")
    sign_in_as_officer(page, app)
    warning = page.wait_for_selector("[data-testid=clock-warning]")
    assert "60 minutes" in warning.inner_text()


# --- the officer's main jobs on a small phone, in every language -------------------------

# Boxes wider than the screen, text wider than its box (unless cut with an ellipsis), labels
# spilling out of their buttons (the verdict screen is a fixed layer of its own: the page's
# width does not show these).
SPILLS = """() => {
  const width = window.innerWidth, found = [];
  for (const el of document.querySelectorAll("[data-testid=officer-page] *")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (box.left < -1 || box.right > width + 1) found.push(el.tagName + ": " + el.innerText);
    if (el.clientWidth && el.scrollWidth > el.clientWidth + 1 && el.tagName !== "INPUT" &&
        getComputedStyle(el).textOverflow !== "ellipsis")  // cut short on purpose, visibly
      found.push("wider than its box: " + el.innerText);
    if (el.tagName === "BUTTON" && el.scrollHeight > el.clientHeight + 1)
      found.push("taller than its button: " + el.innerText);
  }
  return found;
}"""

# The lowest contrast of any text on the verdict screen with what is behind it (WCAG formula).
WORST_CONTRAST = """() => {
  const ctx = document.createElement("canvas").getContext("2d", { willReadFrequently: true });
  const rgba = (css) => {
    ctx.clearRect(0, 0, 1, 1); ctx.fillStyle = css; ctx.fillRect(0, 0, 1, 1);
    const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
    return [r, g, b, a / 255];
  };
  const over = (top, under) => top.slice(0, 3).map((v, i) => v * top[3] + under[i] * (1 - top[3]));
  const linear = (v) => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  const lum = (c) => c.map(linear).reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  let worst = { ratio: 99, text: "" };
  for (const el of document.querySelectorAll("[data-testid=verdict] *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length || el.closest("option, :disabled")) continue;
    const layers = [];
    for (let n = el; n; n = n.parentElement) {
      const bg = rgba(getComputedStyle(n).backgroundColor);
      if (bg[3] > 0) layers.push(bg);
      if (bg[3] >= 1) break;
    }
    const behind = layers.reverse().reduce((under, layer) => over(layer, under), [255, 255, 255]);
    const ink = over(rgba(getComputedStyle(el).color), behind);
    const [hi, lo] = [lum(ink), lum(behind)].sort((x, y) => y - x);
    const ratio = (hi + 0.05) / (lo + 0.05);
    if (ratio < worst.ratio) worst = { ratio, text: el.innerText };
  }
  return worst;
}"""


def _looks_right(page) -> None:
    """What every state of the page must be on a 360 px phone, in any language."""
    page.evaluate("document.fonts.ready.then(() => true)")  # laid out in its final font
    assert overflow_and_internal_words(page) == (0, [])
    assert page.evaluate(SPILLS) == []
    if page.locator("[data-testid=verdict]").count():
        expect(page.locator("[data-testid=verdict]")).to_be_in_viewport(ratio=1)
        worst = page.evaluate(WORST_CONTRAST)
        assert worst["ratio"] >= 4.5, worst


def _two_code_photo(text: str) -> bytes:
    out = io.BytesIO()
    two_codes("https://example.org/menu", text).save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_officers_main_jobs_on_a_small_phone_in_every_language(page, app, lang):
    page.set_viewport_size(PHONE_360)
    page.goto(app.url + "/")
    hydrated(page)
    page.select_option("[data-testid=language]", lang)
    page.wait_for_function("(lang) => localStorage.getItem('lbt_lang') === lang", arg=lang)
    sign_in_as_officer(page, app)
    _looks_right(page)
    number, text = permit_field(app, "KARIMOVA"), permit_field(app, "KARIMOVA", "payload")
    crossings = crossings_of(app, "KARIMOVA")

    # A typed number nobody has: readable, but not registered.
    assert _check(page, "ZZ99-999999") == ("INVALID", "not_registered", "manual")
    assert _heading_in_view(page) == t("INVALID", lang)
    reason = t("No permit with this number is registered.", lang)
    assert page.inner_text("[data-testid=verdict-reason]") == reason
    assert page.locator("[data-testid^=record-]").count() == 0
    _looks_right(page)
    page.click("[data-testid=verdict-close]")

    # A photo with the permit and another code: the permit is used, and the screen says so.
    shown = verdicts_shown(page)
    upload = {"name": "permit.jpg", "mimeType": "image/jpeg", "buffer": _two_code_photo(text)}
    page.set_input_files("input[type=file]", files=[upload])
    assert verdict_of(page, after=shown) == ("VALID", "valid", "photo")
    assert _heading_in_view(page) == t("VALID", lang)
    note = t("Several codes in the picture; the permit was used.", lang)
    assert page.inner_text("[data-testid=verdict-note]") == note
    assert page.locator("[data-testid=record-exit]").count() == 0
    _looks_right(page)
    page.click("[data-testid=record-entry]")
    assert page.inner_text("[data-testid=recorded]") == t("Entry recorded.", lang)
    _looks_right(page)
    page.click("[data-testid=verdict-close]")

    # Inside now: only the exit is offered (the lane still says entering).
    assert _check(page, number) == ("CHECK", "already_inside", "manual")
    assert _heading_in_view(page) == t("CHECK", lang)
    assert page.locator("[data-testid=record-entry]").count() == 0
    _looks_right(page)
    page.click("[data-testid=record-exit]")
    assert page.inner_text("[data-testid=recorded]") == t("Exit recorded.", lang)
    assert crossings_of(app, "KARIMOVA") == [*crossings, ("entry", False), ("exit", True)]
    page.click("[data-testid=verdict-close]")

    # Refused: no reason is chosen for the officer; then the screen says REFUSED, not VALID.
    assert _check(page, number)[:2] == ("VALID", "valid")
    page.click("[data-testid=refuse]")
    expect(page.locator("[data-testid=refuse-reason]")).to_be_in_viewport()
    assert page.input_value("[data-testid=refuse-reason]") == ""
    page.click("[data-testid=refuse-submit]")
    error = page.wait_for_selector("[data-testid=panel-error]")
    assert error.inner_text() == t("Choose a reason from the list.", lang)
    _looks_right(page)
    page.select_option("[data-testid=refuse-reason]", "other")
    page.click("[data-testid=refuse-submit]")
    page.wait_for_selector("[data-testid=verdict][data-tone=REFUSED]")
    assert _heading_in_view(page) == t("REFUSED", lang)  # the screen opens at its top again
    assert page.inner_text("[data-testid=verdict-reason]") == t("Other reason", lang)
    assert page.locator("[data-testid=scan-next]").is_enabled()
    assert page.locator("[data-testid=refuse], [data-testid^=record-]").count() == 0
    _looks_right(page)
    page.click("[data-testid=verdict-close]")

    # The shift: today's work, the typed number included.
    page.click("[data-testid=shift-toggle]")
    shift = page.wait_for_selector("[data-testid=shift]")
    assert number in shift.inner_text() and "ZZ99-999999" in shift.inner_text()
    assert int(page.inner_text("[data-testid=shift-refused]")) >= 1
    _looks_right(page)
