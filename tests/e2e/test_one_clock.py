"""One clock in the browser: crossings stored at 21:31 and 21:40 UTC are the next day in
Dushanbe, and the officer's verdict, the desk's permit page and the resident's file all say so."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from lbt_app.db.models import Crossing, CrossingPoint, Permit, Resident
from lbt_app.db.types import utcnow
from lbt_app.i18n import format_day
from tests.e2e.conftest import PHONE_360, hydrated, sign_in, sign_in_as_officer, verdict_of

pytestmark = pytest.mark.browser


def _late_evening_visit(app) -> tuple:
    """HASANOV (expired permit) went in at 21:31 UTC yesterday and out at 21:40."""
    at = (utcnow() - timedelta(days=1)).replace(hour=21, minute=31, second=0, microsecond=0)
    with Session(app.engine()) as session:
        permit, resident = session.exec(
            select(Permit, Resident)
            .join(Resident, Resident.id == Permit.resident_id)
            .where(Resident.surname_latin == "HASANOV")
        ).first()
        point = session.exec(select(CrossingPoint).where(CrossingPoint.code == "FOTEHOBOD")).one()
        for minutes, direction in ((0, "entry"), (9, "exit")):
            session.add(
                Crossing(
                    permit_id=permit.id,
                    crossing_point_id=point.id,
                    direction=direction,
                    at=at + timedelta(minutes=minutes),
                    verdict="VALID",
                    code="valid",
                )
            )
        session.commit()
        return at, permit.number, resident.document_number


def test_a_late_evening_crossing_shows_the_local_day_everywhere(page, app):
    at, number, document = _late_evening_visit(app)
    local = format_day(at.astimezone(ZoneInfo("Asia/Dushanbe")).date(), "en")
    utc_day = format_day(at.date(), "en")
    page.set_viewport_size(PHONE_360)

    sign_in_as_officer(page, app)
    page.fill("[data-testid=manual-number]", number)
    page.click("[data-testid=manual-check]")
    verdict_of(page)
    shown = page.inner_text("[data-testid=verdict]")
    assert local in shown and utc_day not in shown
    page.click("[data-testid=verdict-close]")
    page.click("[data-testid=sign-out]")
    page.wait_for_selector("[data-testid=sign-in]")

    sign_in(page, app, "staff", "staff-demo-2026")
    page.wait_for_url("**/authority")
    hydrated(page)
    page.goto(app.url + "/authority/residents")
    hydrated(page)
    page.fill("[data-testid=resident-search]", document)
    page.press("[data-testid=resident-search]", "Enter")
    page.click(f"[data-testid=resident-row][data-document={document}]")
    page.wait_for_selector("[data-testid=file-latin]:has-text('HASANOV')")
    text = page.inner_text("body")
    assert local in text and utc_day not in text
