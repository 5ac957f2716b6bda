"""The authority's dashboard: headline figures, holders inside, crossings per day and point.

Everything is counted within the caller's agreement, days in the agreement's time zone, from
figures kept up to date on write (db/tallies.py, the open stays of services/stays.py): what
the desk reads does not grow with the permits or crossings on record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from lbt_app.core.access import Action, Principal, require
from lbt_app.core.stay import NEAR_LIMIT_DAYS, standing
from lbt_app.db import tallies
from lbt_app.db.models import (
    Agreement,
    Application,
    ApplicationStatus,
    Authority,
    CrossingPoint,
    CrossingTally,
    OpenStay,
    OpenStayTally,
    PermitTally,
    Resident,
)
from lbt_app.services.permits import effective_status_sql
from lbt_app.services.stays import rebuild_open_stays

CHART_DAYS = 30
# The attention list shows the most urgent holders only (a phone's screenful); the figures
# count them all.
ATTENTION_LIMIT = 20


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
    points: dict[str, str]  # the agreement's crossing points, code: name, in its order
    # one row per day, oldest first: {"day": date, point code: crossings that day, ...}
    crossings_per_day: list[dict[str, object]]
    # holders inside who are near or over their stay limit, the most urgent first (at most
    # ATTENTION_LIMIT of them; figures["near_limit"] and ["over_limit"] count them all)
    attention: list[Holder]


def dashboard(*, session: Session, principal: Principal | None, now: datetime) -> Dashboard:
    """Read from the tallies and the open stays: grouped sums over rows bounded by days, and
    the most urgent stays through an index."""
    principal = require(principal, Action.VIEW_AUTHORITY_DESK)
    agreement = session.get(Agreement, principal.agreement_id)
    if agreement is None:
        return Dashboard({}, {}, {}, [], [])
    zone = ZoneInfo(agreement.timezone)
    today = now.astimezone(zone).date()
    authorities = select(Authority.id).where(Authority.agreement_id == agreement.id)
    status = effective_status_sql(today, PermitTally.status, PermitTally.valid_until)
    by_status = {
        str(s): int(n)
        for s, n in session.exec(
            select(status, func.sum(PermitTally.n))
            .where(col(PermitTally.authority_id).in_(authorities))
            .group_by(status)
            .having(func.sum(PermitTally.n) > 0)
        ).all()
    }
    pending = session.exec(
        select(func.count())
        .select_from(Application)
        .where(
            col(Application.authority_id).in_(authorities),
            Application.status == ApplicationStatus.SUBMITTED,
        )
    ).one()
    points = dict(
        session.exec(
            select(CrossingPoint.code, CrossingPoint.name)
            .where(CrossingPoint.agreement_id == agreement.id)
            .order_by(CrossingPoint.id)
        ).all()
    )
    days = [today - timedelta(days=CHART_DAYS - 1 - i) for i in range(CHART_DAYS)]
    per_day = {
        (day, code): int(n)
        for day, code, n in session.exec(
            select(CrossingTally.day, CrossingPoint.code, CrossingTally.n)
            .join(CrossingPoint, col(CrossingPoint.id) == CrossingTally.crossing_point_id)
            .where(
                CrossingPoint.agreement_id == agreement.id,
                col(CrossingTally.day) >= days[0],
                col(CrossingTally.day) <= today,
            )
        ).all()
    }
    chart = [{"day": day, **{p: per_day.get((day, p), 0) for p in points}} for day in days]
    inside, near, over = _stays_counted(session, agreement.id or 0, today)
    return Dashboard(
        figures={
            "active": by_status.get("active", 0),
            "pending": pending,
            "crossings_today": sum(per_day.get((today, p), 0) for p in points),
            "inside": inside,
            "near_limit": near,
            "over_limit": over,
        },
        permits_by_status=by_status,
        points=points,
        crossings_per_day=chart,
        attention=_attention(session, agreement.id or 0, zone, today) if near or over else [],
    )


def _stays_counted(session: Session, agreement_id: int, today: date) -> tuple[int, int, int]:
    """Holders inside, near their last day (`NEAR_LIMIT_DAYS` or fewer left) and past it:
    sums over the agreement's tally of open stays per last day (a row a day, not a holder)."""
    last_day, n = col(OpenStayTally.must_leave_by), col(OpenStayTally.n)
    near = (last_day >= today) & (last_day <= today + timedelta(NEAR_LIMIT_DAYS))
    inside, near, over = session.exec(
        select(
            func.coalesce(func.sum(n), 0),
            func.coalesce(func.sum(n).filter(near), 0),
            func.coalesce(func.sum(n).filter(last_day < today), 0),
        ).where(OpenStayTally.agreement_id == agreement_id)
    ).one()
    return int(inside), int(near), int(over)


def _attention(session: Session, agreement_id: int, zone: ZoneInfo, today: date) -> list[Holder]:
    """The most urgent stays near or past their last day: the first of them in the index on
    that day, then their holders' names."""
    urgent = (
        select(OpenStay)
        .where(
            OpenStay.agreement_id == agreement_id,
            col(OpenStay.must_leave_by) <= today + timedelta(NEAR_LIMIT_DAYS),
        )
        .order_by(col(OpenStay.must_leave_by), col(OpenStay.resident_id))
        .limit(ATTENTION_LIMIT)
        .subquery()
    )
    stay = aliased(OpenStay, urgent)
    rows = session.exec(
        select(stay, Resident)
        .join(Resident, col(Resident.id) == stay.resident_id)
        .order_by(stay.must_leave_by, stay.resident_id)
    ).all()
    holders = []
    for stay, resident in rows:
        entered_on = stay.entered_at.astimezone(zone).date()
        position = standing(entered_on, stay.must_leave_by, today)
        holders.append(
            Holder(
                name=f"{resident.surname_latin} {resident.given_names_latin}",
                document_number=resident.document_number,
                entered_on=entered_on,
                days_used=position.days_used,
                must_leave_by=stay.must_leave_by,
                over_limit=position.over_limit,
            )
        )
    return holders


def rebuild(*, session: Session, now: datetime) -> None:
    """Count everything the dashboard reads again, from the permits and crossings: after rows
    were written around the ORM (the demo loader's history, a benchmark's INSERT … SELECT, a
    migration filling the tables)."""
    tallies.rebuild(session.connection())
    rebuild_open_stays(session, now)
