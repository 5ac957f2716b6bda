"""A holder's stay, counted from the crossings of all their permits (a renewal does not
restart a stay): one place for the officer's check, the wallet and the desk."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import load_only
from sqlmodel import Session, case, col, func, or_, select

from lbt_app.core.stay import (
    Direction,
    Passage,
    StayRules,
    StayStatus,
    opening_entry,
    stay_status,
)
from lbt_app.db import tallies
from lbt_app.db.models import (
    Agreement,
    Authority,
    Crossing,
    CrossingPoint,
    OpenStay,
    OpenStayTally,
    Permit,
)


@dataclass(frozen=True)
class PastCrossing:
    at: datetime
    direction: str
    point: str  # the crossing point's code
    point_name: str


def stay_rules(agreement: Agreement, max_stay_days: int) -> StayRules:
    """The rules a stay is counted by: the days per stay the holder's permit was signed with
    (a later change of the agreement applies to new permits), the agreement's N-in-M cap."""
    return StayRules(
        max_stay_days=max_stay_days,
        period_cap_days=agreement.period_cap_days,
        period_days=agreement.period_days,
        timezone=agreement.timezone,
    )


def history(session: Session, resident_id: int) -> list[tuple[Crossing, str, str]]:
    """Crossings of all the holder's permits: a renewal does not restart a stay."""
    return list(
        session.exec(
            select(Crossing, CrossingPoint.code, CrossingPoint.name)
            .join(Permit, col(Permit.id) == Crossing.permit_id)
            .join(CrossingPoint, col(CrossingPoint.id) == Crossing.crossing_point_id)
            .where(Permit.resident_id == resident_id)
            .order_by(col(Crossing.at).desc())
        ).all()
    )


def stay_of(
    session: Session, permit: Permit, agreement: Agreement, now: datetime, last: int = 5
) -> tuple[StayStatus, tuple[PastCrossing, ...]]:
    """The holder's stay under `permit` as of `now` and their `last` crossings, newest first."""
    crossings = history(session, permit.resident_id)
    stay = stay_status(
        [Passage(c.at, Direction(c.direction)) for c, _, _ in crossings],
        stay_rules(agreement, permit.max_stay_days),
        now,
    )
    return stay, tuple(
        PastCrossing(c.at, c.direction, code, name) for c, code, name in crossings[:last]
    )


# --- holders inside now: the open stays, written with each crossing -----------------------


def settle(session: Session, *, agreement: Agreement, resident_id: int, now: datetime) -> None:
    """A crossing of the holder was just recorded: their open stay becomes what core reads in
    their history (an entry opens one, an exit ends it; an entry at the instant of an exit is
    read first, as `stay_status` reads it). The caller holds the holder's lock
    (`checks.record_crossing`), so the row is written by one transaction at a time."""
    history = _histories().where(
        Authority.agreement_id == agreement.id, Permit.resident_id == resident_id
    )
    rows = _open_stays(session, {agreement.id: agreement}, history, now)
    held = (col(OpenStay.agreement_id) == agreement.id, col(OpenStay.resident_id) == resident_id)
    was = session.execute(select(OpenStay.must_leave_by).where(*held)).scalar_one_or_none()
    is_now = rows[0]["must_leave_by"] if rows else None
    if was != is_now:
        _add_to_tally(session, agreement.id or 0, Counter({was: -1, is_now: 1}))
    if not rows:
        session.execute(sa.delete(OpenStay).where(*held))
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(OpenStay.__table__).values(rows)
    keys = ["agreement_id", "resident_id"]
    session.execute(
        insert.on_conflict_do_update(
            index_elements=keys,
            set_={c: insert.excluded[c] for c in rows[0] if c not in keys},
        )
    )


def rebuild_open_stays(session: Session, now: datetime) -> int:
    """Find every holder inside as of `now` again, from all the crossings: the database finds
    whose latest entry is later than their latest exit (one grouped pass), and streams those
    holders' histories to core, which finds the entry that opened each stay and its last
    allowed day. Returns how many are inside."""
    c = Crossing
    ends = (
        select(
            col(Permit.resident_id).label("resident_id"),
            col(Authority.agreement_id).label("agreement_id"),
            func.max(case((col(c.direction) == Direction.EXIT.value, c.at))).label("last_exit"),
            func.max(case((col(c.direction) == Direction.ENTRY.value, c.at))).label("last_entry"),
        )
        .join(Permit, col(Permit.id) == c.permit_id)
        .join(Authority, col(Authority.id) == Permit.authority_id)
        .where(col(c.at) <= now)
        .group_by(Permit.resident_id, Authority.agreement_id)
        .subquery()
    )
    inside = (
        select(ends.c.agreement_id, ends.c.resident_id)
        .where(
            ends.c.last_entry.is_not(None),
            or_(ends.c.last_exit.is_(None), ends.c.last_entry > ends.c.last_exit),
        )
        .subquery()
    )
    history = _histories().join(
        inside,
        (inside.c.resident_id == Permit.resident_id)
        & (inside.c.agreement_id == Authority.agreement_id),
    )
    # only what the stay rules read: the migration that made the table runs this too
    rules = load_only(
        Agreement.id, Agreement.timezone, Agreement.period_cap_days, Agreement.period_days
    )
    agreements = {a.id: a for a in session.exec(select(Agreement).options(rules)).all()}
    rows = _open_stays(session, agreements, history, now)
    session.execute(sa.delete(OpenStay))
    if rows:  # multi-row VALUES, a thousand rows a statement
        session.connection().execute(sa.insert(OpenStay.__table__), rows)
    _recount_tally(session)
    return len(rows)


