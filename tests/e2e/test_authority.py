"""The authority portal end to end: resident → application → approval → card → revocation,
and the officer's check of that permit afterwards."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
import sqlalchemy as sa
from playwright.sync_api import Error as PlaywrightError

from lbt_app.core.imaging import decode_image
from lbt_app.core.verdict import Code
from lbt_app.states.applications import ApplicationsState
from lbt_app.states.desk import AuthorityState
from tests.e2e.conftest import (
    assess_as_the_app,
    audit_details,
    capture_sockets,
    choose_language,
    forge_event,
    hydrated,
    permit_field,
    sign_in,
    sign_in_as_officer,
    verdict_of,
    wait_until,
)
from tests.e2e.test_residents import apply_and_approve, new_resident, open_registry

pytestmark = pytest.mark.browser


def _card_text(path) -> tuple[str, str]:
    """The card's text and the QR read back from the page rendered at 200 dpi."""
    (card,) = list(pdfium.PdfDocument(path.read_bytes()))
    image = path.with_suffix(".png")
    card.render(scale=200 / 72).to_pil().save(image)
    return card.get_textpage().get_text_range(), decode_image(image.read_bytes()).text or ""


def test_resident_to_permit_to_card_to_revocation_and_the_officer_sees_it(
    page, browser, app, tmp_path, monkeypatch
):
    open_registry(page, app)
    new_resident(page, "E2E20001", "Назарова", "Мадина", "NAZAROVA MADINA")
    apply_and_approve(page, "E2E20001")

    page.click("[data-testid=nav-desk]")
    page.wait_for_url("**/authority")
    new_row = page.locator("[data-testid=permit-row]:has-text('NAZAROVA MADINA')")
    new_row.wait_for()
    number = new_row.get_attribute("data-number")
    with page.expect_download() as download:
        new_row.locator("[data-testid=print-card]").click()
    path = tmp_path / "card.pdf"
    download.value.save_as(path)
    text, qr = _card_text(path)
    assert number in text and "NAZAROVA MADINA" in text and "Назарова Мадина" in text
    check = assess_as_the_app(app, qr, "FOTEHOBOD", monkeypatch)
    assert check.verdict.code is Code.VALID and check.permit.number == number

    new_row.locator("[data-testid=revoke]").click()
    page.fill("[data-testid=change-reason]", "Moved away from the border area")
    page.click("[data-testid=change-submit]")
    page.wait_for_selector("text=Saved.")

    officer = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    officer_page = officer.new_page()
    sign_in_as_officer(officer_page, app)
    officer_page.fill("[data-testid=manual-number]", number)
    officer_page.click("[data-testid=manual-check]")
    assert verdict_of(officer_page)[:2] == ("INVALID", "revoked")
    officer.close()


def test_a_permit_card_downloads_and_its_printed_qr_reads_back(page, app, tmp_path):
    sign_in(page, app, "staff", "staff-demo-2026")
    page.wait_for_url("**/authority")
    hydrated(page)
    number = permit_field(app, "RAHIMOV")
    row = page.locator(f"[data-testid=permit-row][data-number='{number}']")
    with page.expect_download() as download:
        row.locator("[data-testid=print-card]").click()
    assert download.value.suggested_filename == f"permit-{number}.pdf"
    path = tmp_path / "card.pdf"
    download.value.save_as(path)
    text, qr = _card_text(path)
    assert "RAHIMOV" in text and qr == permit_field(app, "RAHIMOV", "payload")


PRINTING = {
    "en": "Printing card",
    "ru": "Печать карточки",
    "tg": "Чопи корти",
    "uz": "Karta chop etilmoqda",
    "ky": "Карточка басылууда",
}


