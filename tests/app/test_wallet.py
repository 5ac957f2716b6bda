"""The wallet's live code in the officer's check: screenshots and printed cards."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from lbt_app.core import live
from lbt_app.core.access import AccessDenied
from lbt_app.core.stay import Direction
from lbt_app.core.verdict import Code, Outcome
from lbt_app.db.models import AuditEvent
from lbt_app.services import checks, wallet
from lbt_app.services.checks import CrossingError, Source
from lbt_app.settings import get_settings
from tests.app.factories import permit_of, principal
from tests.conftest import NOW


def _activate(session, username="farhod"):
    return wallet.activate(
        session=session,
        principal=principal(session, username),
        kek=get_settings().key_encryption_key(),
        now=NOW,
    )


def _scan(session, text, source=Source.CAMERA, now=NOW):
    return checks.verify_scan(
        session=session, principal=principal(session, "officer1"), text=text, now=now, source=source
    )


def test_a_printed_card_stays_valid_for_a_holder_without_a_wallet(session):
    card = permit_of(session, "RAHIMOV").payload
    assert _scan(session, card).verdict.code is Code.VALID
    forged = live.live_text(card, live.new_secret(), NOW)  # a live code from nowhere
    assert _scan(session, forged).verdict.code is Code.STATIC_COPY


def test_with_a_wallet_only_a_fresh_live_code_is_valid(session):
    secret = _activate(session)
    assert _activate(session) == secret  # the same wallet secret on the next sign-in
    card = permit_of(session, "RAHIMOV").payload
    fresh = live.live_text(card, secret, NOW - timedelta(seconds=20))
    assert _scan(session, fresh).verdict.code is Code.VALID
    screenshot = live.live_text(card, secret, NOW - timedelta(minutes=2))
    stale = _scan(session, screenshot).verdict
    assert (stale.code, stale.outcome) == (Code.STATIC_COPY, Outcome.CHECK)
    assert _scan(session, card).verdict.code is Code.STATIC_COPY  # the card without a code
    # a typed number of a damaged card: the officer holds the document
    assert _scan(session, card, source=Source.MANUAL).verdict.code is Code.VALID
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "wallet_activated")).all()
    assert len(events) == 1


def test_an_entry_follows_the_scan_that_was_live_not_a_later_copy(session):
    secret = _activate(session)
    card = permit_of(session, "RAHIMOV").payload
    officer = principal(session, "officer1")
    later = NOW + timedelta(minutes=3)  # the officer taps "Record entry" after a while
    shown = live.live_text(card, secret, NOW)
    with pytest.raises(CrossingError):
        checks.record_crossing(
            session=session, principal=officer, text=shown, direction=Direction.ENTRY, now=later
        )
    crossing = checks.record_crossing(
        session=session,
        principal=officer,
        text=shown,
        direction=Direction.ENTRY,
        now=later,
        live=False,
    )
    assert crossing.code == "valid"


def test_only_a_resident_has_a_wallet(session):
    for username in ["officer1", "staff", "admin"]:
        with pytest.raises(AccessDenied):
            _activate(session, username)


def test_the_offline_page_carries_every_translation_of_its_note():
    import html

    from lbt_app.i18n import LANGUAGES, t
    from lbt_app.settings import PROJECT_ROOT
    from lbt_app.states.roles import OFFLINE_EMPTY

    page = (PROJECT_ROOT / "assets" / "wallet-offline.html").read_text()
    for lang in LANGUAGES:
        assert f'<p lang="{lang}">{html.escape(t(OFFLINE_EMPTY, lang))}</p>' in page, lang
