"""A holder's stay, counted from the crossings of all their permits (a renewal does not
restart a stay): one place for the officer's check, the wallet and the desk."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, case, col, func, or_, select

from lbt_app.core.stay import (
    Direction,
    Passage,
    StayRules,
    StayStatus,
    opening_entry,
    stay_status,
)
from lbt_app.db.models import Agreement, Authority, Crossing, CrossingPoint, OpenStay, Permit


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
    session.execute(
        sa.delete(OpenStay).where(
            col(OpenStay.agreement_id) == agreement.id, col(OpenStay.resident_id) == resident_id
        )
    )
    rows = _open_stays(session, agreement, [resident_id], now)
    if rows:
        session.execute(sa.insert(OpenStay), rows)


_HISTORIES_AT_ONCE = 2000


def rebuild_open_stays(session: Session, now: datetime) -> int:
    """Find every holder inside as of `now` again, from all the crossings: the database finds
    whose latest entry is later than their latest exit (one grouped pass); core reads those
    holders' histories, a few thousand at a time, for the entry that opened the stay and its
    last allowed day. Returns how many are inside."""
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
    inside = session.exec(
        select(ends.c.agreement_id, ends.c.resident_id).where(
            ends.c.last_entry.is_not(None),
            or_(ends.c.last_exit.is_(None), ends.c.last_entry > ends.c.last_exit),
        )
    ).all()
    session.execute(sa.delete(OpenStay))
    agreements = {a.id: a for a in session.exec(select(Agreement)).all()}
    by_agreement: dict[int, list[int]] = defaultdict(list)
    for agreement_id, resident_id in inside:
        by_agreement[agreement_id].append(resident_id)
    for agreement_id, residents in by_agreement.items():
        agreement = agreements[agreement_id]
        residents.sort()
        for start in range(0, len(residents), _HISTORIES_AT_ONCE):
            chunk = residents[start : start + _HISTORIES_AT_ONCE]
            rows = _open_stays(session, agreement, chunk, now)
            if rows:
                session.execute(sa.insert(OpenStay), rows)
    return len(inside)


def _open_stays(
    session: Session, agreement: Agreement, residents: list[int], now: datetime
) -> list[dict]:
    rows = session.exec(
        select(Permit.resident_id, Permit.id, Permit.max_stay_days, Crossing.at, Crossing.direction)
        .join(Permit, col(Permit.id) == Crossing.permit_id)
        .join(Authority, col(Authority.id) == Permit.authority_id)
        .where(Authority.agreement_id == agreement.id, col(Permit.resident_id).in_(residents))
    ).all()
    passages: dict[int, list[Passage]] = defaultdict(list)
    entered_with: dict[tuple[int, Passage], tuple[int, int]] = {}
    for resident_id, permit_id, max_stay_days, at, direction in rows:
        passage = Passage(at, Direction(direction))
        passages[resident_id].append(passage)
        # two entries at one instant: the first permit's (core reads them as one)
        key = (resident_id, passage)
        entered_with[key] = min(
            entered_with.get(key, (permit_id, max_stay_days)), (permit_id, max_stay_days)
        )
    out = []
    for resident_id, history in passages.items():
        entry = opening_entry(history, now)
        if entry is None:
            continue
        permit_id, max_stay_days = entered_with[(resident_id, entry)]
        status = stay_status(history, stay_rules(agreement, max_stay_days), now)
        out.append(
            {
                "agreement_id": agreement.id,
                "resident_id": resident_id,
                "permit_id": permit_id,
                "entered_at": entry.at,
                "must_leave_by": status.must_leave_by,
            }
        )
    return out
