"""The authority's dashboard, permit filters and permit page, misuse decisions, audit log."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from lbt_app.db.models import User
from lbt_app.db.types import utcnow
from lbt_app.i18n import LANGUAGES, t
from lbt_app.services import checks, permits
from lbt_app.services.auth import principal_of
from tests.e2e.conftest import (
    choose_language,
    hydrated,
    overflow_and_internal_words,
    permit_field,
    sign_in,
    sign_in_as_officer,
)

pytestmark = pytest.mark.browser


def _desk(page, app) -> None:
    sign_in(page, app, "staff", "staff-demo-2026")
    page.wait_for_url("**/authority")
    hydrated(page)
    page.wait_for_selector("[data-testid=permit-row]")


def test_the_figures_are_two_a_row_on_a_phone_and_one_row_on_a_desk(page, app):
    """The grid's columns per screen width are the page's own CSS (layout.py grid_columns)."""
    _desk(page, app)

    def rows() -> int:
        tops = page.locator("[data-testid=dashboard] > *").evaluate_all(
            "figures => figures.map((f) => Math.round(f.getBoundingClientRect().top))"
        )
        assert len(tops) == 6
        return len(set(tops))

    assert rows() == 3
    page.set_viewport_size({"width": 1280, "height": 800})
    assert rows() == 1


def test_dashboard_charts_filters_and_the_permit_page(page, app):
    _desk(page, app)
    assert "Inside now" in page.inner_text("[data-testid=dashboard]")
    bars = page.locator("[data-testid=chart-crossings] [data-testid=chart-day]")
    bars.first.wait_for()
    assert bars.count() == 30  # a bar a day, each saying its day and counts in words
    assert all(":" in label for label in bars.evaluate_all("bs => bs.map(b => b.ariaLabel)"))
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
    page.select_option("[data-testid=audit-action]", label="Misuse decided")
    page.click("[data-testid=audit-filter]")
    decided = f"staff decided on misuse of permit {number}: Warning"
    page.wait_for_function(
        "(decided) => [...document.querySelectorAll('[data-testid=audit-sentence]')]"
        ".every(e => e.textContent === decided)",
        arg=decided,
    )


def _suspend_and_reinstate(app, number: str) -> None:
    """Two status changes by staff; the permit ends as it was (other tests use it)."""
    with Session(app.engine()) as session:
        staff = session.exec(select(User).where(User.username == "staff")).one()
        for action in ("suspend", "reinstate"):
            permits.change_status(
                session=session,
                principal=principal_of(session=session, user=staff),
                number=number,
                action=action,
                reason="Address being checked",
                now=utcnow(),
            )
        session.commit()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_audit_log_reads_as_sentences_on_a_phone(page, app, lang):
    number = permit_field(app, "YUSUPOVA")
    _suspend_and_reinstate(app, number)
    sign_in_as_officer(page, app)  # the officer page loaded, before the address is typed
    page.goto(app.url + "/authority")  # not an officer's page: refused, and audited
    page.wait_for_url("**/officer")
    page.click("[data-testid=sign-out]")
    page.wait_for_selector("[data-testid=login-page]")
    choose_language(page, app, lang)
    _desk(page, app)
    page.click("[data-testid=nav-oversight]")
    page.wait_for_url("**/authority/oversight")
    refused = t("{actor} was refused {page}", lang).format(
        actor="officer1", page=t("the authority desk", lang)
    )
    page.wait_for_function(
        "(s) => [...document.querySelectorAll('[data-testid=audit-sentence]')]"
        ".some(e => e.textContent === s)",
        arg=refused,
    )
    sentences = page.locator("[data-testid=audit-sentence]").all_inner_texts()
    for template in (
        "{actor} suspended permit {subject}: reason {reason}",
        "{actor} reinstated permit {subject}: reason {reason}",
        "{actor} signed in",
    ):
        expected = t(template, lang).format(
            actor="staff", subject=number, reason="Address being checked"
        )
        assert expected in sentences, (expected, sentences)
    options = page.locator("[data-testid=audit-action] option").all_inner_texts()
    assert t("Refused access", lang) in options and "access_denied" not in options
    counted = page.locator("[data-testid=audit-count]").inner_text()
    assert counted.startswith(t("Events: {count}", lang).split("{")[0]), counted
    assert page.locator("[data-testid=audit-newer]").is_disabled()  # the newest page
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    details = page.locator("[data-testid=audit-event]").filter(has_text=refused).first.inner_text()
    assert f"{t('Page', lang)}: {t('the authority desk', lang)}" in details
    assert overflow_and_internal_words(page) == (0, [])
