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
from tests.app.factories import online_record, permit_of, portrait_jpeg, principal
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
    check = _scan(session, shown)
    with pytest.raises(CrossingError):
        checks.record_crossing(
            session=session,
            principal=officer,
            text=shown,
            direction=Direction.ENTRY,
            check_id=check.check_id,
            now=later,
        )
    crossing = checks.record_crossing(
        session=session,
        principal=officer,
        text=shown,
        direction=Direction.ENTRY,
        check_id=check.check_id,
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
    from lbt_app.states.wallet import OFFLINE_EMPTY

    page = (PROJECT_ROOT / "assets" / "wallet-offline.html").read_text()
    for lang in LANGUAGES:
        assert f'<p lang="{lang}">{html.escape(t(OFFLINE_EMPTY, lang))}</p>' in page, lang


def test_a_resident_signs_up_applies_online_and_follows_the_application(session):
    from lbt_app.db.models import Application, ApplicationStatus, User
    from lbt_app.services import applications, auth
    from lbt_app.services.applications import ApplicationError

    bad = [
        ("x", "long-enough-pw", "N"),
        ("new.person", "short", "N"),
        ("new.person", "long-enough-pw", " "),
        ("farhod", "long-enough-pw", "Someone"),
    ]
    for username, password, name in bad:
        refused = auth.sign_up(
            session=session,
            username=username,
            password=password,
            full_name=name,
            address="203.0.113.9",
            now=NOW,
        )
        assert refused.error and refused.token is None
    signed = auth.sign_up(
        session=session,
        username="+992900112233",
        password="a-long-pass",
        full_name="Z",
        address="203.0.113.9",
        now=NOW,
    )
    assert signed.token and signed.principal.resident_id is None
    me = signed.principal
    photo, record = portrait_jpeg(), online_record("N1234567")
    proof = b"%PDF-1.4 proof of residence"
    none, errors = applications.apply_online(
        session=session, principal=me, raw=record, photo=None, proof=proof, now=NOW
    )
    assert none is None and errors == {"photo": "A photo is required."}
    application, errors = applications.apply_online(
        session=session, principal=me, raw=record, photo=photo, proof=proof, now=NOW
    )
    assert errors == {} and application.status is ApplicationStatus.SUBMITTED
    user = session.exec(select(User).where(User.username == "+992900112233")).one()
    assert user.resident_id == application.resident_id
    me = principal(session, "+992900112233")
    with pytest.raises(ApplicationError, match="already has an application"):
        applications.apply_online(
            session=session, principal=me, raw={}, photo=None, proof=proof, now=NOW
        )
    staff_queue = applications.queue(
        session=session, principal=principal(session, "staff"), today=NOW.date()
    )
    assert application.id in [p.application.id for p in staff_queue]
    applications.reject(
        session=session,
        principal=principal(session, "staff"),
        application_id=application.id,
        reason="The proof is unreadable",
        now=NOW,
    )
    mine = applications.own_applications(session=session, principal=me)
    assert [(a.status, a.reason) for a in mine] == [
        (ApplicationStatus.REJECTED, "The proof is unreadable")
    ]
    again, _ = applications.apply_online(  # after a rejection: a new proof is enough
        session=session, principal=me, raw={}, photo=None, proof=proof, now=NOW
    )
    assert again.status is ApplicationStatus.SUBMITTED
    assert (
        len(
            session.exec(
                select(Application).where(Application.resident_id == user.resident_id)
            ).all()
        )
        == 2
    )


def test_a_resident_sees_only_their_own_wallet_and_applications(session):
    from lbt_app.services import applications

    farhod = wallet.wallet_view(session=session, principal=principal(session, "farhod"), now=NOW)
    gulnora = wallet.wallet_view(session=session, principal=principal(session, "gulnora"), now=NOW)
    assert farhod.holder_latin == "RAHIMOV FARHOD" and gulnora.holder_latin == "NAZAROVA GULNORA"
    davlat = principal(session, "davlat")
    assert wallet.wallet_view(session=session, principal=davlat, now=NOW) is None
    assert [
        a.resident_id for a in applications.own_applications(session=session, principal=davlat)
    ] == [davlat.resident_id]
    for username in ["officer1", "staff", "admin"]:
        with pytest.raises(AccessDenied):
            wallet.wallet_view(session=session, principal=principal(session, username), now=NOW)


def _resident_principal(session, surname):
    import dataclasses

    permit = permit_of(session, surname)
    return dataclasses.replace(principal(session, "farhod"), resident_id=permit.resident_id)


@pytest.mark.parametrize(
    ("surname", "status"),
    [("QODIROV", "suspended"), ("GHAFUROVA", "revoked"), ("HASANOV", "expired")],
)
def test_the_wallet_says_plainly_when_the_permit_cannot_be_used(session, surname, status):
    view = wallet.wallet_view(
        session=session, principal=_resident_principal(session, surname), now=NOW
    )
    assert str(view.status) == status and not view.renew_soon


def test_a_renewal_reminder_shows_from_sixty_days_before_the_end(session):
    me = _resident_principal(session, "RAHIMOV")
    until = permit_of(session, "RAHIMOV").valid_until
    early = wallet.wallet_view(session=session, principal=me, now=NOW)
    assert not early.renew_soon
    for days_left, reminded in [(61, False), (60, True), (1, True)]:
        moment = NOW.replace(year=until.year, month=until.month, day=until.day) - timedelta(
            days=days_left
        )
        assert wallet.wallet_view(session=session, principal=me, now=moment).renew_soon is reminded


def test_an_application_names_each_missing_file_and_changes_nothing(session):
    from lbt_app.db.models import Application, Resident
    from lbt_app.services import applications, auth
    from lbt_app.services.applications import PHOTO_MISSING, PROOF_MISSING

    me = auth.sign_up(
        session=session,
        username="new.applicant",
        password="a-long-pass",
        full_name="New Applicant",
        address="203.0.113.9",
        now=NOW,
    ).principal
    before = (
        len(session.exec(select(Resident.id)).all()),
        len(session.exec(select(Application.id)).all()),
    )

    def apply(raw, photo, proof):
        return applications.apply_online(
            session=session, principal=me, raw=raw, photo=photo, proof=proof, now=NOW
        )

    none, errors = apply({}, None, b"")  # the empty form
    assert none is None
    assert errors["photo"] == PHOTO_MISSING and errors["proof"] == PROOF_MISSING
    assert {"surname_native", "document_number", "birth_date"} <= set(errors)
    none, errors = apply(online_record("N7000001"), portrait_jpeg(), b"")
    assert none is None and errors == {"proof": PROOF_MISSING}
    none, errors = apply(online_record("N7000001"), None, b"%PDF-1.4 proof")
    assert none is None and errors == {"photo": PHOTO_MISSING}
    after = (
        len(session.exec(select(Resident.id)).all()),
        len(session.exec(select(Application.id)).all()),
    )
    assert after == before
    application, errors = apply(online_record("N7000001"), portrait_jpeg(), b"%PDF-1.4 proof")
    assert errors == {} and application is not None


def test_applying_again_without_a_proof_says_so(session):
    from lbt_app.services import applications
    from lbt_app.services.applications import PROOF_MISSING

    davlat = principal(session, "davlat")  # a registered resident
    none, errors = applications.apply_online(
        session=session, principal=davlat, raw={}, photo=None, proof=b"", now=NOW
    )
    assert none is None and errors == {"proof": PROOF_MISSING}


def test_the_wallet_shows_the_border_area_and_crossing_points_by_name(session):
    view = wallet.wallet_view(session=session, principal=principal(session, "farhod"), now=NOW)
    assert view.area.code == "UZ-FRG"
    assert view.points and all(" – " in p for p in view.points)  # "Fotehobod – Oybek"
