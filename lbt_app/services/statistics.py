"""The authority's dashboard: headline figures, holders inside, crossings per day and point.

Everything is counted within the caller's agreement, days in the agreement's time zone.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from lbt_app.core.access import Action, Principal, require
from lbt_app.core.stay import Direction, Passage, stay_status
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
from lbt_app.services.permits import effective_status
from lbt_app.services.stays import stay_rules

CHART_DAYS = 30


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
    principal = require(principal, Action.VIEW_AUTHORITY_DESK)
    agreement = session.get(Agreement, principal.agreement_id)
    if agreement is None:
        return Dashboard({}, {}, [], [], [])
    zone = ZoneInfo(agreement.timezone)
    today = now.astimezone(zone).date()
    authorities = select(Authority.id).where(Authority.agreement_id == agreement.id)
    permits = session.exec(select(Permit).where(col(Permit.authority_id).in_(authorities))).all()
    by_status = Counter(str(effective_status(p, today)) for p in permits)
    pending = session.exec(
        select(func.count())
        .select_from(Application)
        .where(
            col(Application.authority_id).in_(authorities),
            Application.status == ApplicationStatus.SUBMITTED,
        )
    ).one()
    first_day = today - timedelta(days=CHART_DAYS - 1)
    since = datetime.combine(first_day, time.min, zone).astimezone(UTC)
    recent = session.exec(
        select(Crossing.at, CrossingPoint.code)
        .join(CrossingPoint, col(CrossingPoint.id) == Crossing.crossing_point_id)
        .where(CrossingPoint.agreement_id == agreement.id, col(Crossing.at) >= since)
    ).all()
    points = list(
        session.exec(
            select(CrossingPoint.code)
            .where(CrossingPoint.agreement_id == agreement.id)
            .order_by(CrossingPoint.id)
        ).all()
    )
    per_day: dict[date, Counter] = defaultdict(Counter)
    for at, code in recent:
        per_day[at.astimezone(zone).date()][code] += 1
    chart = [
        {"day": day, **{p: per_day[day][p] for p in points}}
        for day in (first_day + timedelta(days=i) for i in range(CHART_DAYS))
    ]
    attention, inside = _stays(session, agreement, authorities, now)
    return Dashboard(
        figures={
            "active": by_status.get("active", 0),
            "pending": pending,
            "crossings_today": sum(per_day[today].values()),
            "inside": inside,
            "near_limit": sum(1 for h in attention if not h.over_limit),
            "over_limit": sum(1 for h in attention if h.over_limit),
        },
        permits_by_status=dict(by_status),
        points=points,
        crossings_per_day=chart,
        attention=attention,
    )


def _stays(session: Session, agreement: Agreement, authorities, now: datetime):
    """Holders inside now, and those of them near or over the limit (stay rules from core)."""
    rows = session.exec(
        select(Permit.resident_id, Permit.id, Permit.max_stay_days, Crossing.at, Crossing.direction)
        .join(Permit, col(Permit.id) == Crossing.permit_id)
        .where(col(Permit.authority_id).in_(authorities))
    ).all()
    passages: dict[int, list[Passage]] = defaultdict(list)
    limits: dict[int, tuple[int, int]] = {}  # the holder's newest permit: its days per stay
    for resident_id, permit_id, max_stay_days, at, direction in rows:
        passages[resident_id].append(Passage(at, Direction(direction)))
        limits[resident_id] = max(limits.get(resident_id, (0, 0)), (permit_id, max_stay_days))
    inside, attention = 0, []
    for resident_id, history in passages.items():
        status = stay_status(history, stay_rules(agreement, limits[resident_id][1]), now)
        if not status.inside:
            continue
        inside += 1
        if status.near_limit or status.over_limit:
            resident = session.get(Resident, resident_id)
            attention.append(
                Holder(
                    name=f"{resident.surname_latin} {resident.given_names_latin}"
                    if resident
                    else "",
                    document_number=resident.document_number if resident else "",
                    entered_on=status.entered_on
                    or now.astimezone(ZoneInfo(agreement.timezone)).date(),
                    days_used=status.days_used,
                    must_leave_by=status.must_leave_by,
                    over_limit=status.over_limit,
                )
            )
    attention.sort(key=lambda h: (not h.over_limit, h.must_leave_by or date.max))
    return attention, inside
