"""Applications: the queue, eligibility shown rule by rule, approval (issuing) and rejection.

Eligibility follows Regulation 1931/2006 art. 3 and 9 as the agreement sets it: the
applicant lives in the authority's border area, has lived there at least the agreement's
minimum (1 year by default), holds no valid permit already, and is not on the authority's
refusal list. A reviewer sees every rule with its answer; only an eligible application can
be approved.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from lbt_app.core.access import Action, Principal, require
from lbt_app.db.models import (
    Agreement,
    Application,
    ApplicationStatus,
    Authority,
    BorderArea,
    CrossingPoint,
    Document,
    Permit,
    PermitStatus,
    RefusalEntry,
    Resident,
)
from lbt_app.i18n import N_
from lbt_app.services import audit
from lbt_app.services.issuing import IssueError, IssueRequest, issue_permit, years_after
from lbt_app.services.residents import home_areas, own_resident

RULES: dict[str, str] = {
    "lives_in_area": N_("Lives in the authority's border area"),
    "long_enough": N_("Resident long enough (agreement minimum)"),
    "no_valid_permit": N_("Holds no valid permit"),
    "not_refused": N_("Not on the refusal list"),
}
PROOF_TYPES = {"image/jpeg", "image/png", "application/pdf"}
MAX_PROOF_BYTES = 8_000_000
_MAGIC = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png", b"%PDF": "application/pdf"}


class ApplicationError(IssueError):
    """An application request that cannot be done; the message is a message id."""


@dataclass(frozen=True)
class Pending:
    application: Application
    resident: Resident
    eligibility: dict[str, bool]

    @property
    def eligible(self) -> bool:
        return all(self.eligibility.values())


def _agreement(session: Session, principal: Principal) -> tuple[Authority, Agreement]:
    authority = session.get(Authority, principal.authority_id)
    agreement = session.get(Agreement, principal.agreement_id)
    if authority is None or agreement is None:
        raise ApplicationError(N_("You are not allowed to do this."))
    return authority, agreement


def eligibility(
    session: Session, principal: Principal, resident: Resident, today: date
) -> dict[str, bool]:
    _, agreement = _agreement(session, principal)
    valid_permit = session.exec(
        select(Permit.id).where(
            Permit.resident_id == resident.id,
            Permit.status == PermitStatus.ACTIVE,
            col(Permit.valid_until) >= today,
        )
    ).first()
    refused = session.exec(
        select(RefusalEntry.id)
        .join(Authority, col(Authority.id) == RefusalEntry.authority_id)
        .where(
            RefusalEntry.document_number == resident.document_number,
            Authority.agreement_id == principal.agreement_id,
        )
    ).first()
    return {
        "lives_in_area": resident.border_area_id in home_areas(session, principal).values(),
        "long_enough": resident.residence_since
        <= years_after(today, -agreement.min_residence_years),
        "no_valid_permit": valid_permit is None,
        "not_refused": refused is None,
    }


def queue(*, session: Session, principal: Principal | None, today: date) -> list[Pending]:
    """Submitted applications of the caller's agreement, oldest first."""
    principal = require(principal, Action.MANAGE_PERMITS)
    rows = session.exec(
        select(Application, Resident)
        .join(Resident, col(Resident.id) == Application.resident_id)
        .join(Authority, col(Authority.id) == Application.authority_id)
        .where(
            Application.status == ApplicationStatus.SUBMITTED,
            Authority.agreement_id == principal.agreement_id,
        )
        .order_by(col(Application.submitted_at), col(Application.id))
    ).all()
    return [Pending(a, r, eligibility(session, principal, r, today)) for a, r in rows]


def own_application(session: Session, principal: Principal, application_id: int) -> Pending:
    principal = require(principal, Action.MANAGE_PERMITS)
    row = session.exec(
        select(Application, Resident)
        .join(Resident, col(Resident.id) == Application.resident_id)
        .join(Authority, col(Authority.id) == Application.authority_id)
        .where(Application.id == application_id, Authority.agreement_id == principal.agreement_id)
    ).first()
    if row is None:
        raise ApplicationError(N_("No such application."))
    application, resident = row
    return Pending(application, resident, {})


def proof_of(session: Session, principal: Principal, application_id: int) -> Document | None:
    pending = own_application(session, principal, application_id)
    proof_id = pending.application.proof_id
    return session.get(Document, proof_id) if proof_id else None


