"""What the authority oversees: the audit log of its agreement, and officers' misuse reports
with the decision taken on each (warning, suspension, revocation)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, or_, select

from lbt_app.core.access import Action, Principal, require
from lbt_app.db.models import AuditEvent, Authority, CrossingPoint, PermitStatus, User
from lbt_app.i18n import N_
from lbt_app.services import audit, permits
from lbt_app.services.permits import PermitError

PAGE_SIZE = 50
DECISIONS: dict[str, str] = {
    "warning": N_("Warning"),
    "suspension": N_("Suspension"),
    "revocation": N_("Revocation"),
}
_DECISION_ACTION = {"suspension": "suspend", "revocation": "revoke"}


def _agreement_users(principal: Principal):
    """Users acting within the caller's agreement: its authorities' staff and its officers."""
    authorities = select(Authority.id).where(Authority.agreement_id == principal.agreement_id)
    points = select(CrossingPoint.id).where(CrossingPoint.agreement_id == principal.agreement_id)
    return select(User.id).where(
        or_(col(User.authority_id).in_(authorities), col(User.crossing_point_id).in_(points))
    )


def audit_log(
    *,
    session: Session,
    principal: Principal | None,
    action: str = "",
    text: str = "",
    page: int = 1,
) -> tuple[list[AuditEvent], int]:
    """One page of the agreement's audit events, newest first, filtered by action and by a text
    found in the actor or the subject."""
    principal = require(principal, Action.VIEW_AUTHORITY_DESK)
    where = [col(AuditEvent.actor_id).in_(_agreement_users(principal))]
    if action:
        where.append(AuditEvent.action == action)
    for word in text.split()[:3]:
        where.append(
            or_(
                col(AuditEvent.actor).contains(word, autoescape=True),
                col(AuditEvent.subject).contains(word, autoescape=True),
            )
        )
    total = session.exec(select(func.count()).select_from(AuditEvent).where(*where)).one()
    events = session.exec(
        select(AuditEvent)
        .where(*where)
        .order_by(col(AuditEvent.seq).desc())
        .offset((max(1, page) - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return list(events), total


def audit_actions(*, session: Session, principal: Principal | None) -> list[str]:
    principal = require(principal, Action.VIEW_AUTHORITY_DESK)
    return list(
        session.exec(
            select(AuditEvent.action)
            .where(col(AuditEvent.actor_id).in_(_agreement_users(principal)))
            .distinct()
            .order_by(AuditEvent.action)
        ).all()
    )


@dataclass(frozen=True)
class Report:
    seq: int
    at: datetime
    officer: str
    number: str
    point: str
    note: str
    decision: str  # "" while undecided
    decided_by: str


def misuse_reports(*, session: Session, principal: Principal | None) -> list[Report]:
    """Officers' misuse reports about the agreement's permits, newest first, with decisions."""
    principal = require(principal, Action.MANAGE_PERMITS)
    users = _agreement_users(principal)
    reports = session.exec(
        select(AuditEvent)
        .where(AuditEvent.action == "misuse_reported", col(AuditEvent.actor_id).in_(users))
        .order_by(col(AuditEvent.seq).desc())
    ).all()
    decisions = {
        e.detail.get("report"): e
        for e in session.exec(
            select(AuditEvent).where(
                AuditEvent.action == "misuse_decided", col(AuditEvent.actor_id).in_(users)
            )
        ).all()
    }
    return [
        Report(
            seq=r.seq,
            at=r.at,
            officer=r.actor,
            number=r.subject,
            point=r.detail.get("point", ""),
            note=r.detail.get("note", ""),
            decision=decisions[r.seq].detail.get("decision", "") if r.seq in decisions else "",
            decided_by=decisions[r.seq].actor if r.seq in decisions else "",
        )
        for r in reports
    ]


def decide_misuse(
    *,
    session: Session,
    principal: Principal | None,
    report_seq: int,
    decision: str,
    note: str,
    now: datetime,
) -> None:
    """Record the decision on one report; a suspension or revocation changes the permit too."""
    principal = require(principal, Action.MANAGE_PERMITS)
    if decision not in DECISIONS:
        raise PermitError(N_("Choose a decision."))
    report = next(
        (r for r in misuse_reports(session=session, principal=principal) if r.seq == report_seq),
        None,
    )
    if report is None:
        raise PermitError(N_("No such report."))
    if report.decision:
        raise PermitError(N_("This report has already been decided."))
    note = " ".join(note.split())[:500]
    if decision in _DECISION_ACTION:
        permit = permits.own_permit(session, principal, report.number)
        wanted = PermitStatus.SUSPENDED if decision == "suspension" else PermitStatus.REVOKED
        if permit.status is not wanted:
            permits.change_status(
                session=session,
                principal=principal,
                number=report.number,
                action=_DECISION_ACTION[decision],
                reason=note or report.note,
                now=now,
            )
    audit.record(
        session=session,
        action="misuse_decided",
        now=now,
        actor=principal,
        subject=report.number,
        detail={"report": report_seq, "decision": decision, "note": note},
    )
