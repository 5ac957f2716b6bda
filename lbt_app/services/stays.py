"""A holder's stay, counted from the crossings of all their permits (a renewal does not
restart a stay): one place for the officer's check, the wallet and the desk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from lbt_app.core.stay import Direction, Passage, StayRules, StayStatus, stay_status
from lbt_app.db.models import Agreement, Crossing, CrossingPoint, Permit


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
