"""The authority's dashboard, permit filters and permit page, misuse decisions, audit log."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from lbt_app.db.models import User
from lbt_app.db.types import utcnow
from lbt_app.services import checks
from lbt_app.services.auth import principal_of
from tests.e2e.conftest import hydrated, permit_field, sign_in

pytestmark = pytest.mark.browser


def _desk(page, app) -> None:
    sign_in(page, app, "staff", "staff-demo-2026")
    page.wait_for_url("**/authority")
    hydrated(page)
    page.wait_for_selector("[data-testid=permit-row]")


def test_dashboard_charts_filters_and_the_permit_page(page, app):
    _desk(page, app)
    assert "Inside now" in page.inner_text("[data-testid=dashboard]")
    page.wait_for_selector("[data-testid=chart-crossings] .recharts-surface")
    assert page.locator("[data-testid=chart-status] [data-testid=status-count]").count() == 4
    page.select_option("[data-testid=filter-status]", "revoked")
    page.click("[data-testid=filter-apply]")
    page.wait_for_function(
        "[...document.querySelectorAll('[data-testid=permit-status]')]"
        ".every(b => b.textContent === 'Revoked')"
    )
    assert "GHAFUROVA" in page.inner_text("body")
    page.select_option("[data-testid=filter-status]", "active")
    page.click("[data-testid=filter-apply]")
    number = permit_field(app, "YUSUPOVA")
    row = page.locator(f"[data-testid=permit-row][data-number='{number}']")
    row.locator("[data-testid=permit-open]").click()
    page.wait_for_selector(f"[data-testid=permit-panel-number]:has-text('{number}')")
    assert page.locator("[data-testid=permit-panel] img").count() == 1  # its QR
    page.click("[data-testid=permit-renew]")
    page.wait_for_selector("text=Permit renewed.")
    page.wait_for_function(
        f"document.querySelector('[data-testid=permit-panel-number]').textContent !== {number!r}"
    )


def test_a_misuse_report_gets_a_decision_and_the_audit_log_shows_it(page, app):
    number = permit_field(app, "KARIMOVA")
    with Session(app.engine()) as session:
        officer = session.exec(select(User).where(User.username == "officer1")).one()
        checks.report_misuse(
            session=session,
            principal=principal_of(session=session, user=officer),
            text=permit_field(app, "KARIMOVA", "payload"),
            note="Selling goods at the bazaar every day",
            now=utcnow(),
        )
        session.commit()
    _desk(page, app)
    page.click("[data-testid=nav-oversight]")
    page.wait_for_url("**/authority/oversight")
    page.wait_for_selector("[data-testid=audit-chain]")
    page.click("[data-testid=audit-chain-check]")
    page.wait_for_selector("[data-testid=audit-chain][data-chain=intact]:has-text('intact')")
    page.wait_for_selector("text=/Last checked .* by staff/")
    report = page.locator(f"[data-testid=misuse-report][data-number='{number}']").first
    report.locator("[data-testid=decision-choice]").select_option("warning")
    report.locator("[data-testid=decision-note]").fill("First time")
    report.locator("[data-testid=decide]").click()
    page.wait_for_selector("text=Saved.")
    report.locator("[data-testid=decision]").wait_for()
    assert "Warning" in report.inner_text()
    page.select_option("[data-testid=audit-action]", "misuse_decided")
    page.click("[data-testid=audit-filter]")
    page.wait_for_function(
        "[...document.querySelectorAll('[data-testid=audit-event]')]"
        ".every(e => e.textContent.includes('misuse_decided'))"
    )
    assert number in page.inner_text("[data-testid=audit-event]")
