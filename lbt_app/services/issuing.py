"""Issuing permits: the claims come from the records, the signature from the core."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from lbt_app.core.access import Principal
from lbt_app.core.payload import PermitClaims, photo_hash, sign
from lbt_app.db.engine import one_at_a_time
from lbt_app.db.models import (
    Agreement,
    Application,
    ApplicationStatus,
    Authority,
    BorderArea,
    CrossingPoint,
    CrossingPointArea,
    Document,
    Permit,
    PermitCrossingPoint,
    PermitStatus,
    Resident,
)
from lbt_app.i18n import N_
from lbt_app.services import audit, keys
from lbt_app.services.permits import own_permit


class IssueError(ValueError):
    """A permit that may not be issued; the message is a message id."""


ALREADY_DECIDED = N_("This application has already been decided.")
ALREADY_HELD = N_("The holder already holds a usable permit for that time.")
_HOLDER_PERMITS = 0x0C205518  # lock topic: one holder's permits are issued one at a time


@dataclass(frozen=True)
class IssueRequest:
    resident_id: int
    border_area_code: str
    crossing_point_codes: tuple[str, ...]
    valid_from: date
    valid_until: date
    application_id: int | None = None


def _claims(
    *,
    number: str,
    resident: Resident,
    area: BorderArea,
    points: list[CrossingPoint],
    request: IssueRequest,
    agreement: Agreement,
    authority: Authority,
    photo: Document | None,
) -> PermitClaims:
    return PermitClaims(
        number=number,
        surname=resident.surname_latin.upper(),
        given_names=resident.given_names_latin.upper(),
        native_name=f"{resident.surname_native} {resident.given_names_native}".upper(),
        birth_date=resident.birth_date,
        nationality=resident.nationality,
        document_number=resident.document_number,
        border_area=area.code,
        crossing_points=tuple(p.code for p in points),
        valid_from=request.valid_from,
        valid_until=request.valid_until,
        max_stay_days=agreement.max_stay_days,
        issuer=authority.code,
        photo_hash=photo_hash(photo.data) if photo else bytes(8),
    )


def serving_points(session: Session, area: BorderArea) -> set[int]:
    """The ids of the crossing points that serve `area`: a permit for it may list only these."""
    return set(
        session.exec(
            select(CrossingPointArea.crossing_point_id).where(
                CrossingPointArea.border_area_id == area.id
            )
        ).all()
    )


def years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def decide(
    *,
    session: Session,
    application_id: int,
    status: ApplicationStatus,
    now: datetime,
    actor: Principal | None,
    reason: str = "",
) -> None:
    """Decide a submitted application once, whoever decides it at the same moment: the row
    changes only while it is still submitted, a condition the database checks again under the
    row's write lock, so the transaction that comes second finds nothing to change and is told
    ALREADY_DECIDED. Call it right before the writes; a refusal after it must end the
    transaction without committing (every caller runs in `session_scope`)."""
    decided = session.execute(
        sa.update(Application)
        .where(
            col(Application.id) == application_id,
            col(Application.status) == ApplicationStatus.SUBMITTED,
        )
        .values(
            status=status,
            reason=reason,
            decided_at=now,
            decided_by_id=actor.user_id if actor else None,
        )
    )
    if decided.rowcount != 1:
        raise IssueError(ALREADY_DECIDED)


def issue_permit(
    *,
    session: Session,
    authority: Authority,
    request: IssueRequest,
    kek: bytes,
    now: datetime,
    actor: Principal | None = None,
) -> Permit:
    """Create, sign and record one permit; the caller's transaction holds it all or nothing.

    A permit for an application approves it (`decide`): one permit per application."""
    agreement = session.get(Agreement, authority.agreement_id)
    resident = session.get(Resident, request.resident_id)
    if agreement is None or resident is None:
        raise IssueError(N_("No such resident."))
    area = session.exec(
        select(BorderArea).where(
            BorderArea.code == request.border_area_code, BorderArea.agreement_id == agreement.id
        )
    ).first()
    if area is None:
        raise IssueError(N_("The border area is not part of this agreement."))
    points = session.exec(
        select(CrossingPoint)
        .where(
            col(CrossingPoint.code).in_(request.crossing_point_codes),
            CrossingPoint.agreement_id == agreement.id,
        )
        .order_by(CrossingPoint.id)
    ).all()
    if not points or len(points) != len(set(request.crossing_point_codes)):
        raise IssueError(N_("Choose crossing points of this agreement."))
    if any(p.id not in serving_points(session, area) for p in points):
        raise IssueError(N_("Choose crossing points that serve the permit's border area."))
    if request.valid_until < request.valid_from:
        raise IssueError(N_("The permit must end after it starts."))
    if request.valid_until >= years_after(request.valid_from, agreement.max_validity_years):
        raise IssueError(N_("The validity is longer than the agreement allows."))
    shortest = years_after(request.valid_from, agreement.min_validity_years) - timedelta(days=1)
    if request.valid_until < shortest:
        raise IssueError(N_("The validity is shorter than the agreement allows."))
    photo = session.get(Document, resident.photo_id) if resident.photo_id else None
    key = keys.signing_key(session=session, authority_id=authority.id or 0, kek=kek)
    # One usable permit per holder at a time, whatever the concurrency (a permit renewed
    # twice, or renewed while an application is approved): checked under the holder's lock.
    one_at_a_time(session, _HOLDER_PERMITS, resident.id or 0)
    if request.application_id is not None:  # first: two approvals of one are told "decided"
        decide(
            session=session,
            application_id=request.application_id,
            status=ApplicationStatus.APPROVED,
            now=now,
            actor=actor,
        )
    overlapping = session.exec(
        select(Permit.id).where(
            Permit.resident_id == resident.id,
            Permit.status == PermitStatus.ACTIVE,
            col(Permit.valid_from) <= request.valid_until,
            col(Permit.valid_until) >= request.valid_from,
        )
    ).first()
    if overlapping is not None:  # the caller rolls back: the application stays undecided
        raise IssueError(ALREADY_HELD)
    permit = Permit(
        number=uuid.uuid4().hex[:24],
        resident_id=resident.id or 0,
        authority_id=authority.id or 0,
        application_id=request.application_id,
        border_area_id=area.id or 0,
        valid_from=request.valid_from,
        valid_until=request.valid_until,
        max_stay_days=agreement.max_stay_days,
        kid=key.kid,
        issued_at=now,
        issued_by_id=actor.user_id if actor else None,
    )
    session.add(permit)
    session.flush()
    # The number is the row's serial, so it is unique without a counter table.
    permit.number = f"{authority.country[:2]}{request.valid_from:%y}-{permit.id:06d}"
    claims = _claims(
        number=permit.number,
        resident=resident,
        area=area,
        points=list(points),
        request=request,
        agreement=agreement,
        authority=authority,
        photo=photo,
    )
    permit.payload = sign(
        claims, key, keys.codebook_for(session=session, agreement_id=agreement.id or 0)
    )
    permit.photo_hash = claims.photo_hash.hex()
    session.add(permit)
    for point in points:
        session.add(PermitCrossingPoint(permit_id=permit.id or 0, crossing_point_id=point.id or 0))
    audit.record(
        session=session,
        action="permit_issued",
        now=now,
        actor=actor,
        actor_name="system",
        subject=permit.number,
        detail={
            "resident": resident.document_number,
            "kid": key.kid,
            "valid_until": request.valid_until.isoformat(),
        },
    )
    return permit


def renew(
    *, session: Session, principal: Principal, number: str, years: int, kek: bytes, now: datetime
) -> Permit:
    """A new permit for the same holder, area and points, starting when the old one ends."""
    old = own_permit(session, principal, number)
    if old.status in {PermitStatus.REVOKED, PermitStatus.SUSPENDED}:
        raise IssueError(N_("A suspended or revoked permit cannot be renewed."))
    authority = session.get(Authority, old.authority_id)
    agreement = session.get(Agreement, authority.agreement_id if authority else 0)
    if authority is None or agreement is None:
        raise IssueError(N_("No such permit."))
    if years > agreement.max_validity_years:
        raise IssueError(N_("The validity is longer than the agreement allows."))
    if years < agreement.min_validity_years:
        raise IssueError(N_("The validity is shorter than the agreement allows."))
    start = max(now.astimezone(principal.zone).date(), old.valid_until + timedelta(days=1))
    points = session.exec(
        select(CrossingPoint.code)
        .join(PermitCrossingPoint, col(PermitCrossingPoint.crossing_point_id) == CrossingPoint.id)
        .where(PermitCrossingPoint.permit_id == old.id)
    ).all()
    area = session.get(BorderArea, old.border_area_id)
    new = issue_permit(
        session=session,
        authority=authority,
        kek=kek,
        now=now,
        actor=principal,
        request=IssueRequest(
            resident_id=old.resident_id,
            border_area_code=area.code if area else "",
            crossing_point_codes=tuple(points),
            valid_from=start,
            valid_until=years_after(start, years) - timedelta(days=1),
        ),
    )
    audit.record(
        session=session,
        action="permit_renewed",
        now=now,
        actor=principal,
        subject=old.number,
        detail={"new": new.number},
    )
    return new