@pytest.mark.parametrize("lang", list(PRINTING))
def test_printing_all_cards_shows_its_progress_and_downloads_the_batch(page, app, tmp_path, lang):
    """The batch renders in the background: the desk says how far it is (in the staff
    member's language, within a 360 px screen), the buttons wait, then the PDF arrives."""
    choose_language(page, app, lang)
    sign_in(page, app, "staff", "staff-demo-2026")
    page.wait_for_url("**/authority")
    hydrated(page)
    page.locator("[data-testid=permit-row]").first.wait_for()  # the desk's list has loaded
    progress = page.locator("[data-testid=print-progress]")
    with page.expect_download(timeout=120_000) as download:
        page.click("[data-testid=print-all-cards]")
        # The demo's eight cards may be done before the page is looked at on a quiet machine
        # (the progress itself is tested in tests/app/test_off_the_loop.py); while it shows,
        # it speaks the staff member's language, the buttons wait and the page fits.
        try:
            progress.wait_for(timeout=5_000)
            shown = progress.inner_text()
            waiting = page.locator("[data-testid=print-all-cards]").is_disabled()
            extra = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            page.screenshot(path=tmp_path / f"desk-printing-{lang}.png")
        except PlaywrightError:
            shown, waiting, extra = "", True, 0
        assert shown == "" or PRINTING[lang] in shown, shown
        assert waiting and extra <= 0
    assert download.value.suggested_filename == "permit-cards.pdf"
    path = tmp_path / "cards.pdf"
    download.value.save_as(path)
    assert len(pdfium.PdfDocument(path.read_bytes())) >= 2
    progress.wait_for(state="detached")
    assert page.locator("[data-testid=print-all-cards]").is_enabled()


@pytest.mark.parametrize(("user", "path"), [("officer2", "/officer"), ("gulnora", "/wallet")])
def test_forged_approve_and_revoke_from_other_roles_change_nothing(page, app, user, path):
    with app.engine().connect() as conn:
        pending = (
            conn.execute(
                sa.text("SELECT id FROM application WHERE status = 'submitted' ORDER BY id")
            )
            .scalars()
            .all()
        )
    number = permit_field(app, "YUSUPOVA")
    denied = len(audit_details(app, "access_denied"))
    sockets = capture_sockets(page)
    sign_in(page, app, user, f"{user}-demo-2026")
    page.wait_for_url(f"**{path}")
    hydrated(page)
    forge_event(sockets, f"{ApplicationsState.get_full_name()}.approve", {}, path)
    name = AuthorityState.get_full_name()
    forge_event(sockets, f"{name}.ask_change", {"number": number, "action": "revoke"}, path)
    forge_event(sockets, f"{name}.change_status", {"form": {"reason": "x"}}, path)
    assert wait_until(page, lambda: len(audit_details(app, "access_denied")) >= denied + 2)
    with app.engine().connect() as conn:
        still = (
            conn.execute(
                sa.text("SELECT id FROM application WHERE status = 'submitted' ORDER BY id")
            )
            .scalars()
            .all()
        )
        status = conn.execute(
            sa.text("SELECT status FROM permit WHERE number = :n"), {"n": number}
        ).scalar_one()
    assert still == pending and status == "active"


def test_bulk_approval_issues_every_ticked_application_with_progress(page, app):
    sign_in(page, app, "staff", "staff-demo-2026")
    page.wait_for_url("**/authority")
    hydrated(page)
    page.click("[data-testid=nav-applications]")
    page.wait_for_selector("[data-testid=application-row]")
    rows = page.locator("[data-testid=application-row]")
    ticked = 0
    for i in range(rows.count()):
        pick = rows.nth(i).locator("[data-testid=application-pick]")
        if pick.is_enabled():
            pick.click()
            ticked += 1
    assert ticked >= 1
    page.click("[data-testid=approve-picked]")
    page.wait_for_selector(
        f"[data-testid=bulk-summary]:has-text('Permits issued: {ticked}. Not issued: 0.')"
    )
    with app.engine().connect() as conn:
        davlat = conn.execute(
            sa.text(
                "SELECT a.status FROM application a JOIN resident r ON r.id = a.resident_id "
                "WHERE r.surname_latin = 'SHARIPOV'"
            )
        ).scalar_one()
    assert davlat == "approved"