def resettle(session: Session, *, agreement: Agreement, now: datetime) -> int:
    """The agreement's stay rules or time zone changed: its holders inside are judged again
    by the new rules (their last allowed day), reading only their histories. Returns how many
    are inside."""
    inside = select(OpenStay.resident_id).where(OpenStay.agreement_id == agreement.id)
    history = _histories().where(
        Authority.agreement_id == agreement.id, col(Permit.resident_id).in_(inside)
    )
    rows = _open_stays(session, {agreement.id: agreement}, history, now)
    session.execute(sa.delete(OpenStay).where(col(OpenStay.agreement_id) == agreement.id))
    if rows:
        session.connection().execute(sa.insert(OpenStay.__table__), rows)
    _recount_tally(session, agreement.id)
    return len(rows)


def _add_to_tally(session: Session, agreement_id: int, deltas: Counter) -> None:
    """One holder's stay opened, closed or got another last day: the tally of open stays per
    last day follows. A day no stay ends on any more keeps its row at zero (a row a day, at
    most; the next rebuild drops them)."""
    days = Counter({(agreement_id, day): n for day, n in deltas.items() if day is not None})
    table = OpenStayTally.__table__
    tallies.add(session.connection(), table, ["agreement_id", "must_leave_by"], days)


def _recount_tally(session: Session, agreement_id: int | None = None) -> None:
    """The tally of open stays per last day counted again from the open stays (of one
    agreement, or of all): after they were written all at once."""
    stays, tally = OpenStay.__table__, OpenStayTally.__table__
    keys = [stays.c.agreement_id, stays.c.must_leave_by]
    counted = sa.select(*keys, sa.func.count()).group_by(*keys)
    wiped = sa.delete(tally)
    if agreement_id is not None:
        counted = counted.where(stays.c.agreement_id == agreement_id)
        wiped = wiped.where(tally.c.agreement_id == agreement_id)
    session.execute(wiped)
    session.execute(tally.insert().from_select(["agreement_id", "must_leave_by", "n"], counted))


def _histories():
    """Crossings with their holder, agreement and permit, in each holder's order."""
    return (
        select(
            Authority.agreement_id,
            Permit.resident_id,
            Permit.id,
            Permit.max_stay_days,
            Crossing.at,
            Crossing.direction,
        )
        .join(Permit, col(Permit.id) == Crossing.permit_id)
        .join(Authority, col(Authority.id) == Permit.authority_id)
        .order_by(Authority.agreement_id, Permit.resident_id)
    )


def _open_stays(
    session: Session, agreements: dict[int | None, Agreement], history, now: datetime
) -> list[dict]:
    """The open stays core finds in `history` (`_histories`, filtered), one holder at a time."""
    out = []
    rows = session.execute(history)
    for (agreement_id, resident_id), crossings in groupby(rows, key=lambda r: (r[0], r[1])):
        passages: list[Passage] = []
        entered_with: dict[Passage, tuple[int, int]] = {}
        for _, _, permit_id, max_stay_days, at, direction in crossings:
            passage = Passage(at, Direction(direction))
            passages.append(passage)
            # two entries at one instant: the first permit's (core reads them as one)
            found = entered_with.get(passage, (permit_id, max_stay_days))
            entered_with[passage] = min(found, (permit_id, max_stay_days))
        entry = opening_entry(passages, now)
        if entry is None:
            continue
        permit_id, max_stay_days = entered_with[entry]
        agreement = agreements[agreement_id]
        status = stay_status(passages, stay_rules(agreement, max_stay_days), now)
        out.append(
            {
                "agreement_id": agreement_id,
                "resident_id": resident_id,
                "permit_id": permit_id,
                "entered_at": entry.at,
                "must_leave_by": status.must_leave_by,
            }
        )
    return out
