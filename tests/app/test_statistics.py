"""The authority dashboard counted by the database: the same figures as reading every permit
and crossing (the reference below, how the dashboard used to count), and few rows fetched."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import Session, col, insert, select

from lbt_app.core.stay import Direction, Passage, opening_entry, stay_status
from lbt_app.db import migrate
from lbt_app.db.engine import engine_for
from lbt_app.db.models import (
    Agreement,
    Application,
    ApplicationStatus,
    Authority,
    BorderArea,
    Crossing,
    CrossingPoint,
    CrossingTally,
    OpenStay,
    OpenStayTally,
    Permit,
    PermitTally,
    Resident,
)
from lbt_app.services import (
    agreements,
    applications,
    checks,
    demo,
    issuing,
    permits,
    statistics,
)
from lbt_app.services.permits import effective_status
from lbt_app.services.stays import stay_rules
from lbt_app.settings import get_settings
from tests.app.factories import principal
from tests.conftest import NOW


def _reference(session: Session, principal, now: datetime) -> statistics.Dashboard:
    """Everything loaded and counted in Python."""
    agreement = session.get(Agreement, principal.agreement_id)
    zone = ZoneInfo(agreement.timezone)
    today = now.astimezone(zone).date()
    authorities = select(Authority.id).where(Authority.agreement_id == agreement.id)
    permits = session.exec(select(Permit).where(col(Permit.authority_id).in_(authorities))).all()
    by_status = Counter(str(effective_status(p, today)) for p in permits)
    pending = session.exec(
        select(sa.func.count())
        .select_from(Application)
        .where(
            col(Application.authority_id).in_(authorities),
            Application.status == ApplicationStatus.SUBMITTED,
        )
    ).one()
    first_day = today - timedelta(days=statistics.CHART_DAYS - 1)
    since = datetime.combine(first_day, time.min, zone).astimezone(UTC)
    recent = session.exec(
        select(Crossing.at, CrossingPoint.code)
        .join(CrossingPoint, col(CrossingPoint.id) == Crossing.crossing_point_id)
        .where(CrossingPoint.agreement_id == agreement.id, col(Crossing.at) >= since)
    ).all()
    points = dict(
        session.exec(
            select(CrossingPoint.code, CrossingPoint.name)
            .where(CrossingPoint.agreement_id == agreement.id)
            .order_by(CrossingPoint.id)
        ).all()
    )
    per_day: dict[date, Counter] = defaultdict(Counter)
    for at, code in recent:
        per_day[at.astimezone(zone).date()][code] += 1
    chart = [
        {"day": day, **{p: per_day[day][p] for p in points}}
        for day in (first_day + timedelta(days=i) for i in range(statistics.CHART_DAYS))
    ]
    rows = session.exec(
        select(Permit.resident_id, Permit.id, Permit.max_stay_days, Crossing.at, Crossing.direction)
        .join(Permit, col(Permit.id) == Crossing.permit_id)
        .where(col(Permit.authority_id).in_(authorities))
    ).all()
    passages: dict[int, list[Passage]] = defaultdict(list)
    entered_with: dict[tuple[int, Passage], int] = {}  # a stay is judged by its entry's permit
    for resident_id, _permit, max_stay_days, at, direction in sorted(rows, key=lambda r: r[1]):
        passage = Passage(at, Direction(direction))
        passages[resident_id].append(passage)
        entered_with.setdefault((resident_id, passage), max_stay_days)
    inside, attention = 0, []
    for resident_id, history in passages.items():
        entry = opening_entry(history, now)
        if entry is None:
            continue
        status = stay_status(history, stay_rules(agreement, entered_with[resident_id, entry]), now)
        inside += 1
        if status.near_limit or status.over_limit:
            resident = session.get(Resident, resident_id)
            attention.append(
                (
                    resident_id,
                    statistics.Holder(
                        name=f"{resident.surname_latin} {resident.given_names_latin}",
                        document_number=resident.document_number,
                        entered_on=status.entered_on,
                        days_used=status.days_used,
                        must_leave_by=status.must_leave_by,
                        over_limit=status.over_limit,
                    ),
                )
            )
    attention.sort(key=lambda h: (not h[1].over_limit, h[1].must_leave_by, h[0]))
    return statistics.Dashboard(
        figures={
            "active": by_status.get("active", 0),
            "pending": pending,
            "crossings_today": sum(per_day[today].values()),
            "inside": inside,
            "near_limit": sum(1 for _, h in attention if not h.over_limit),
            "over_limit": sum(1 for _, h in attention if h.over_limit),
        },
        permits_by_status=dict(by_status),
        points=points,
        crossings_per_day=chart,
        attention=[h for _, h in attention[: statistics.ATTENTION_LIMIT]],
    )


def _populate(session: Session, holders: int, history, seed: int = 14) -> None:
    """`holders` residents of the demo authority with a permit each (one in four renewed: a
    second permit), and the crossings `history(rng, i)` gives as (days before NOW, direction)."""
    rng = random.Random(seed)
    authority = session.exec(select(Authority).where(Authority.code == "TJ-SGD-LBT")).one()
    home = session.exec(select(BorderArea.id).where(BorderArea.code == "TJ-SGD")).one()
    host = session.exec(select(BorderArea.id).where(BorderArea.code == "UZ-FRG")).one()
    points = list(session.exec(select(CrossingPoint.id)).all())
    base = session.exec(select(sa.func.max(Resident.id))).one() or 0
    session.execute(
        insert(Resident),
        [
            {
                "id": base + i,
                "authority_id": authority.id,
                "border_area_id": home,
                "surname_native": "Тест",
                "given_names_native": "Тест",
                "surname_latin": f"HOLDER{i:05d}",
                "given_names_latin": "TEST",
                "birth_date": date(1980, 1, 1),
                "nationality": "TJK",
                "document_number": f"T{i:07d}",
                "address": "Khujand",
                "residence_since": date(2000, 1, 1),
                "created_at": NOW,
                "search_text": f"holder{i:05d} t{i:07d}",
            }
            for i in range(1, holders + 1)
        ],
    )
    permits, crossings, number = [], [], 0
    for i in range(1, holders + 1):
        for renewal in range(2 if i % 4 == 0 else 1):
            number += 1
            start = NOW.date() - timedelta(days=rng.randrange(-20, 1500))
            permits.append(
                {
                    "number": f"TEST-{number:06d}",
                    "resident_id": base + i,
                    "authority_id": authority.id,
                    "border_area_id": host,
                    "valid_from": start,
                    "valid_until": start + timedelta(days=rng.choice([365, 730, 1825])),
                    "max_stay_days": rng.choice([30, 30, 20]) if renewal else 30,
                    "status": rng.choice(["active"] * 8 + ["suspended", "revoked"]),
                    "issued_at": NOW,
                    "payload": "",
                }
            )
    session.execute(insert(Permit), permits)
    ids = dict(session.exec(select(Permit.number, Permit.id)).all())
    by_resident: dict[int, list[int]] = defaultdict(list)
    for p in permits:
        by_resident[p["resident_id"] - base].append(ids[p["number"]])
    for i, permit_ids in by_resident.items():
        for days_ago, direction in history(rng, i):
            crossings.append(
                {
                    "permit_id": rng.choice(permit_ids),
                    "crossing_point_id": rng.choice(points),
                    "direction": direction,
                    "at": NOW - timedelta(days=days_ago),
                    "verdict": "VALID",
                    "code": "valid",
                }
            )
    if crossings:
        session.execute(insert(Crossing), crossings)
    statistics.rebuild(session=session, now=NOW)  # rows written around the ORM
    session.commit()


def _untidy(rng: random.Random, _i: int) -> list[tuple[float, str]]:
    """Trips, some with a missed scan (two entries, two exits), some crossings at the same
    instant, some after NOW."""
    out, day = [], rng.uniform(0, 150)
    for k in range(rng.randrange(0, 11)):
        direction = "entry" if k % 2 == 0 else "exit"
        if rng.random() < 0.15:
            direction = rng.choice(["entry", "exit"])
        if day < 0:  # recorded crossings are in the past
            break
        out.append((day, direction))
        if rng.random() < 0.05:
            out.append((day, "exit" if direction == "entry" else "entry"))
        day -= rng.choice([0.3, 1, 3, 12, 20, 28])
    return out


@pytest.mark.parametrize("cap", [None, (40, 60)])
def test_the_dashboard_counts_as_if_it_read_every_permit_and_crossing(session, cap):
    if cap:  # an N-in-M cap: every stay inside may be near its limit
        agreement = session.exec(select(Agreement)).first()
        agreement.period_cap_days, agreement.period_days = cap
        session.add(agreement)
        session.commit()
    _populate(session, 1500, _untidy)
    staff = principal(session, "staff")
    for now in [NOW, NOW + timedelta(days=2, hours=5), NOW + timedelta(days=26)]:
        board = statistics.dashboard(session=session, principal=staff, now=now)
        assert board == _reference(session, staff, now)
    assert board.figures["inside"] > 100 and board.attention


def test_a_change_of_the_stay_rules_judges_the_holders_inside_again(session):
    """An N-in-M cap set (then lifted) while holders are inside: their last allowed day is the
    new rules', as counting everything again gives it."""
    _populate(session, 800, _untidy)
    admin, staff = principal(session, "admin"), principal(session, "staff")
    agreement = session.exec(select(Agreement)).first()
    rules = {k: str(getattr(agreement, k) or "") for k in agreements.RULES}
    for cap, period in [("40", "60"), ("", "")]:
        changed, errors = agreements.change_agreement(
            session=session,
            principal=admin,
            code=agreement.code,
            raw={**rules, "period_cap_days": cap, "period_days": period},
            now=NOW,
            part="rules",
        )
        assert errors == {} and changed.period_cap_days == (int(cap) if cap else None)
        session.commit()
        board = statistics.dashboard(session=session, principal=staff, now=NOW)
        assert board == _reference(session, staff, NOW)
    assert board.figures["inside"] > 50


