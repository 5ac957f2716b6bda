"""Sign-out on a shared device: nothing of the previous user stays, in the browser or the tab's
server-side state, and the resident's copied wallet secret stops making valid codes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.e2e.conftest import hydrated, sign_in

pytestmark = pytest.mark.browser


def _sealed_secret(app, username: str) -> bytes:
    with app.engine().connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT w.secret_sealed FROM walletsecret w JOIN "
                '"user" u ON u.resident_id = w.resident_id WHERE u.username = :u'
            ),
            {"u": username},
        ).scalar_one()


def _frames_received(page) -> list[str]:
    """Every websocket frame the page receives from now on."""
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(str(f))))
    return frames


def _sign_out(page) -> None:
    page.click("[data-testid=sign-out]")
    page.wait_for_selector("[data-testid=sign-in]")


def test_a_resident_signing_out_leaves_no_permit_or_secret_behind(page, app):
    sign_in(page, app, "farhod", "farhod-demo-2026")
    page.wait_for_url("**/wallet")
    hydrated(page)
    page.wait_for_function("localStorage.getItem('lbt_wallet')?.includes('LBT1:')")
    before = _sealed_secret(app, "farhod")
    page.evaluate("localStorage.setItem('lbt_lang', 'en')")
    _sign_out(page)
    page.wait_for_function("localStorage.getItem('lbt_wallet') === null")
    stored = page.evaluate("Object.keys(localStorage)")
    assert stored == ["lbt_lang"]  # the session token and the permit are gone
    assert page.evaluate("sessionStorage.length") == 0
    assert _sealed_secret(app, "farhod") != before
    # the offline page has nothing to draw: no live QR for whoever picks up the phone
    page.goto(app.url + "/wallet-offline.html")
    page.wait_for_selector("[data-testid=offline-empty]", state="visible")
    assert page.is_hidden("[data-testid=offline-wallet]")


def test_the_next_user_of_an_office_computer_sees_nothing_of_the_previous(page, app):
    sign_in(page, app, "staff", "staff-demo-2026")
    page.wait_for_url("**/authority")
    hydrated(page)
    page.goto(app.url + "/authority/residents")
    hydrated(page)
    with app.engine().connect() as conn:
        document = conn.execute(
            sa.text("SELECT document_number FROM resident WHERE surname_latin = 'RAHIMOV'")
        ).scalar_one()
    page.fill("[data-testid=resident-search]", document)
    page.press("[data-testid=resident-search]", "Enter")
    page.click(f"[data-testid=resident-row][data-document={document}]")
    page.wait_for_selector("[data-testid=file-latin]:has-text('RAHIMOV')")
    _sign_out(page)
    frames = _frames_received(page)
    # the tab asks for every page again: the server has nothing of the staff member to send
    for path in ("/authority/residents", "/authority", "/wallet", "/"):
        page.goto(app.url + path)
        hydrated(page)
    sign_in(page, app, "gulnora", "gulnora-demo-2026")
    page.wait_for_url("**/wallet")
    hydrated(page)
    page.wait_for_timeout(500)
    assert frames, "no websocket traffic was seen"
    leaked = [f for f in frames if "RAHIMOV" in f or document in f]
    assert leaked == []
    assert "RAHIMOV" not in page.inner_text("body")