def host_areas(session: Session, principal: Principal) -> list[str]:
    """The areas a permit of this authority may name: the agreement's other side."""
    authority, _ = _agreement(session, principal)
    return list(
        session.exec(
            select(BorderArea.code)
            .where(
                BorderArea.agreement_id == principal.agreement_id,
                BorderArea.country != authority.country,
            )
            .order_by(BorderArea.code)
        ).all()
    )


def crossing_points(session: Session, principal: Principal) -> list[str]:
    return list(
        session.exec(
            select(CrossingPoint.code)
            .where(CrossingPoint.agreement_id == principal.agreement_id)
            .order_by(CrossingPoint.id)
        ).all()
    )


def submit(
    *,
    session: Session,
    principal: Principal | None,
    resident_id: int,
    proof: bytes,
    now: datetime,
) -> Application:
    """Register an application at the desk, with its proof of residence (JPEG, PNG or PDF)."""
    principal = require(principal, Action.MANAGE_PERMITS)
    resident = own_resident(session, principal, resident_id)
    if len(proof) > MAX_PROOF_BYTES:
        raise ApplicationError(N_("The file is too large."))
    content_type = next((t for magic, t in _MAGIC.items() if proof.startswith(magic)), None)
    if content_type is None:
        raise ApplicationError(N_("A proof of residence as JPEG, PNG or PDF."))
    pending = session.exec(
        select(Application.id).where(
            Application.resident_id == resident.id,
            Application.status == ApplicationStatus.SUBMITTED,
        )
    ).first()
    if pending is not None:
        raise ApplicationError(N_("This resident already has an application waiting."))
    document = Document(
        kind="proof_of_residence",
        content_type=content_type,
        sha256=hashlib.sha256(proof).hexdigest(),
        data=proof,
        created_at=now,
    )
    session.add(document)
    session.flush()
    application = Application(
        resident_id=resident.id or 0,
        authority_id=principal.authority_id or 0,
        proof_id=document.id,
        submitted_at=now,
    )
    session.add(application)
    session.flush()
    audit.record(
        session=session,
        action="application_submitted",
        now=now,
        actor=principal,
        subject=resident.document_number,
        detail={"application": application.id},
    )
    return application


def approve(
    *,
    session: Session,
    principal: Principal | None,
    application_id: int,
    years: int,
    points: list[str],
    kek: bytes,
    now: datetime,
    area: str = "",
) -> Permit:
    """Issue the permit an eligible application asks for; the application is then approved."""
    principal = require(principal, Action.MANAGE_PERMITS)
    pending = own_application(session, principal, application_id)
    application, resident = pending.application, pending.resident
    if application.status is not ApplicationStatus.SUBMITTED:
        raise ApplicationError(N_("This application has already been decided."))
    today = now.date()
    if not all(eligibility(session, principal, resident, today).values()):
        raise ApplicationError(N_("The applicant is not eligible."))
    areas = host_areas(session, principal)
    area = area or (areas[0] if len(areas) == 1 else "")
    if area not in areas:
        raise ApplicationError(N_("Choose the border area."))
    authority, _ = _agreement(session, principal)
    permit = issue_permit(
        session=session,
        authority=authority,
        kek=kek,
        now=now,
        actor=principal,
        request=IssueRequest(
            resident_id=resident.id or 0,
            border_area_code=area,
            crossing_point_codes=tuple(dict.fromkeys(points)),
            valid_from=today,
            valid_until=years_after(today, years) - timedelta(days=1),
            application_id=application.id,
        ),
    )
    application.status = ApplicationStatus.APPROVED
    application.decided_at, application.decided_by_id = now, principal.user_id
    session.add(application)
    audit.record(
        session=session,
        action="application_approved",
        now=now,
        actor=principal,
        subject=resident.document_number,
        detail={"application": application.id, "permit": permit.number, "years": years},
    )
    return permit


def reject(
    *,
    session: Session,
    principal: Principal | None,
    application_id: int,
    reason: str,
    now: datetime,
) -> Application:
    """Reject with a reason the resident will see."""
    principal = require(principal, Action.MANAGE_PERMITS)
    reason = " ".join(str(reason).split())[:500]
    if not reason:
        raise ApplicationError(N_("Give a reason."))
    pending = own_application(session, principal, application_id)
    application = pending.application
    if application.status is not ApplicationStatus.SUBMITTED:
        raise ApplicationError(N_("This application has already been decided."))
    application.status, application.reason = ApplicationStatus.REJECTED, reason
    application.decided_at, application.decided_by_id = now, principal.user_id
    session.add(application)
    audit.record(
        session=session,
        action="application_rejected",
        now=now,
        actor=principal,
        subject=pending.resident.document_number,
        detail={"application": application.id, "reason": reason},
    )
    return application