def _trips(rng: random.Random, i: int) -> list[tuple[float, str]]:
    """Nine crossings, the last an exit 1–60 days ago; one holder in 20 entered again 0–10
    days ago (inside, not near the limit); the first five holders entered 40 days ago."""
    last = 40 if i <= 5 else rng.uniform(11, 60)
    out = [(last + 11 * k, "exit" if k % 2 == 0 else "entry") for k in range(8)]
    if i <= 5 or i % 20 == 0:
        out.append((last if i <= 5 else rng.uniform(0, 10), "entry"))
        out = out[1:] if i <= 5 else out
    return out


def test_the_dashboard_fetches_a_bounded_number_of_rows(session):
    """Thousands of permits and crossings, yet the dashboard fetches a few hundred rows: the
    figures, the chart, and the histories of the five holders over their limit."""
    _populate(session, 3000, _trips)
    staff = principal(session, "staff")
    fetched: list[int] = []

    @sa.event.listens_for(session, "do_orm_execute")
    def count(state):
        frozen = state.invoke_statement().freeze()
        fetched.append(len(frozen().all()))
        return frozen()

    board = statistics.dashboard(session=session, principal=staff, now=NOW)
    sa.event.remove(session, "do_orm_execute", count)
    assert board.figures["over_limit"] == 5 and board.figures["inside"] > 100
    assert session.exec(select(sa.func.count()).select_from(Crossing)).one() > 20_000
    assert sum(fetched) < 300, fetched


