"""The officer checks permits by number and records a crossing, in a phone-sized Chromium."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser


def _number(app, surname: str) -> str:
    with app.engine().connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT p.number FROM permit p JOIN resident r ON r.id = p.resident_id "
                "WHERE r.surname_latin = :s ORDER BY p.id LIMIT 1"
            ),
            {"s": surname},
        ).scalar_one()


def _check(page, number: str):
    page.fill("[data-testid=manual-number]", number)
    page.click("[data-testid=manual-check]")
    return page.wait_for_selector("[data-testid=verdict][data-verdict]:not([data-verdict=''])")


def test_valid_then_entry_recorded_then_already_inside(page, app):
    sign_in(page, app, "officer1", "officer1-demo-2026")
    page.wait_for_url("**/officer")
    verdict = _check(page, _number(app, "YUSUPOVA"))
    assert verdict.get_attribute("data-verdict") == "VALID"
    assert page.locator("[data-testid=holder-photo]").count() == 1
    assert "YUSUPOVA" in page.inner_text("[data-testid=holder-latin]")
    page.click("[data-testid=record-entry]")
    page.wait_for_selector("text=Crossing recorded.")
    with app.engine().connect() as conn:
        crossings = conn.execute(
            sa.text(
                "SELECT c.direction, c.manual FROM crossing c JOIN permit p ON p.id = c.permit_id "
                "WHERE p.number = :n"
            ),
            {"n": _number(app, "YUSUPOVA")},
        ).all()
    assert [(d, bool(m)) for d, m in crossings] == [("entry", True)]
    page.click("[data-testid=scan-next]")
    verdict = _check(page, _number(app, "YUSUPOVA"))
    assert verdict.get_attribute("data-verdict") == "CHECK"
    assert verdict.get_attribute("data-code") == "already_inside"


def test_revoked_and_wrong_crossing_point_are_invalid_with_the_reason(page, app):
    sign_in(page, app, "officer2", "officer2-demo-2026")
    page.wait_for_url("**/officer")
    verdict = _check(page, _number(app, "GHAFUROVA"))
    assert verdict.get_attribute("data-verdict") == "INVALID"
    assert "revoked" in page.inner_text("[data-testid=verdict-reason]")
    page.click("[data-testid=scan-next]")
    verdict = _check(page, _number(app, "KARIMOVA"))  # allowed at Fotehobod only
    assert verdict.get_attribute("data-code") == "crossing_point_not_allowed"
    assert verdict.get_attribute("data-verdict") == "INVALID"
