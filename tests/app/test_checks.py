"""The officer's check, rule by rule, with the fixed clock of the demo data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from lbt_app.core.access import AccessDenied
from lbt_app.core.stay import Direction
from lbt_app.core.verdict import Code, Outcome
from lbt_app.db.models import AuditEvent, Crossing, Document, Resident
from lbt_app.services import checks
from lbt_app.services.checks import CrossingError
from tests.app.factories import checked, permit_of, principal, stranger_officer
from tests.conftest import NOW


def _scan(session, officer, surname, now=NOW, direction=None):
    permit = permit_of(session, surname)
    return checks.verify_scan(
        session=session,
        principal=principal(session, officer),
        text=permit.payload,
        now=now,
        direction=direction,
    )


def test_an_active_permit_is_valid_with_its_proven_photo_and_stay(session):
    check = _scan(session, "officer1", "RAHIMOV")
    assert check.verdict.outcome is Outcome.VALID and check.verdict.code is Code.VALID
    assert check.photo is not None and check.photo[:2] == b"\xff\xd8"
    assert check.stay.inside is False and check.direction is Direction.ENTRY
    assert [c.direction for c in check.recent] == ["exit", "entry"]
    assert check.point_code == "FOTEHOBOD"


def test_recording_an_entry_then_scanning_for_entry_says_already_inside(session):
    officer = principal(session, "officer1")
    permit = permit_of(session, "RAHIMOV")
    checks.record_crossing(
        session=session,
        principal=officer,
        text=permit.payload,
        direction=Direction.ENTRY,
        check_id=checked(session, officer, permit.payload, NOW),
        now=NOW,
    )
    again = checks.verify_scan(
        session=session,
        principal=officer,
        text=permit.payload,
        now=NOW + timedelta(minutes=5),
        direction=Direction.ENTRY,
    )
    assert again.verdict.code is Code.ALREADY_INSIDE and again.verdict.outcome is Outcome.CHECK
    proposed = checks.verify_scan(
        session=session, principal=officer, text=permit.payload, now=NOW + timedelta(minutes=5)
    )
    assert proposed.direction is Direction.EXIT and proposed.verdict.outcome is Outcome.VALID
    assert proposed.stay.inside and proposed.stay.days_used == 1
    assert proposed.stay.must_leave_by == NOW.date() + timedelta(days=29)


@pytest.mark.parametrize(
    ("surname", "code"),
    [("QODIROV", Code.SUSPENDED), ("GHAFUROVA", Code.REVOKED), ("HASANOV", Code.EXPIRED)],
)
def test_status_and_dates_make_a_permit_invalid(session, surname, code):
    check = _scan(session, "officer1", surname)
    assert check.verdict.code is code and check.verdict.outcome is Outcome.INVALID


def test_a_crossing_point_the_permit_does_not_allow(session):
    assert _scan(session, "officer1", "KARIMOVA").verdict.code is Code.VALID
    check = _scan(session, "officer2", "KARIMOVA")
    assert check.verdict.code is Code.CROSSING_POINT_NOT_ALLOWED
    assert check.verdict.outcome is Outcome.INVALID


def test_a_swapped_photo_is_caught_and_not_shown(session):
    permit = permit_of(session, "YUSUPOVA")
    resident = session.get(Resident, permit.resident_id)
    other = session.exec(
        select(Document).where(Document.kind == "photo", Document.id != resident.photo_id)
    ).first()
    resident.photo_id = other.id
    session.add(resident)
    session.flush()
    check = _scan(session, "officer1", "YUSUPOVA")
    assert check.verdict.code is Code.PHOTO_MISMATCH and check.verdict.outcome is Outcome.INVALID
    assert check.photo is None


def test_an_overstay_is_invalid_but_the_exit_is_still_recorded(session):
    later = NOW + timedelta(days=28)  # gulnora entered three days before NOW
    check = _scan(session, "officer1", "NAZAROVA", now=later)
    assert check.stay.over_limit and check.direction is Direction.EXIT
    assert check.verdict.code is Code.STAY_LIMIT_EXCEEDED
    crossing = checks.record_crossing(
        session=session,
        principal=principal(session, "officer1"),
        text=permit_of(session, "NAZAROVA").payload,
        direction=Direction.EXIT,
        check_id=check.check_id,
        now=later,
    )
    assert crossing.code == "stay_limit_exceeded" and crossing.direction == "exit"


def test_entry_needs_a_valid_verdict_and_exit_needs_the_holder_inside(session):
    officer = principal(session, "officer1")
    with pytest.raises(CrossingError):
        checks.record_crossing(
            session=session,
            principal=officer,
            text=permit_of(session, "GHAFUROVA").payload,
            direction=Direction.ENTRY,
            check_id=checked(session, officer, permit_of(session, "GHAFUROVA").payload, NOW),
            now=NOW,
        )
    with pytest.raises(CrossingError):
        checks.record_crossing(
            session=session,
            principal=officer,
            text=permit_of(session, "YUSUPOVA").payload,
            direction=Direction.EXIT,
            check_id=checked(session, officer, permit_of(session, "YUSUPOVA").payload, NOW),
            now=NOW,
        )
    with pytest.raises(CrossingError):
        checks.record_crossing(
            session=session,
            principal=officer,
            text="LBT1:garbage",
            direction=Direction.ENTRY,
            check_id=checked(session, officer, "LBT1:garbage", NOW),
            now=NOW,
        )
    assert len(session.exec(select(Crossing)).all()) == 3  # only the demo history


@pytest.mark.parametrize("username", ["farhod", "staff", "admin"])
def test_only_officers_check_and_record(session, username):
    permit = permit_of(session, "RAHIMOV")
    with pytest.raises(AccessDenied):
        checks.verify_scan(
            session=session, principal=principal(session, username), text=permit.payload, now=NOW
        )
    with pytest.raises(AccessDenied):
        checks.record_crossing(
            session=session,
            principal=principal(session, username),
            text=permit.payload,
            direction=Direction.ENTRY,
            check_id=0,
            now=NOW,
        )


def test_manual_entry_reaches_the_same_verdict_and_is_marked(session):
    officer = principal(session, "officer2")
    by_text = _scan(session, "officer2", "KARIMOVA")
    by_number = checks.verify_number(
        session=session,
        principal=officer,
        number=permit_of(session, "KARIMOVA").number.lower(),
        now=NOW,
    )
    assert by_number.verdict.code is by_text.verdict.code
    last = session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert last.action == "permit_checked" and last.detail["source"] == "manual"


def test_a_typed_number_nobody_has_is_not_registered_rather_than_unreadable(session):
    unknown = checks.verify_number(
        session=session, principal=principal(session, "officer2"), number=" uz26-999999 ", now=NOW
    )
    assert unknown.verdict.code is Code.NOT_REGISTERED
    assert unknown.verdict.outcome is Outcome.INVALID and unknown.permit is None
    assert unknown.verdict.reasons == ("No permit with this number is registered.",)
    assert unknown.recordable == frozenset()
    event = _last_event(session)
    assert (event.action, event.subject) == ("permit_checked", "UZ26-999999")
    assert event.detail == {
        "outcome": "INVALID",
        "code": "not_registered",
        "point": "PATAR",
        "source": "manual",
    }


def test_a_genuine_permit_missing_from_the_register_is_not_registered(session):
    permit = permit_of(session, "RAHIMOV")
    text, number = permit.payload, permit.number
    permit.number = "TJ26-999999"  # the signed text names a number the register no longer has
    session.add(permit)
    session.flush()
    check = checks.verify_scan(
        session=session, principal=principal(session, "officer1"), text=text, now=NOW
    )
    assert check.verdict.code is Code.NOT_REGISTERED and check.verdict.claims.number == number
    assert check.permit is None and check.recordable == frozenset()


@pytest.mark.parametrize("text", ["", "hello", "LBT1:", "LBT1:%%%%", "x" * 100_000])
def test_garbage_is_malformed_and_audited(session, text):
    check = checks.verify_scan(
        session=session, principal=principal(session, "officer1"), text=text, now=NOW
    )
    assert check.verdict.code is Code.MALFORMED and check.permit is None
    last = session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert last.detail["code"] == "malformed"


def test_leaving_when_not_recorded_inside_is_a_check(session):
    check = _scan(session, "officer1", "YUSUPOVA", direction=Direction.EXIT)
    assert check.verdict.code is Code.NOT_INSIDE and check.verdict.outcome is Outcome.CHECK


def test_the_agreements_period_cap_limits_a_new_entry(session):
    from lbt_app.db.models import Agreement

    agreement = session.exec(select(Agreement)).one()
    agreement.period_cap_days, agreement.period_days = 5, 180  # farhod spent 3 days recently
    session.add(agreement)
    session.flush()
    check = _scan(session, "officer1", "RAHIMOV")
    assert check.verdict.code is Code.VALID and check.stay.new_stay_last_day is not None
    assert check.stay.new_stay_last_day == NOW.date() + timedelta(days=1)
    agreement.period_cap_days = 3  # all used: no new stay may begin
    session.add(agreement)
    session.flush()
    assert _scan(session, "officer1", "RAHIMOV").verdict.code is Code.STAY_LIMIT_EXCEEDED


def _last_event(session) -> AuditEvent:
    return session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()


def test_a_refusal_is_audited_with_reason_point_and_verdict(session):
    officer = principal(session, "officer1")
    text = permit_of(session, "GHAFUROVA").payload
    checks.refuse(
        session=session, principal=officer, text=text, reason="suspected_forgery", now=NOW
    )
    event = _last_event(session)
    assert (event.action, event.actor, event.subject, event.at) == (
        "crossing_refused",
        "officer1",
        permit_of(session, "GHAFUROVA").number,
        NOW,
    )
    assert event.detail == {"reason": "suspected_forgery", "point": "FOTEHOBOD", "code": "revoked"}
    # A QR that is no permit at all can still be refused; it has no number.
    checks.refuse(session=session, principal=officer, text="garbage", reason="other", now=NOW)
    assert _last_event(session).subject == "" and _last_event(session).detail["code"] == "malformed"


def test_a_refusal_needs_a_listed_reason_and_an_officer(session):
    text = permit_of(session, "RAHIMOV").payload
    seq = _last_event(session).seq
    with pytest.raises(CrossingError):
        checks.refuse(
            session=session,
            principal=principal(session, "officer1"),
            text=text,
            reason="x",
            now=NOW,
        )
    with pytest.raises(AccessDenied):
        checks.refuse(
            session=session,
            principal=principal(session, "staff"),
            text=text,
            reason="other",
            now=NOW,
        )
    assert _last_event(session).seq == seq


def test_a_misuse_report_keeps_the_officers_note_tidied_and_bounded(session):
    officer = principal(session, "officer2")
    text = permit_of(session, "NAZAROVA").payload
    checks.report_misuse(
        session=session, principal=officer, text=text, note="  seen   trading\nin Khujand ", now=NOW
    )
    event = _last_event(session)
    assert event.action == "misuse_reported" and event.detail["note"] == "seen trading in Khujand"
    assert event.detail["point"] == "PATAR"
    for note in ["", "   ", "x" * (checks.MAX_NOTE_CHARS + 1)]:
        with pytest.raises(CrossingError):
            checks.report_misuse(session=session, principal=officer, text=text, note=note, now=NOW)
    assert _last_event(session).seq == event.seq


def test_the_shift_counts_this_officers_work_of_the_local_day_only(session):
    officer = principal(session, "officer1")
    other = principal(session, "officer2")
    rahimov = permit_of(session, "RAHIMOV").payload
    # NOW is 14:00 in Dushanbe (UTC+5): 23:30 the evening before is another day.
    checks.verify_scan(
        session=session, principal=officer, text=rahimov, now=NOW - timedelta(hours=14, minutes=30)
    )
    start = NOW - timedelta(hours=13, minutes=59)  # 00:01 local time
    check_id = checked(session, officer, rahimov, start)
    checks.record_crossing(
        session=session,
        principal=officer,
        text=rahimov,
        direction=Direction.ENTRY,
        check_id=check_id,
        now=NOW,
    )  # a crossing, not another scan
    revoked = permit_of(session, "GHAFUROVA").payload
    checks.verify_scan(session=session, principal=officer, text=revoked, now=NOW)
    checks.refuse(session=session, principal=officer, text=revoked, reason="other", now=NOW)
    checks.report_misuse(session=session, principal=officer, text=revoked, note="n", now=NOW)
    checks.verify_scan(session=session, principal=other, text=rahimov, now=NOW)  # not ours
    today = checks.shift(session=session, principal=officer, now=NOW)
    assert today.day.isoformat() == "2026-11-29"
    assert today.counts == {
        "scans": 2,
        "VALID": 1,
        "INVALID": 1,
        "CHECK": 0,
        "entry": 1,
        "exit": 0,
        "refused": 1,
        "reported": 1,
    }
    assert [e.action for e in today.entries][:3] == [
        "misuse_reported",
        "crossing_refused",
        "permit_checked",
    ]
    assert today.entries[-1].at == start
    with pytest.raises(AccessDenied):
        checks.shift(session=session, principal=principal(session, "farhod"), now=NOW)


def _stranger(session):
    return principal(session, stranger_officer(session).username)


def test_an_officer_of_another_agreement_learns_nothing_of_our_holders(session):
    stranger = _stranger(session)
    for surname in ("NAZAROVA", "GHAFUROVA", "HASANOV"):  # active (inside), revoked, expired
        check = checks.verify_scan(
            session=session, principal=stranger, text=permit_of(session, surname).payload, now=NOW
        )
        assert check.verdict.code is Code.UNKNOWN_ISSUER and check.verdict.claims is None
        assert check.permit is None and check.resident is None and check.photo is None
        assert check.stay is None and check.recent == ()
        typed = checks.verify_number(
            session=session, principal=stranger, number=permit_of(session, surname).number, now=NOW
        )
        assert typed.permit is None and typed.verdict.claims is None and typed.photo is None
        assert typed.verdict.code is Code.NOT_REGISTERED


def test_an_officer_of_another_agreement_cannot_record_our_holders_exit(session):
    stranger = _stranger(session)
    before = len(session.exec(select(Crossing)).all())
    with pytest.raises(CrossingError):
        checks.record_crossing(
            session=session,
            principal=stranger,
            text=permit_of(session, "NAZAROVA").payload,  # recorded inside
            direction=Direction.EXIT,
            check_id=checked(session, stranger, permit_of(session, "NAZAROVA").payload, NOW),
            now=NOW,
        )
    assert len(session.exec(select(Crossing)).all()) == before


def test_no_exit_is_recorded_at_a_point_the_permit_does_not_allow(session):
    text = permit_of(session, "KARIMOVA").payload
    checks.record_crossing(
        session=session,
        principal=principal(session, "officer1"),
        text=text,
        direction=Direction.ENTRY,
        check_id=checked(session, principal(session, "officer1"), text, NOW),
        now=NOW,
    )
    with pytest.raises(CrossingError, match="Exit cannot be recorded"):
        checks.record_crossing(
            session=session,
            principal=principal(session, "officer2"),  # at Patar, which KARIMOVA may not use
            text=text,
            direction=Direction.EXIT,
            check_id=checked(
                session, principal(session, "officer2"), text, NOW + timedelta(hours=2)
            ),
            now=NOW + timedelta(hours=2),
        )


@pytest.mark.parametrize(
    ("officer", "surname", "direction", "recordable"),
    [
        ("officer1", "RAHIMOV", None, {Direction.ENTRY}),  # outside: may enter
        ("officer1", "RAHIMOV", Direction.EXIT, {Direction.ENTRY}),  # scanned in the exit lane
        ("officer1", "NAZAROVA", Direction.ENTRY, {Direction.EXIT}),  # inside: already_inside
        ("officer1", "GHAFUROVA", None, set()),  # revoked and outside: nothing to record
        ("officer2", "KARIMOVA", None, set()),  # a point the permit does not allow
    ],
)
def test_the_check_says_which_passage_may_be_recorded(
    session, officer, surname, direction, recordable
):
    check = _scan(session, officer, surname, direction=direction)
    assert check.recordable == recordable


def test_what_a_check_offers_to_record_is_exactly_what_recording_accepts(session):
    """Every demo permit at both points in both lanes, now and a month later (overstays)."""
    from lbt_app.db.models import Permit

    seen = set()
    for permit in session.exec(select(Permit)).all():
        for officer in ("officer1", "officer2"):
            for now in (NOW, NOW + timedelta(days=28)):
                for lane in (Direction.ENTRY, Direction.EXIT):
                    check = checks.verify_scan(
                        session=session,
                        principal=principal(session, officer),
                        text=permit.payload,
                        now=now,
                        direction=lane,
                    )
                    for way in Direction:
                        attempt = session.begin_nested()
                        try:
                            checks.record_crossing(
                                session=session,
                                principal=principal(session, officer),
                                text=permit.payload,
                                direction=way,
                                check_id=check.check_id,
                                now=now,
                            )
                            accepted = True
                        except CrossingError:
                            accepted = False
                        attempt.rollback()
                        assert accepted == (way in check.recordable), (permit.number, way, now)
                        seen.add((way, accepted))
    assert seen == {(way, ok) for way in Direction for ok in (True, False)}


def test_the_check_names_the_area_and_crossing_points(session):
    check = _scan(session, "officer1", "RAHIMOV")
    assert check.area_name == "Fergana border districts"
    assert [check.point_name(c) for c in check.verdict.claims.crossing_points] == [
        "Fotehobod – Oybek",
        "Kushtegirmon – Bekobod",
        "Patar – Rishton",
    ]
    assert {check.point_name(c.point) for c in check.recent} <= set(check.point_names.values())
    assert check.point_name("NOWHERE") == "NOWHERE"


def _choose(session, texts, officer="officer1"):
    return checks.choose_permit_text(
        session=session,
        texts=texts,
        agreement_id=principal(session, officer).agreement_id,
        now=NOW,
    )


def test_of_several_codes_in_a_picture_the_genuine_permit_is_chosen(session):
    from lbt_app.core.live import LIVE_PREFIX
    from lbt_app.core.payload import PREFIX

    ours = permit_of(session, "RAHIMOV").payload
    expired = permit_of(session, "HASANOV").payload  # expired, but genuine
    forged = ours[:-4] + ("AAAA" if not ours.endswith("AAAA") else "BBBB")
    for texts, chosen in [
        (["https://example.org/menu", ours], ours),
        (["LBT1:garbage", forged, expired, ours], expired),
        ([LIVE_PREFIX + "123456" + ours[len(PREFIX) :], "x"], None),  # a live text counts
    ]:
        choice = _choose(session, texts)
        assert choice.text == (chosen or texts[0])
        assert choice.note == "Several codes in the picture; the permit was used."
    seq = _last_event(session).seq
    assert _choose(session, ["hello", "world"]) == checks.PermitChoice(
        "hello", "Several codes in the picture; none is a permit."
    )
    assert _choose(session, [ours]) == checks.PermitChoice(ours, "")
    assert _choose(session, []) == checks.PermitChoice("", "")
    assert _last_event(session).seq == seq  # choosing records nothing


def test_another_agreements_permit_is_not_the_chosen_one(session):
    ours = permit_of(session, "RAHIMOV").payload
    stranger = stranger_officer(session)
    choice = checks.choose_permit_text(
        session=session,
        texts=["hello", ours],
        agreement_id=principal(session, stranger.username).agreement_id,
        now=NOW,
    )
    assert choice == checks.PermitChoice("hello", "Several codes in the picture; none is a permit.")


def test_a_shorter_stay_set_later_applies_to_new_permits_not_to_one_already_issued(session):
    """The holder's permit says 30 days per stay; the agreement now says 5: the officer still
    counts the 30 the permit was signed with (day 4 of the stay is fine)."""
    from lbt_app.db.models import Agreement

    agreement = session.exec(select(Agreement)).first()
    agreement.max_stay_days = 5
    session.add(agreement)
    session.flush()
    check = _scan(session, "officer1", "NAZAROVA", now=NOW + timedelta(days=3))
    assert check.stay.inside and check.stay.max_stay_days == 30
    assert not check.stay.over_limit and check.verdict.code is not Code.STAY_LIMIT_EXCEEDED
