"""Dashboard figures, permit filters and the permit file, audit log, misuse decisions."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlmodel import select

from lbt_app.core.access import AccessDenied
from lbt_app.core.stay import Direction
from lbt_app.db.models import AuditEvent, Permit, PermitStatus
from lbt_app.services import checks, oversight, permits, statistics
from lbt_app.services.permits import PermitError
from tests.app.factories import permit_of, principal
from tests.conftest import NOW


def test_the_dashboard_counts_within_the_agreement(session):
    board = statistics.dashboard(session=session, principal=principal(session, "staff"), now=NOW)
    assert board.figures["active"] == 5  # RAHIMOV NAZAROVA YUSUPOVA KARIMOVA ABDURAHMONZODA
    assert board.figures["pending"] == 1 and board.figures["inside"] == 1  # gulnora
    assert board.permits_by_status == {"active": 5, "suspended": 1, "revoked": 1, "expired": 1}
    assert board.points == ["FOTEHOBOD", "KUSHTEGIRMON", "PATAR"]
    assert len(board.crossings_per_day) == statistics.CHART_DAYS
    assert board.crossings_per_day[-1]["day"] == NOW.date()
    before = board.figures["crossings_today"]
    officer = principal(session, "officer1")
    checks.record_crossing(
        session=session,
        principal=officer,
        text=permit_of(session, "RAHIMOV").payload,
        direction=Direction.ENTRY,
        now=NOW,
    )
    board = statistics.dashboard(session=session, principal=principal(session, "staff"), now=NOW)
    assert board.figures["crossings_today"] == before + 1 and board.figures["inside"] == 2
    assert board.crossings_per_day[-1]["FOTEHOBOD"] >= 1


def test_holders_near_or_over_their_stay_limit_need_attention(session):
    staff = principal(session, "staff")
    later = NOW + timedelta(days=26)  # gulnora entered 3 days before NOW; 30-day stays
    board = statistics.dashboard(session=session, principal=staff, now=later)
    assert [h.name for h in board.attention] == ["NAZAROVA GULNORA"]
    assert board.figures["near_limit"] == 1 and not board.attention[0].over_limit
    board = statistics.dashboard(session=session, principal=staff, now=NOW + timedelta(days=40))
    assert board.figures["over_limit"] == 1 and board.attention[0].over_limit


def test_only_authority_staff_see_the_dashboard(session):
    for username in ["officer1", "farhod", "admin"]:
        with pytest.raises(AccessDenied):
            statistics.dashboard(session=session, principal=principal(session, username), now=NOW)


@pytest.mark.parametrize(
    ("filters", "surnames"),
    [
        ({"status": "suspended"}, ["QODIROV"]),
        ({"status": "expired"}, ["HASANOV"]),
        ({"status": "revoked"}, ["GHAFUROVA"]),
        ({"area": "TJ-SGD"}, []),
        ({"expiring_days": 30}, []),
        ({"expiring_days": 636}, ["YUSUPOVA", "KARIMOVA", "ABDURAHMONZODA"]),
    ],
)
def test_permits_filter_by_status_area_and_expiry(session, filters, surnames):
    rows = permits.list_permits(
        session=session, principal=principal(session, "staff"), today=NOW.date(), **filters
    )
    assert sorted(r.holder.split()[0] for r in rows) == sorted(surnames)


def test_the_permit_file_has_points_history_and_crossings(session):
    staff = principal(session, "staff")
    number = permit_of(session, "RAHIMOV").number  # farhod has crossed before
    permits.change_status(
        session=session, principal=staff, number=number, action="revoke", reason="Fraud", now=NOW
    )
    file = permits.permit_file(session=session, principal=staff, number=number, today=NOW.date())
    assert file.status is PermitStatus.REVOKED and file.area == "UZ-FRG"
    assert file.points and file.crossings
    assert [e[1] for e in file.events][:1] == ["permit_revoke"]
    assert "permit_issued" in [e[1] for e in file.events]
    stranger = dataclasses.replace(staff, agreement_id=999)
    with pytest.raises(PermitError):
        permits.permit_file(session=session, principal=stranger, number=number, today=NOW.date())


def test_the_audit_log_filters_and_stays_within_the_agreement(session):
    staff = principal(session, "staff")
    checks.verify_scan(
        session=session,
        principal=principal(session, "officer2"),
        text=permit_of(session, "KARIMOVA").payload,
        now=NOW,
    )
    events, total = oversight.audit_log(session=session, principal=staff)
    assert total >= 1 and events[0].action == "permit_checked"
    checked, _ = oversight.audit_log(
        session=session, principal=staff, action="permit_checked", text="officer2"
    )
    assert [e.actor for e in checked] == ["officer2"]
    assert "permit_checked" in oversight.audit_actions(session=session, principal=staff)
    stranger = dataclasses.replace(staff, agreement_id=999)
    assert oversight.audit_log(session=session, principal=stranger) == ([], 0)
    with pytest.raises(AccessDenied):
        oversight.audit_log(session=session, principal=principal(session, "officer1"))


def _report(session, surname="YUSUPOVA"):
    checks.report_misuse(
        session=session,
        principal=principal(session, "officer1"),
        text=permit_of(session, surname).payload,
        note="Working in Khujand market daily",
        now=NOW,
    )
    return oversight.misuse_reports(session=session, principal=principal(session, "staff"))[0]


@pytest.mark.parametrize(
    ("decision", "status"),
    [("warning", "active"), ("suspension", "suspended"), ("revocation", "revoked")],
)
def test_a_misuse_decision_is_recorded_and_applied(session, decision, status):
    report = _report(session)
    assert report.decision == "" and report.officer == "officer1" and report.point == "FOTEHOBOD"
    staff = principal(session, "staff")
    oversight.decide_misuse(
        session=session,
        principal=staff,
        report_seq=report.seq,
        decision=decision,
        note="Seen by two officers",
        now=NOW,
    )
    (decided,) = oversight.misuse_reports(session=session, principal=staff)
    assert (decided.decision, decided.decided_by) == (decision, "staff")
    permit = session.exec(select(Permit).where(Permit.number == report.number)).one()
    assert str(permit.status) == status
    with pytest.raises(PermitError, match="already been decided"):
        oversight.decide_misuse(
            session=session,
            principal=staff,
            report_seq=report.seq,
            decision="warning",
            note="",
            now=NOW,
        )


def test_misuse_decisions_need_a_listed_decision_and_staff(session):
    report = _report(session)
    seq = session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first().seq
    with pytest.raises(PermitError):
        oversight.decide_misuse(
            session=session,
            principal=principal(session, "staff"),
            report_seq=report.seq,
            decision="deportation",
            note="",
            now=NOW,
        )
    for username in ["officer1", "farhod"]:
        with pytest.raises(AccessDenied):
            oversight.decide_misuse(
                session=session,
                principal=principal(session, username),
                report_seq=report.seq,
                decision="revocation",
                note="",
                now=NOW,
            )
    assert session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first().seq == seq
