"""Applications: the queue, eligibility shown rule by rule, approval (issuing) and rejection.

Eligibility follows Regulation 1931/2006 art. 3 and 9 as the agreement sets it: the
applicant lives in the authority's border area, has lived there at least the agreement's
minimum (1 year by default), holds no valid permit already, and is not on the authority's
refusal list. A reviewer sees every rule with its answer; only an eligible application can
be approved.

An online applicant's record is self-declared until approved, and answered the same whether or
not its document number belongs to someone else (no document-number oracle): the conflict shows
to the reviewer only, as the rule "document number registered to no one else". An approval
confirms the record; then its number is unique.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from lbt_app.core.access import Action, Principal, require
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
    PermitStatus,
    RefusalEntry,
    Resident,
    User,
)
from lbt_app.i18n import N_
from lbt_app.services import audit, refusals
from lbt_app.services.issuing import (
    ALREADY_DECIDED,
    IssueError,
    IssueRequest,
    decide,
    issue_permit,
    years_after,
)
from lbt_app.services.residents import (
    check_record,
    columns,
    home_areas,
    own_resident,
    store_photo,
)

RULES: dict[str, str] = {
    "lives_in_area": N_("Lives in the authority's border area"),
    "long_enough": N_("Resident long enough (agreement minimum)"),
    "no_valid_permit": N_("Holds no valid permit"),
    "not_refused": N_("Not on the refusal list"),
    "document_free": N_("Document number registered to no one else"),
}
PROOF_TYPES = {"image/jpeg", "image/png", "application/pdf"}
MAX_PROOF_BYTES = 8_000_000
PHOTO_MISSING = N_("A photo is required.")
PROOF_MISSING = N_("A proof of residence is required.")
PAGE_SIZE = 20  # applications on one page of the queue
ALREADY_WAITING = N_("This resident already has an application waiting.")
WAITING_INDEX = "uq_application_waiting"  # one submitted application per resident
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
            refusals.in_force(today),
        )
    ).first()
    return {
        "lives_in_area": resident.border_area_id in home_areas(session, principal).values(),
        "long_enough": resident.residence_since
        <= years_after(today, -agreement.min_residence_years),
        "no_valid_permit": valid_permit is None,
        "not_refused": refused is None,
        "document_free": not resident.self_declared or not _number_claimed(session, resident),
    }


def _number_claimed(session: Session, resident: Resident) -> bool:
    """Another resident holds this number: a confirmed one, or one still waiting for review
    (a rejected claim no longer counts). A confirmed number is unique in the database."""
    waiting = select(Application.resident_id).where(
        Application.status == ApplicationStatus.SUBMITTED
    )
    return (
        session.exec(
            select(Resident.id).where(
                Resident.document_number == resident.document_number,
                Resident.id != resident.id,
                col(Resident.self_declared).is_(False) | col(Resident.id).in_(waiting),
            )
        ).first()
        is not None
    )


def _waiting(principal: Principal):
    return (
        select(Application, Resident)
        .join(Resident, col(Resident.id) == Application.resident_id)
        .join(Authority, col(Authority.id) == Application.authority_id)
        .where(
            Application.status == ApplicationStatus.SUBMITTED,
            Authority.agreement_id == principal.agreement_id,
        )
    )


def queue(
    *, session: Session, principal: Principal | None, today: date, page: int = 1
) -> list[Pending]:
    """One page of the submitted applications of the caller's agreement, oldest first."""
    principal = require(principal, Action.MANAGE_PERMITS)
    rows = session.exec(
        _waiting(principal)
        .order_by(col(Application.submitted_at), col(Application.id))
        .offset((max(1, page) - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return [Pending(a, r, eligibility(session, principal, r, today)) for a, r in rows]


def waiting_count(*, session: Session, principal: Principal | None) -> int:
    """How many applications of the caller's agreement wait for a decision."""
    principal = require(principal, Action.MANAGE_PERMITS)
    return session.exec(select(func.count()).select_from(_waiting(principal).subquery())).one()


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


def crossing_points(session: Session, principal: Principal, area: str) -> list[CrossingPoint]:
    """The crossing points a permit for `area` (one of host_areas) may list: those serving it."""
    if area not in host_areas(session, principal):
        return []
    return list(
        session.exec(
            select(CrossingPoint)
            .join(CrossingPointArea, col(CrossingPointArea.crossing_point_id) == CrossingPoint.id)
            .join(BorderArea, col(BorderArea.id) == CrossingPointArea.border_area_id)
            .where(
                CrossingPoint.agreement_id == principal.agreement_id,
                BorderArea.agreement_id == principal.agreement_id,
                BorderArea.code == area,
            )
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
    return _file(session, principal, resident, principal.authority_id or 0, proof, now)


def _file(
    session: Session,
    actor: Principal,
    resident: Resident,
    authority_id: int,
    proof: bytes,
    now: datetime,
) -> Application:
    """The application itself, from the desk or online: one waiting per resident."""
    if len(proof) > MAX_PROOF_BYTES:
        raise ApplicationError(N_("The file is too large."))
    content_type = next((t for magic, t in _MAGIC.items() if proof.startswith(magic)), None)
    if content_type is None:
        raise ApplicationError(N_("A proof of residence as JPEG, PNG or PDF."))
    if _has_waiting(session, resident.id or 0):
        raise ApplicationError(ALREADY_WAITING)
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
        authority_id=authority_id,
        proof_id=document.id,
        submitted_at=now,
    )
    session.add(application)
    try:
        session.flush()
    except IntegrityError as error:
        if not _another_waiting(error):
            raise
        session.rollback()  # the proof (and an online applicant's record) go with it
        raise ApplicationError(ALREADY_WAITING) from None
    audit.record(
        session=session,
        action="application_submitted",
        now=now,
        actor=actor,
        subject=resident.document_number,
        detail={"application": application.id},
    )
    return application


def _has_waiting(session: Session, resident_id: int) -> bool:
    return (
        session.exec(
            select(Application.id).where(
                Application.resident_id == resident_id,
                Application.status == ApplicationStatus.SUBMITTED,
            )
        ).first()
        is not None
    )


def _another_waiting(error: IntegrityError) -> bool:
    """Whether the database refused the row as a resident's second waiting application: one
    filed by someone else since `_has_waiting` looked (PostgreSQL names the index, SQLite the
    column)."""
    text = str(error.orig)
    return WAITING_INDEX in text or "application.resident_id" in text


def applicant_border_areas(session: Session) -> list[BorderArea]:
    """Border areas whose residents can apply: those with an issuing authority of their country."""
    return list(
        session.exec(
            select(BorderArea)
            .join(
                Authority,
                (col(Authority.agreement_id) == BorderArea.agreement_id)
                & (col(Authority.country) == BorderArea.country),
            )
            .where(Authority.kind == "issuing")
            .order_by(BorderArea.code)
        ).all()
    )


def applicant_areas(session: Session) -> dict[str, int]:
    """The applicant border areas' codes and ids."""
    return {a.code: a.id for a in applicant_border_areas(session) if a.id is not None}


def apply_online(
    *,
    session: Session,
    principal: Principal | None,
    raw: Mapping[str, object],
    photo: bytes | None,
    proof: bytes,
    now: datetime,
) -> tuple[Application | None, dict[str, str]]:
    """A resident applies from the wallet: the first time with their record and photo, after a
    rejection with a new proof only. Field errors change nothing."""
    principal = require(principal, Action.VIEW_WALLET)
    user = session.get(User, principal.user_id)
    if user is None:
        raise ApplicationError(N_("You are not allowed to do this."))
    missing = {} if proof else {"proof": PROOF_MISSING}
    if user.resident_id is not None:
        resident = session.get(Resident, user.resident_id)
        if resident is None:
            raise ApplicationError(N_("No such resident."))
        if missing:
            return None, missing
        return _file(session, principal, resident, resident.authority_id, proof, now), {}
    areas = applicant_areas(session)
    record, errors = check_record(raw, today=now.astimezone(principal.zone).date(), areas=areas)
    errors = {**errors, **({} if photo else {"photo": PHOTO_MISSING}), **missing}
    if record is None or errors:
        return None, errors
    area = session.get(BorderArea, areas[record.border_area])
    authority = session.exec(
        select(Authority).where(
            Authority.agreement_id == (area.agreement_id if area else 0),
            Authority.country == (area.country if area else ""),
            Authority.kind == "issuing",
        )
    ).first()
    if authority is None:
        raise ApplicationError(N_("Not a border area of this authority."))
    portrait = store_photo(session, photo, now)
    resident = Resident(
        authority_id=authority.id or 0,
        created_at=now,
        photo_id=portrait.id,
        self_declared=True,
        **columns(record, areas),
    )
    session.add(resident)
    session.flush()
    # The account gets its record once: a second tab applying at the same moment finds it taken.
    linked = session.execute(
        sa.update(User)
        .where(col(User.id) == user.id, col(User.resident_id).is_(None))
        .values(resident_id=resident.id)
    )
    if linked.rowcount != 1:
        session.rollback()
        raise ApplicationError(ALREADY_WAITING)
    return _file(session, principal, resident, authority.id or 0, proof, now), {}


def own_applications(*, session: Session, principal: Principal | None) -> list[Application]:
    """The caller's own applications, newest first (a resident follows theirs)."""
    principal = require(principal, Action.VIEW_WALLET)
    if principal.resident_id is None:
        return []
    return list(
        session.exec(
            select(Application)
            .where(Application.resident_id == principal.resident_id)
            .order_by(col(Application.submitted_at).desc())
        ).all()
    )


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
    """Issue the permit an eligible application asks for, which approves it (`decide`)."""
    principal = require(principal, Action.MANAGE_PERMITS)
    pending = own_application(session, principal, application_id)
    application, resident = pending.application, pending.resident
    if application.status is not ApplicationStatus.SUBMITTED:
        raise ApplicationError(ALREADY_DECIDED)
    today = now.astimezone(principal.zone).date()
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
    resident.self_declared = False  # confirmed: its document number is now unique
    session.add(resident)
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
        raise ApplicationError(ALREADY_DECIDED)
    decide(
        session=session,
        application_id=application.id or 0,
        status=ApplicationStatus.REJECTED,
        now=now,
        actor=principal,
        reason=reason,
    )
    audit.record(
        session=session,
        action="application_rejected",
        now=now,
        actor=principal,
        subject=pending.resident.document_number,
        detail={"application": application.id, "reason": reason},
    )
    return application