def test_every_write_path_keeps_the_figures_right(session):
    """A random sequence through the services the pages call: officers' checks and records
    (several at one instant, entries refused when inside), suspensions, revocations,
    reinstatements, renewals (a second permit per holder) and approvals; after each, the
    dashboard equals everything counted again."""
    rng = random.Random(1414)
    staff, officers = (
        principal(session, "staff"),
        [principal(session, "officer1"), principal(session, "officer2")],
    )
    kek = get_settings().key_encryption_key()
    authorities = select(Authority.id).where(Authority.agreement_id == staff.agreement_id)
    now, steps = NOW, Counter()
    for _ in range(160):
        now += rng.choice(
            [timedelta(0), timedelta(minutes=7), timedelta(hours=9), timedelta(days=3)]
        )
        numbers = session.exec(
            select(Permit.number)
            .where(col(Permit.authority_id).in_(authorities))
            .order_by(Permit.id)
        ).all()
        number = rng.choice(numbers)
        kind = rng.choice(["cross"] * 6 + ["status", "renew", "approve"])
        try:
            if kind == "cross":
                officer = rng.choice(officers)
                permit = session.exec(select(Permit).where(Permit.number == number)).one()
                check = checks.verify_scan(
                    session=session, principal=officer, text=permit.payload, now=now
                )
                if check.direction in check.recordable:
                    checks.record_crossing(
                        session=session,
                        principal=officer,
                        text=permit.payload,
                        direction=check.direction,
                        check_id=check.check_id,
                        now=now,
                    )
            elif kind == "status":
                action = rng.choice(["suspend", "reinstate", "revoke", "reinstate"])
                permits.change_status(
                    session=session,
                    principal=staff,
                    number=number,
                    action=action,
                    reason="test",
                    now=now,
                )
            elif kind == "renew":
                issuing.renew(
                    session=session, principal=staff, number=number, years=2, kek=kek, now=now
                )
            else:
                pending = applications.queue(session=session, principal=staff, today=now.date())
                if not pending:
                    continue
                application = pending[0].application
                applications.approve(
                    session=session,
                    principal=staff,
                    application_id=application.id or 0,
                    years=2,
                    points=["FOTEHOBOD", "PATAR"],
                    kek=kek,
                    now=now,
                )
        except (
            permits.PermitError,
            issuing.IssueError,
            applications.ApplicationError,
            checks.CrossingError,
        ):
            session.rollback()
            continue
        session.commit()
        steps[kind] += 1
        board = statistics.dashboard(session=session, principal=staff, now=now)
        assert board == _reference(session, staff, now), (kind, number, now)
    assert steps["cross"] > 40 and steps["status"] and steps["renew"], steps
    assert board.figures["inside"] >= 1
    # the tally per last day is the open stays counted (days no stay ends on stay at zero)
    stays = Counter(session.exec(select(OpenStay.agreement_id, OpenStay.must_leave_by)).all())
    tally = session.exec(
        select(OpenStayTally.agreement_id, OpenStayTally.must_leave_by, OpenStayTally.n)
    ).all()
    assert {(a, day): n for a, day, n in tally if n} == stays and len(stays) > 1


