"""Dashboard figures, permit filters and the permit file, audit log, misuse decisions."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest
from sqlmodel import select

from lbt_app.core.access import AccessDenied
from lbt_app.core.stay import Direction
from lbt_app.db.models import AuditEvent, Permit, PermitStatus, User
from lbt_app.i18n import LANGUAGES, t
from lbt_app.services import audit, auth, checks, oversight, permits, statistics
from lbt_app.services.permits import PermitError
from lbt_app.states.session import SessionState
from tests.app.factories import checked, permit_of, principal
from tests.conftest import NOW


def test_the_dashboard_counts_within_the_agreement(session):
    board = statistics.dashboard(session=session, principal=principal(session, "staff"), now=NOW)
    assert board.figures["active"] == 5  # RAHIMOV NAZAROVA YUSUPOVA KARIMOVA ABDURAHMONZODA
    assert board.figures["pending"] == 1 and board.figures["inside"] == 1  # gulnora
    assert board.permits_by_status == {"active": 5, "suspended": 1, "revoked": 1, "expired": 1}
    assert list(board.points) == ["FOTEHOBOD", "KUSHTEGIRMON", "PATAR"]
    assert board.points["FOTEHOBOD"] == "Fotehobod – Oybek"
    assert len(board.crossings_per_day) == statistics.CHART_DAYS
    assert board.crossings_per_day[-1]["day"] == NOW.date()
    before = board.figures["crossings_today"]
    officer = principal(session, "officer1")
    text = permit_of(session, "RAHIMOV").payload
    checks.record_crossing(
        session=session,
        principal=officer,
        text=text,
        direction=Direction.ENTRY,
        check_id=checked(session, officer, text, NOW),
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
    log = oversight.audit_log(session=session, principal=staff)
    assert log.count >= 1 and log.events[0].action == "permit_checked"
    checked = oversight.audit_log(
        session=session, principal=staff, action="permit_checked", text="officer2"
    )
    assert [e.actor for e in checked.events] == ["officer2"] and checked.count == 1
    assert "permit_checked" in oversight.audit_actions(principal=staff)
    stranger = dataclasses.replace(staff, agreement_id=999)
    assert oversight.audit_log(session=session, principal=stranger) == oversight.AuditPage(
        events=[], newer=False, older=False, count=0
    )
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


INTERNAL = re.compile(r"reflex___|\{|\}|\b[a-z]+_[a-z_]+\b")


def _texts(session, staff, lang):
    events = oversight.audit_log(session=session, principal=staff).events
    points = oversight.point_names(session=session, principal=staff)
    return [oversight.describe(e, lang, points) for e in events]


def test_audit_events_read_as_sentences_in_the_readers_language(session):
    from lbt_app.states.desk import AuthorityState

    staff, officer = principal(session, "staff"), principal(session, "officer1")
    check_id = checked(session, officer, permit_of(session, "RAHIMOV").payload, NOW)
    audit.record_refusal(
        session=session,
        now=NOW,
        actor=officer,
        subject="authority.view",
        handler=AuthorityState.get_full_name(),
        client="192.0.2.7",
    )
    number = permit_of(session, "YUSUPOVA").number
    permits.change_status(
        session=session, principal=staff, number=number, action="revoke", reason="Fraud", now=NOW
    )
    auth.sign_in(
        session=session,
        username="officer1",
        password="officer1-demo-2026",
        address="192.0.2.7",
        now=NOW,
    )
    checks.record_crossing(
        session=session,
        principal=officer,
        text=permit_of(session, "RAHIMOV").payload,
        direction=Direction.ENTRY,
        check_id=check_id,
        now=NOW,
    )
    english = [text.sentence for text in _texts(session, staff, "en")]
    assert english[:4] == [
        f"officer1 recorded entry on permit {permit_of(session, 'RAHIMOV').number}"
        " at Fotehobod – Oybek",
        "officer1 signed in",
        f"staff revoked permit {number}: reason Fraud",
        "officer1 was refused the authority desk",
    ]
    for lang in LANGUAGES:
        texts = _texts(session, staff, lang)
        for text in texts:
            shown = [text.sentence, *(f"{label}: {value}" for label, value in text.fields)]
            assert not [s for s in shown if INTERNAL.search(s)], (lang, shown)
        refused = texts[3]
        assert t("the authority desk", lang) in refused.sentence
        assert (t("Page", lang), t("the authority desk", lang)) in refused.fields
        assert (t("Client address", lang), "192.0.2.7") in refused.fields
        assert (t("Subject", lang), t("the authority desk", lang)) in refused.fields
    russian = _texts(session, staff, "ru")[2].sentence
    assert russian == f"staff: разрешение {number} аннулировано, причина: Fraud"


def test_an_unknown_action_still_reads_as_words(session):
    staff = principal(session, "staff")
    audit.record(
        session=session,
        action="keys_exported_twice",
        now=NOW,
        actor=staff,
        subject="TJ-SGD-LBT",
        detail={"export_format": "pem_bundle", "copies": 2, "secret": None},
    )
    (text,) = _texts(session, staff, "uz")[:1]
    assert text.sentence == "staff: keys exported twice TJ-SGD-LBT"
    assert ("Export format", "pem bundle") in text.fields and ("Copies", "2") in text.fields
    assert oversight.action_name("keys_exported_twice", "ru") == "keys exported twice"


def test_every_action_the_agreements_people_record_has_a_sentence_and_a_name():
    from lbt_app.services.permits import TRANSITIONS
    from lbt_app.settings import PROJECT_ROOT

    source = "\n".join(p.read_text() for p in (PROJECT_ROOT / "lbt_app/services").glob("*.py"))
    pairs = re.findall(r'action="([a-z_]+)"(?: if \w+ else "([a-z_]+)")?', source)
    recorded = {a for pair in pairs for a in pair if a} | {"login", audit.CHECKED, checks.CHECKED}
    recorded |= {audit.REFUSED} | {f"permit_{action}" for action in TRANSITIONS}
    # Recorded without a staff member's or officer's id: never in an agreement's log.
    no_agreement_actor = {
        "logout",
        "login_failed",
        "login_throttled",
        "signup_throttled",
        "signed_up",
        "wallet_activated",
        "wallet_rotated",
        "demo_loaded",
        "installation_initialised",
        "administrator_rescued",
    }
    assert recorded - no_agreement_actor == set(oversight.SENTENCES) - {"permit_checked:"}
    assert set(oversight.ACTION_NAMES) == set(oversight.SENTENCES) - {"permit_checked:"}


def test_every_page_that_can_refuse_has_a_name():
    from lbt_app.states import (  # noqa: F401
        admin,
        admin_keys,
        admin_refusals,
        applications,
        desk,
        login,
        officer,
        residents,
        wallet,
    )
    from lbt_app.states import oversight as oversight_state  # noqa: F401
    from lbt_app.states.audit_chain import AuditChainState
    from lbt_app.states.session import SessionState

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    no_action = {login.LoginState, login.SignUpState, AuditChainState}
    for cls in set(subclasses(SessionState)) - no_action:
        assert oversight.page_of(cls.get_full_name()) != oversight.OTHER_PAGE, cls
    assert oversight.page_of("reflex___state____state.something_else") == oversight.OTHER_PAGE


def test_the_oversight_page_shows_sentences_and_translated_actions(db_url, session):
    from lbt_app.states.oversight import OversightState
    from tests.app.test_states import _client, _sub

    checks.verify_scan(
        session=session,
        principal=principal(session, "officer1"),
        text=permit_of(session, "RAHIMOV").payload,
        now=NOW,
    )
    session.commit()
    root = _client("staff")
    _sub(root, SessionState).lang_choice = "tg"
    state = _sub(root, OversightState)
    OversightState.load.fn(state)
    assert {"value": "permit_checked", "label": "Иҷозатнома санҷида шуд"} in state.actions
    OversightState.filter.fn(state, {"action": "permit_checked", "text": ""})
    assert state.action == "permit_checked"
    (line,) = state.events
    number = permit_of(session, "RAHIMOV").number
    assert line["sentence"] == f"officer1 иҷозатномаи {number}-ро санҷид: ЭЪТИБОРНОК"
    assert ["Кӣ", "officer1"] in state.event_fields[line["seq"]]
    OversightState.filter.fn(state, {"action": "no_such_action", "text": ""})
    assert state.action == ""


def _walk(session, staff, **filters):
    """The log paged from the newest to the oldest, then back: the seqs of each page."""
    pages = [oversight.audit_log(session=session, principal=staff, **filters)]
    while pages[-1].older:
        up_to = pages[-1].events[-1].seq - 1
        pages.append(oversight.audit_log(session=session, principal=staff, up_to=up_to, **filters))
    back = [pages[-1]]
    while back[-1].newer:
        newer_than = back[-1].events[0].seq
        back.append(
            oversight.audit_log(session=session, principal=staff, newer_than=newer_than, **filters)
        )
    return [[e.seq for e in p.events] for p in pages], [[e.seq for e in p.events] for p in back]


def _record(session, count: int, action: str = "permit_checked", actor: str = "officer2"):
    who = principal(session, actor)
    return [
        audit.record(session=session, action=action, now=NOW, actor=who, subject=f"TJ-X{i}").seq
        for i in range(count)
    ]


def test_the_audit_log_pages_by_keyset_every_event_once_forward_and_back(session):
    staff = principal(session, "staff")
    mine = _record(session, 2 * oversight.PAGE_SIZE + 7)
    _record(session, 5, actor="admin")  # not a user of the agreement: never shown
    # the demo's one agreement: its staff and officers
    users = {u.id for u in session.exec(select(User)) if u.authority_id or u.crossing_point_id}
    ours = [e.seq for e in session.exec(select(AuditEvent)) if e.actor_id in users]
    for filters, expected in [
        ({}, sorted(ours, reverse=True)),
        ({"action": "permit_checked", "text": "TJ-X"}, sorted(mine, reverse=True)),
        (
            {"text": "TJ-X1"},
            sorted([s for i, s in enumerate(mine) if str(i).startswith("1")])[::-1],
        ),
    ]:
        forward, back = _walk(session, staff, **filters)
        assert [seq for page in forward for seq in page] == expected, filters
        assert back == forward[::-1], filters
        assert all(0 < len(page) <= oversight.PAGE_SIZE for page in forward)
        assert oversight.audit_log(session=session, principal=staff, **filters).count == len(
            expected
        )
    stranger = dataclasses.replace(staff, agreement_id=999)
    assert _walk(session, stranger) == ([[]], [[]])


def test_keyset_pages_stay_right_when_events_arrive_between_pages(session):
    staff = principal(session, "staff")
    mine = _record(session, 2 * oversight.PAGE_SIZE)
    first = oversight.audit_log(session=session, principal=staff, text="TJ-X")
    arrived = _record(session, 3)  # while the reader looks at the first page
    up_to = first.events[-1].seq - 1
    second = oversight.audit_log(session=session, principal=staff, text="TJ-X", up_to=up_to)
    assert [e.seq for e in second.events] == sorted(mine, reverse=True)[oversight.PAGE_SIZE :]
    assert second.newer and not second.older
    newer_than = second.events[0].seq
    back = oversight.audit_log(session=session, principal=staff, text="TJ-X", newer_than=newer_than)
    assert [e.seq for e in back.events] == [e.seq for e in first.events] and back.newer
    newest = oversight.audit_log(
        session=session, principal=staff, text="TJ-X", newer_than=back.events[0].seq
    )
    assert [e.seq for e in newest.events] == arrived[::-1] and not newest.newer


def test_the_action_filter_lists_the_apps_own_actions_not_the_logs(session):
    staff = principal(session, "staff")
    assert oversight.audit_actions(principal=staff) == list(oversight.ACTION_NAMES)
    with pytest.raises(AccessDenied):
        oversight.audit_actions(principal=principal(session, "officer1"))
