"""Permit records: listing within the caller's scope and status changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, case, col, select

from lbt_app.core.access import AccessDenied, Principal, Role
from lbt_app.db.models import (
    AuditEvent,
    Authority,
    BorderArea,
    Crossing,
    CrossingPoint,
    Permit,
    PermitCrossingPoint,
    PermitStatus,
    Resident,
)
from lbt_app.i18n import N_
from lbt_app.services import audit


class PermitError(ValueError):
    """A request about a permit that cannot be done; the message is a message id."""


@dataclass(frozen=True)
class PermitRow:
    number: str
    holder: str
    area: str
    valid_from: date
    valid_until: date
    status: str


STATUS_LABEL: dict[PermitStatus, str] = {
    PermitStatus.ACTIVE: N_("Active"),
    PermitStatus.SUSPENDED: N_("Suspended"),
    PermitStatus.REVOKED: N_("Revoked"),
    PermitStatus.EXPIRED: N_("Expired"),
}


def effective_status(permit: Permit, today: date) -> PermitStatus:
    """Suspension and revocation stand; otherwise a permit past its last day is expired."""
    if permit.status is PermitStatus.ACTIVE and permit.valid_until < today:
        return PermitStatus.EXPIRED
    return PermitStatus(permit.status)


def effective_status_sql(today: date, status=Permit.status, valid_until=Permit.valid_until):
    """`effective_status` as an SQL expression over a stored status and last day (a permit's,
    or the permit tally's), for counting in the database."""
    return case(
        (
            (col(status) == PermitStatus.ACTIVE) & (col(valid_until) < today),
            PermitStatus.EXPIRED.value,
        ),
        else_=col(status),
    )


def _scoped(principal: Principal):
    query = (
        select(Permit, Resident, BorderArea)
        .join(Resident, col(Resident.id) == Permit.resident_id)
        .join(BorderArea, col(BorderArea.id) == Permit.border_area_id)
    )
    if principal.role is Role.AUTHORITY:
        return query.join(Authority, col(Authority.id) == Permit.authority_id).where(
            Authority.agreement_id == principal.agreement_id
        )
    raise AccessDenied("You are not allowed to do this.")  # residents: services/wallet.py


def list_permits(
    *,
    session: Session,
    principal: Principal,
    today: date,
    limit: int = 50,
    status: str = "",
    area: str = "",
    expiring_days: int | None = None,
) -> list[PermitRow]:
    """The caller's permits, newest first; filtered by (effective) status, host border area,
    or expiry within `expiring_days`."""
    query = _scoped(principal)
    if status == PermitStatus.EXPIRED:
        query = query.where(Permit.status == PermitStatus.ACTIVE, col(Permit.valid_until) < today)
    elif status == PermitStatus.ACTIVE:
        query = query.where(Permit.status == PermitStatus.ACTIVE, col(Permit.valid_until) >= today)
    elif status:
        query = query.where(Permit.status == status)
    if area:
        query = query.where(BorderArea.code == area)
    if expiring_days is not None:
        query = query.where(
            col(Permit.valid_until) >= today,
            col(Permit.valid_until) <= today + timedelta(days=expiring_days),
        )
    rows = session.exec(
        query.order_by(col(Permit.issued_at).desc(), col(Permit.id).desc()).limit(limit)
    )
    return [
        PermitRow(
            number=permit.number,
            holder=f"{resident.surname_latin} {resident.given_names_latin}",
            area=area.code,
            valid_from=permit.valid_from,
            valid_until=permit.valid_until,
            status=str(effective_status(permit, today)),
        )
        for permit, resident, area in rows
    ]


def own_permit(session: Session, principal: Principal, number: str) -> Permit:
    if principal.role is not Role.AUTHORITY:
        raise AccessDenied("You are not allowed to do this.")
    row = session.exec(
        select(Permit, Authority)
        .join(Authority, col(Authority.id) == Permit.authority_id)
        .where(Permit.number == number)
    ).first()
    # Another agreement's permit is answered like a missing one: no existence leak.
    if row is None or row[1].agreement_id != principal.agreement_id:
        raise PermitError(N_("No such permit."))
    return row[0]


NO_REASON = N_("Give a reason.")
TRANSITIONS: dict[str, tuple[frozenset[PermitStatus], PermitStatus]] = {
    "suspend": (frozenset({PermitStatus.ACTIVE}), PermitStatus.SUSPENDED),
    "reinstate": (frozenset({PermitStatus.SUSPENDED}), PermitStatus.ACTIVE),
    "revoke": (frozenset({PermitStatus.ACTIVE, PermitStatus.SUSPENDED}), PermitStatus.REVOKED),
}


def change_status(
    *, session: Session, principal: Principal, number: str, action: str, reason: str, now: datetime
) -> Permit:
    """Suspend, reinstate or revoke one permit of the caller's agreement, with an audit event."""
    allowed_from, target = TRANSITIONS[action]
    reason = reason.strip()
    if not reason:
        raise PermitError(NO_REASON)
    permit = own_permit(session, principal, number)
    if permit.status not in allowed_from:
        raise PermitError(N_("This permit's status does not allow that."))
    previous = permit.status
    permit.status, permit.status_reason = target, reason[:500]
    session.add(permit)
    audit.record(
        session=session,
        action=f"permit_{action}",
        now=now,
        actor=principal,
        subject=number,
        detail={"from": str(previous), "to": str(target), "reason": reason[:500]},
    )
    return permit


@dataclass(frozen=True)
class PermitFile:
    """What the permit page shows."""

    permit: Permit
    holder: str
    area: str  # its code (the page shows the name: agreements.area_names)
    points: list[str]  # the crossing points' names
    status: PermitStatus
    # (time, action, actor, detail) of every audit event about this permit, newest first
    events: list[tuple[datetime, str, str, dict]]
    crossings: list[tuple[datetime, str, str, str]]  # (time, direction, point's name, verdict)


def permit_file(*, session: Session, principal: Principal, number: str, today: date) -> PermitFile:
    permit = own_permit(session, principal, number)
    resident = session.get(Resident, permit.resident_id)
    area = session.get(BorderArea, permit.border_area_id)
    points = session.exec(
        select(CrossingPoint.name)
        .join(PermitCrossingPoint, col(PermitCrossingPoint.crossing_point_id) == CrossingPoint.id)
        .where(PermitCrossingPoint.permit_id == permit.id)
        .order_by(CrossingPoint.id)
    ).all()
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.subject == permit.number)
        .order_by(col(AuditEvent.seq).desc())
        .limit(200)
    ).all()
    crossings = session.exec(
        select(Crossing, CrossingPoint.name)
        .join(CrossingPoint, col(CrossingPoint.id) == Crossing.crossing_point_id)
        .where(Crossing.permit_id == permit.id)
        .order_by(col(Crossing.at).desc())
        .limit(100)
    ).all()
    return PermitFile(
        permit=permit,
        holder=f"{resident.surname_latin} {resident.given_names_latin}" if resident else "",
        area=area.code if area else "",
        points=list(points),
        status=effective_status(permit, today),
        events=[(e.at, e.action, e.actor, e.detail) for e in events],
        crossings=[(c.at, c.direction, point, c.code) for c, point in crossings],
    )
