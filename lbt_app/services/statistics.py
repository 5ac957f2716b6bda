"""The authority's dashboard: headline figures, holders inside, crossings per day and point.

Everything is counted within the caller's agreement, days in the agreement's time zone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, cast, or_, true
from sqlalchemy.orm import aliased
from sqlmodel import Session, case, col, func, select

from lbt_app.core.access import Action, Principal, require
from lbt_app.core.stay import NEAR_LIMIT_DAYS, Direction, Passage, stay_status
from lbt_app.db.models import (
    Agreement,
    Application,
    ApplicationStatus,
    Authority,
    Crossing,
    CrossingPoint,
    Permit,
    Resident,
)
from lbt_app.services.permits import effective_status_sql
from lbt_app.services.stays import stay_rules

CHART_DAYS = 30
_BEFORE_ALL = datetime(1, 1, 2, tzinfo=UTC)  # "no exit yet": earlier than any crossing


@dataclass(frozen=True)
class Holder:
    name: str
    document_number: str
    entered_on: date
    days_used: int
    must_leave_by: date | None
    over_limit: bool


@dataclass(frozen=True)
class Dashboard:
    figures: dict[str, int]
    permits_by_status: dict[str, int]
    points: list[str]
    # one row per day, oldest first: {"day": date, point code: crossings that day, ...}
    crossings_per_day: list[dict[str, object]]
    # holders inside who are near or over their stay limit, the most urgent first
    attention: list[Holder]


def dashboard(*, session: Session, principal: Principal | None, now: datetime) -> Dashboard:
    """Counted by the database: grouped counts, indexed ranges and each permit's last crossing;
    only the few holders near or over their limit are read in full (the stay rules of core)."""
    principal = require(principal, Action.VIEW_AUTHORITY_DESK)
    agreement = session.get(Agreement, principal.agreement_id)
    if agreement is None:
        return Dashboard({}, {}, [], [], [])
    zone = ZoneInfo(agreement.timezone)
    today = now.astimezone(zone).date()
    authorities = select(Authority.id).where(Authority.agreement_id == agreement.id)
    status = effective_status_sql(today)
    counted = session.exec(
        select(status, func.count(), func.min(Permit.max_stay_days))
        .where(col(Permit.authority_id).in_(authorities))
        .group_by(status)
    ).all()
    by_status = {str(s): n for s, n, _ in counted}
    pending = session.exec(
        select(func.count())
        .select_from(Application)
        .where(
            col(Application.authority_id).in_(authorities),
            Application.status == ApplicationStatus.SUBMITTED,
        )
    ).one()
    points = list(
        session.exec(
            select(CrossingPoint.code)
            .where(CrossingPoint.agreement_id == agreement.id)
            .order_by(CrossingPoint.id)
        ).all()
    )
    days = [today - timedelta(days=CHART_DAYS - 1 - i) for i in range(CHART_DAYS)]
    per_day = _crossings_per_day(session, agreement, days, zone)
    chart = [{"day": day, **{p: per_day.get((day, p), 0) for p in points}} for day in days]
    shortest_stay = min((m for _, _, m in counted), default=agreement.max_stay_days)
    attention, inside = _stays(session, agreement, authorities, now, shortest_stay)
    return Dashboard(
        figures={
            "active": by_status.get("active", 0),
            "pending": pending,
            "crossings_today": sum(per_day.get((today, p), 0) for p in points),
            "inside": inside,
            "near_limit": sum(1 for h in attention if not h.over_limit),
            "over_limit": sum(1 for h in attention if h.over_limit),
        },
        permits_by_status=by_status,
        points=points,
        crossings_per_day=chart,
        attention=attention,
    )


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, zone).astimezone(UTC)


def _crossings_per_day(
    session: Session, agreement: Agreement, days: list[date], zone: ZoneInfo
) -> dict[tuple[date, str], int]:
    """Crossings at the agreement's points per calendar day (in its zone) and point: one
    grouped count over an indexed range of crossing times; the day boundaries come from
    Python, so summer time and every backend agree."""
    bounds = [_midnight(day, zone) for day in [*days, days[-1] + timedelta(days=1)]]
    day_of = case(
        *((col(Crossing.at) < end, i) for i, end in enumerate(bounds[1:])),
        else_=None,
    )
    rows = session.exec(
        select(day_of, CrossingPoint.code, func.count())
        .join(CrossingPoint, col(CrossingPoint.id) == Crossing.crossing_point_id)
        .where(
            CrossingPoint.agreement_id == agreement.id,
            col(Crossing.at) >= bounds[0],
            col(Crossing.at) < bounds[-1],
        )
        .group_by(day_of, CrossingPoint.code)
    ).all()
    return {(days[i], code): n for i, code, n in rows}


def _inside(authorities, now: datetime):
    """Holders inside now, one row each: those whose last crossing (of all their permits of
    the agreement, as of `now`) is an entry — what `stay_status` calls inside, found through
    each permit's last crossing (index on crossing permit_id, at, direction), with the time
    their stay began (the first entry after their last exit). A holder whose two permits' last
    crossings are entries at the same instant has two rows."""
    last = (  # a permit's last crossing; an exit wins a tie (core/stay.py reads entry first)
        select(Crossing.direction)
        .where(Crossing.permit_id == Permit.id, col(Crossing.at) <= now)
        .order_by(col(Crossing.at).desc(), col(Crossing.direction).desc())
        .limit(1)
        .scalar_subquery()
    )
    last_at = (
        select(func.max(Crossing.at))
        .where(Crossing.permit_id == Permit.id, col(Crossing.at) <= now)
        .scalar_subquery()
    )
    entered = (
        select(Permit.resident_id.label("resident_id"), last_at.label("at"))
        .where(col(Permit.authority_id).in_(authorities), last == Direction.ENTRY.value)
        .cte("entered")
        .prefix_with("MATERIALIZED")  # each permit's last crossing looked up once
    )
    other = aliased(Permit)
    later = (  # a crossing of another of the holder's permits after that entry
        select(Crossing.id)
        .join(other, col(other.id) == Crossing.permit_id)
        .where(
            other.resident_id == entered.c.resident_id,
            col(other.authority_id).in_(authorities),
            col(Crossing.at) <= now,
            or_(
                col(Crossing.at) > entered.c.at,
                and_(col(Crossing.at) == entered.c.at, Crossing.direction == Direction.EXIT.value),
            ),
        )
        .exists()
    )
    holders = select(entered.c.resident_id).where(~later).subquery("inside")
    exit_, exit_permit = aliased(Crossing), aliased(Permit)
    last_exit = (
        select(func.max(exit_.at))
        .join(exit_permit, col(exit_permit.id) == exit_.permit_id)
        .where(
            exit_permit.resident_id == holders.c.resident_id,
            col(exit_permit.authority_id).in_(authorities),
            exit_.direction == Direction.EXIT.value,
            col(exit_.at) <= now,
        )
        .correlate(holders)
        .scalar_subquery()
    )
    began = (
        select(func.min(Crossing.at))
        .join(other, col(other.id) == Crossing.permit_id)
        .where(
            other.resident_id == holders.c.resident_id,
            col(other.authority_id).in_(authorities),
            Crossing.direction == Direction.ENTRY.value,
            col(Crossing.at) <= now,
            col(Crossing.at) > func.coalesce(last_exit, _BEFORE_ALL),
        )
        .correlate(holders)
        .scalar_subquery()
    )
    return holders, began


def _stays(
    session: Session, agreement: Agreement, authorities, now: datetime, shortest_stay: int
) -> tuple[list[Holder], int]:
    """How many holders are inside now, and those of them near or over the limit: counted in
    the database; only the stays that may be near the limit are read and judged by core."""
    zone = ZoneInfo(agreement.timezone)
    holders, began = _inside(authorities, now)
    if agreement.period_cap_days is None:
        # Without an N-in-M cap a stay nears its limit only by its length: one that began
        # after this can be neither near nor over (core decides for the others).
        latest = now.astimezone(zone).date() + timedelta(days=NEAR_LIMIT_DAYS + 2 - shortest_stay)
        maybe = began < _midnight(latest, zone)
    else:
        maybe = true()
    inside, candidates = session.exec(
        select(
            func.count(holders.c.resident_id.distinct()),
            func.aggregate_strings(case((maybe, cast(holders.c.resident_id, String))), ","),
        ).select_from(holders)
    ).one()
    resident_ids = {int(r) for r in (candidates or "").split(",") if r}
    if not resident_ids:
        return [], inside
    rows = session.exec(
        select(Permit.resident_id, Permit.id, Permit.max_stay_days, Crossing.at, Crossing.direction)
        .join(Permit, col(Permit.id) == Crossing.permit_id)
        .where(col(Permit.authority_id).in_(authorities), col(Permit.resident_id).in_(resident_ids))
    ).all()
    passages: dict[int, list[Passage]] = defaultdict(list)
    limits: dict[int, tuple[int, int]] = {}  # the holder's newest permit: its days per stay
    for resident_id, permit_id, max_stay_days, at, direction in rows:
        passages[resident_id].append(Passage(at, Direction(direction)))
        limits[resident_id] = max(limits.get(resident_id, (0, 0)), (permit_id, max_stay_days))
    residents = {
        r.id: r for r in session.exec(select(Resident).where(col(Resident.id).in_(resident_ids)))
    }
    attention = []
    for resident_id, history in passages.items():
        status = stay_status(history, stay_rules(agreement, limits[resident_id][1]), now)
        if not status.inside or not (status.near_limit or status.over_limit):
            continue
        resident = residents.get(resident_id)
        attention.append(
            Holder(
                name=f"{resident.surname_latin} {resident.given_names_latin}" if resident else "",
                document_number=resident.document_number if resident else "",
                entered_on=status.entered_on or now.astimezone(zone).date(),
                days_used=status.days_used,
                must_leave_by=status.must_leave_by,
                over_limit=status.over_limit,
            )
        )
    attention.sort(key=lambda h: (not h.over_limit, h.must_leave_by or date.max))
    return attention, inside
