"""The officer types permit numbers, records, refuses and reports, in a phone-sized Chromium."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.e2e.conftest import (
    crossings_of,
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


def test_valid_then_entry_recorded_then_already_inside(page, app):
    sign_in_as_officer(page, app)
    number = permit_field(app, "YUSUPOVA")
    assert _check(page, number) == ("VALID", "valid", "manual")
    assert page.locator("[data-testid=holder-photo]").count() == 1
    assert "YUSUPOVA" in page.inner_text("[data-testid=holder-latin]")
    page.click("[data-testid=record-entry]")
    page.wait_for_selector("text=Crossing recorded.")
    assert crossings_of(app, "YUSUPOVA") == [("entry", True)]
    page.click("[data-testid=verdict-close]")
    assert _check(page, number) == ("CHECK", "already_inside", "manual")
    assert page.locator("[data-testid=stay]").count() == 1


def test_revoked_and_wrong_crossing_point_are_invalid_with_the_reason(page, app):
    sign_in_as_officer(page, app, "officer2")
    assert _check(page, permit_field(app, "GHAFUROVA"))[:2] == ("INVALID", "revoked")
    assert "revoked" in page.inner_text("[data-testid=verdict-reason]")
    assert page.locator("[data-testid=record-entry]").is_disabled()
    page.click("[data-testid=verdict-close]")
    outcome, code, _ = _check(page, permit_field(app, "KARIMOVA"))  # allowed at Fotehobod only
    assert (outcome, code) == ("INVALID", "crossing_point_not_allowed")


def test_refuse_and_report_are_recorded_and_counted_in_the_shift(page, app):
    sign_in_as_officer(page, app, "officer2")
    assert _check(page, permit_field(app, "QODIROV"))[:2] == ("INVALID", "suspended")
    page.click("[data-testid=refuse]")
    page.select_option("[data-testid=refuse-reason]", "not_the_holder")
    page.click("[data-testid=refuse-submit]")
    page.wait_for_selector("text=Refusal recorded.")
    assert page.locator("[data-testid=record-exit]").is_disabled()
    page.click("[data-testid=report]")
    page.fill("[data-testid=report-note]", "Card handed over by another man")
    page.click("[data-testid=report-submit]")
    page.wait_for_selector("text=Report recorded.")
    with app.engine().connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT action, actor, subject FROM auditevent "
                "WHERE action IN ('crossing_refused', 'misuse_reported') ORDER BY seq"
            )
        ).all()
    number = permit_field(app, "QODIROV")
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
