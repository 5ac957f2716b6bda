"""One clock: an event stored late in the evening UTC is already the next day in Dushanbe, and
every page and the printed card show that same day, in the reader's language."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest

from lbt_app.core.stay import Direction
from lbt_app.db.models import Permit
from lbt_app.db.types import utcnow
from lbt_app.i18n import format_day, format_moment
from lbt_app.services import cards, checks
from lbt_app.states.desk import AuthorityState
from lbt_app.states.officer import OfficerState
from lbt_app.states.residents import ResidentsState
from lbt_app.states.session import SessionState
from lbt_app.states.wallet import WalletState
from tests.app.factories import checked, permit_of, principal
from tests.app.test_states import _client, _sub

DUSHANBE = ZoneInfo("Asia/Dushanbe")  # UTC+5: 21:31 UTC is 02:31 the next day


def _late_evening_entry(session) -> tuple[datetime, date]:
    """farhod enters at 21:31 UTC yesterday; the day in Dushanbe is today (UTC)."""
    at = (utcnow() - timedelta(days=1)).replace(hour=21, minute=31, second=0, microsecond=0)
    officer, text = principal(session, "officer1"), permit_of(session, "RAHIMOV").payload
    checks.record_crossing(
        session=session,
        principal=officer,
        text=text,
        direction=Direction.ENTRY,
        check_id=checked(session, officer, text, at),
        now=at,
    )
    session.commit()
    local_day = at.astimezone(DUSHANBE).date()
    assert local_day == at.date() + timedelta(days=1)
    return at, local_day


@pytest.mark.parametrize("lang", ["en", "ru", "tg"])
def test_the_same_crossing_has_the_same_day_on_every_page(db_url, session, lang):
    at, day = _late_evening_entry(session)
    shown = format_day(day, lang)

    def signed_in(username, cls):
        root = _client(username)
        _sub(root, SessionState).lang_choice = lang
        return _sub(root, cls)

    wallet = signed_in("farhod", WalletState)
    WalletState.load.fn(wallet)
    assert wallet.stay["entered_on"] == shown
    assert wallet.recent[0]["at"] == shown

    officer = signed_in("officer1", OfficerState)
    asyncio.run(
        OfficerState.check_number.fn(officer, {"number": permit_of(session, "RAHIMOV").number})
    )
    assert officer.stay["entered_on"] == shown and officer.recent[0]["at"] == shown

    desk = signed_in("staff", AuthorityState)
    asyncio.run(AuthorityState.load.fn(desk))
    AuthorityState.open_permit.fn(desk, permit_of(session, "RAHIMOV").number)
    assert desk.permit_crossings[0]["at"] == format_moment(at, lang, DUSHANBE)

    registry = signed_in("staff", ResidentsState)
    ResidentsState.load.fn(registry)
    resident_id = next(r["id"] for r in registry.rows if r["latin"].startswith("RAHIMOV"))
    ResidentsState.open_resident.fn(registry, resident_id)
    assert registry.crossings[0]["at"] == shown


def test_the_shift_list_shows_the_local_time_in_the_officers_language(db_url, session):
    root = _client("officer1")
    _sub(root, SessionState).lang_choice = "ru"
    officer = _sub(root, OfficerState)
    asyncio.run(
        OfficerState.check_number.fn(officer, {"number": permit_of(session, "RAHIMOV").number})
    )
    asyncio.run(OfficerState.toggle_shift.fn(officer))
    first = officer.shift_items[0]["at"]
    now = datetime.now(UTC).astimezone(DUSHANBE)
    assert first in {(now - timedelta(minutes=m)).strftime("%H:%M") for m in range(3)}


def test_a_card_prints_the_issue_day_of_the_agreement(session):
    permit: Permit = permit_of(session, "RAHIMOV")
    staff = principal(session, "staff")
    issued = datetime(2026, 12, 1, 23, 45, tzinfo=UTC)  # 04:45 on 2 December in Dushanbe
    permit.issued_at = issued
    session.add(permit)
    session.flush()
    pdf = cards.permit_cards(session=session, principal=staff, numbers=[permit.number], now=issued)
    text = " ".join(pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range().split())

    def printed(day: date) -> str:
        return " ".join(format_day(day, "ru").split())

    assert printed(date(2026, 12, 2)) in text
    assert printed(date(2026, 12, 1)) not in text


def test_an_instant_without_its_zone_is_refused():
    with pytest.raises(ValueError, match="time zone"):
        format_day(datetime(2026, 12, 1, 21, 31, tzinfo=UTC), "en")