def test_a_rebuild_counts_what_was_kept_on_write(session):
    """The migration's backfill and the loaders' rebuild give the figures kept on write."""
    _populate(session, 300, _untidy)
    staff = principal(session, "staff")
    kept = statistics.dashboard(session=session, principal=staff, now=NOW)
    kinds = (PermitTally, CrossingTally, OpenStay, OpenStayTally)
    tallies = {t: session.exec(select(t)).all() for t in kinds}
    statistics.rebuild(session=session, now=NOW)
    session.commit()
    session.expire_all()
    assert statistics.dashboard(session=session, principal=staff, now=NOW) == kept
    assert {t: session.exec(select(t)).all() for t in tallies} == tallies


def test_the_migration_fills_the_tables_as_everything_counted_gives(empty_url):
    """Down to the schema before the tallies and up again: the backfill counts the demo's
    permits and crossings (and a thousand more holders) as reading all of them does."""
    migrate.upgrade(empty_url)
    with Session(engine_for(empty_url)) as session:
        demo.load(session=session, kek=bytes(32), now=NOW)
        session.commit()
        _populate(session, 1000, _untidy)
        staff = principal(session, "staff")
        expected = _reference(session, staff, NOW)
    config = migrate.alembic_config()
    with engine_for(empty_url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "5db6ca1559d4")
        assert "openstay" not in sa.inspect(connection).get_table_names()
    migrate.upgrade(empty_url)
    with Session(engine_for(empty_url)) as session:
        board = statistics.dashboard(session=session, principal=staff, now=NOW)
    assert board == expected
    assert board.figures["inside"] > 50 and board.attention


def test_the_attention_list_stops_at_its_cap_and_the_figures_count_all(session):
    """Hundreds of holders over their limit: the list shows the most urgent few, the figures
    count every one of them."""
    _populate(session, 2000, lambda rng, i: [(rng.uniform(31, 60), "entry")] if i % 4 else [])
    staff = principal(session, "staff")
    board = statistics.dashboard(session=session, principal=staff, now=NOW)
    assert board.figures["over_limit"] > 10 * statistics.ATTENTION_LIMIT
    assert len(board.attention) == statistics.ATTENTION_LIMIT
    assert board == _reference(session, staff, NOW)
