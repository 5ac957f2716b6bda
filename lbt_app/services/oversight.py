"""What the authority oversees: the audit log of its agreement, and officers' misuse reports
with the decision taken on each (warning, suspension, revocation)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, or_, select

from lbt_app.core.access import Action, Principal, require
from lbt_app.core.stay import DIRECTION_LABEL
from lbt_app.core.verdict import REASONS, Code
from lbt_app.db.models import AuditEvent, Authority, CrossingPoint, PermitStatus, User
from lbt_app.i18n import N_, t
from lbt_app.services import audit, listing, permits
from lbt_app.services.checks import REFUSAL_REASONS, Source
from lbt_app.services.keys import STATUS_LABEL as KEY_STATUS_LABEL
from lbt_app.services.permits import STATUS_LABEL, PermitError
from lbt_app.services.refusals import STATUS_LABEL as REFUSAL_STATUS_LABEL

PAGE_SIZE = 50
REPORTS_SHOWN = 100  # the newest misuse reports the page lists
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


@dataclass(frozen=True)
class AuditPage:
    """One page of the audit log, newest first; whether newer and older events match too, and
    how many match (counted up to listing.COUNT_LIMIT + 1)."""

    events: list[AuditEvent]
    newer: bool
    older: bool
    count: int


def audit_log(
    *,
    session: Session,
    principal: Principal | None,
    action: str = "",
    text: str = "",
    up_to: int | None = None,
    newer_than: int | None = None,
) -> AuditPage:
    """One page of the agreement's audit events, newest first, filtered by action and by a text
    found in the actor or the subject. Keyset paging on `seq` (the log's order, never reused):
    the page of events up to `up_to` (the newest when None), or the page of events just newer
    than `newer_than`; each reads PAGE_SIZE + 1 rows from an index, whatever the log's size."""
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
    seq = col(AuditEvent.seq)

    def exists(*more) -> bool:
        return (
            session.exec(select(AuditEvent.seq).where(*where, *more).limit(1)).first() is not None
        )

    if newer_than is not None:
        rows = session.exec(
            select(AuditEvent)
            .where(*where, seq > newer_than)
            .order_by(seq.asc())
            .limit(PAGE_SIZE + 1)
        ).all()
        events = list(reversed(rows[:PAGE_SIZE]))
        newer, older = len(rows) > PAGE_SIZE, exists(seq <= newer_than)
    else:
        bound = [] if up_to is None else [seq <= up_to]
        rows = session.exec(
            select(AuditEvent).where(*where, *bound).order_by(seq.desc()).limit(PAGE_SIZE + 1)
        ).all()
        events = list(rows[:PAGE_SIZE])
        newer = up_to is not None and exists(seq > up_to)
        older = len(rows) > PAGE_SIZE
    count = listing.bounded_count(session, select(AuditEvent.seq).where(*where))
    return AuditPage(events=events, newer=newer, older=older, count=count)


def point_names(*, session: Session, principal: Principal | None) -> dict[str, str]:
    """The agreement's crossing points, code → name (the log keeps codes)."""
    principal = require(principal, Action.VIEW_AUTHORITY_DESK)
    rows = session.exec(
        select(CrossingPoint.code, CrossingPoint.name).where(
            CrossingPoint.agreement_id == principal.agreement_id
        )
    ).all()
    return dict(rows)


def audit_actions(*, principal: Principal | None) -> list[str]:
    """The actions the log can be filtered by: every action an agreement's people record
    (ACTION_NAMES), not a DISTINCT over the log."""
    require(principal, Action.VIEW_AUTHORITY_DESK)
    return list(ACTION_NAMES)


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


def misuse_reports(
    *, session: Session, principal: Principal | None, seq: int | None = None
) -> list[Report]:
    """Officers' misuse reports about the agreement's permits, the newest REPORTS_SHOWN (or the
    one numbered `seq`), each with the decision taken on it."""
    principal = require(principal, Action.MANAGE_PERMITS)
    users = _agreement_users(principal)
    reported = [AuditEvent.action == "misuse_reported", col(AuditEvent.actor_id).in_(users)]
    if seq is not None:
        reported.append(AuditEvent.seq == seq)
    reports = session.exec(
        select(AuditEvent)
        .where(*reported)
        .order_by(col(AuditEvent.seq).desc())
        .limit(REPORTS_SHOWN)
    ).all()
    # A decision names its report; it is looked up among its permit's events (subject index).
    decisions = {
        e.detail.get("report"): e
        for e in session.exec(
            select(AuditEvent).where(
                AuditEvent.action == "misuse_decided",
                col(AuditEvent.actor_id).in_(users),
                col(AuditEvent.subject).in_({r.subject for r in reports}),
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
    found = misuse_reports(session=session, principal=principal, seq=report_seq)
    report = found[0] if found else None
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


# Every action an agreement's staff and officers record, by name (also the log's action filter:
# the app's own list, not a DISTINCT over the log), and how each event reads: one sentence per
# action, with the event's fields as placeholders.
ACTION_NAMES: dict[str, str] = {
    "login": N_("Signed in"),
    "access_denied": N_("Refused access"),
    "permit_checked": N_("Permit checked"),
    "crossing_recorded": N_("Crossing recorded"),
    "crossing_refused": N_("Holder turned back"),
    "misuse_reported": N_("Misuse reported"),
    "misuse_decided": N_("Misuse decided"),
    "permit_issued": N_("Permit issued"),
    "permit_renewed": N_("Permit renewed"),
    "permit_suspend": N_("Permit suspended"),
    "permit_reinstate": N_("Permit reinstated"),
    "permit_revoke": N_("Permit revoked"),
    "application_submitted": N_("Application submitted"),
    "application_approved": N_("Application approved"),
    "application_rejected": N_("Application rejected"),
    "resident_created": N_("Resident registered"),
    "resident_updated": N_("Resident updated"),
    "residents_imported": N_("Residents imported"),
    "cards_printed": N_("Cards printed"),
    "audit_checked": N_("Audit chain checked"),
    "refusal_added": N_("Refusal entry added"),
    "refusal_lifted": N_("Refusal entry lifted"),
    "key_created": N_("Signing key created"),
    "key_revoked": N_("Signing key revoked"),
    "agreement_created": N_("Agreement created"),
    "agreement_changed": N_("Agreement changed"),
    "area_created": N_("Border area added"),
    "area_changed": N_("Border area changed"),
    "area_deleted": N_("Border area deleted"),
    "point_created": N_("Crossing point added"),
    "point_changed": N_("Crossing point changed"),
    "point_deleted": N_("Crossing point deleted"),
    "authority_created": N_("Authority added"),
    "authority_changed": N_("Authority changed"),
    "authority_deleted": N_("Authority deleted"),
    "password_changed": N_("Password changed"),
    "second_factor_enrolled": N_("Two-step sign-in turned on"),
    "second_factor_failed": N_("Wrong sign-in code"),
    "recovery_code_used": N_("Recovery code used"),
    "user_created": N_("Account created"),
    "user_changed": N_("Account changed"),
    "user_deactivated": N_("Account deactivated"),
    "user_reactivated": N_("Account reactivated"),
    "password_reset": N_("Password reset"),
    "second_factor_reset": N_("Second factor reset"),
    "user_unlocked": N_("Sign-in unlocked"),
}
SENTENCES: dict[str, str] = {
    "login": N_("{actor} signed in"),
    "access_denied": N_("{actor} was refused {page}"),
    "permit_checked": N_("{actor} checked permit {subject}: {outcome}"),
    "permit_checked:": N_("{actor} checked a code: {outcome}"),  # no permit number in it
    "crossing_recorded": N_("{actor} recorded {direction} on permit {subject} at {point}"),
    "crossing_refused": N_("{actor} turned back the holder of permit {subject}: {reason}"),
    "misuse_reported": N_("{actor} reported misuse of permit {subject}: {note}"),
    "misuse_decided": N_("{actor} decided on misuse of permit {subject}: {decision}"),
    "permit_issued": N_("{actor} issued permit {subject}"),
    "permit_renewed": N_("{actor} renewed permit {subject} as {new}"),
    "permit_suspend": N_("{actor} suspended permit {subject}: reason {reason}"),
    "permit_reinstate": N_("{actor} reinstated permit {subject}: reason {reason}"),
    "permit_revoke": N_("{actor} revoked permit {subject}: reason {reason}"),
    "application_submitted": N_("{actor} registered an application for document {subject}"),
    "application_approved": N_("{actor} approved the application for document {subject}"),
    "application_rejected": N_("{actor} rejected the application for document {subject}: {reason}"),
    "resident_created": N_("{actor} registered the resident with document {subject}"),
    "resident_updated": N_("{actor} updated the resident with document {subject}"),
    "residents_imported": N_("{actor} imported {imported} of {rows} rows of residents"),
    "cards_printed": N_("{actor} printed permit cards: {count}"),
    "audit_checked": N_("{actor} checked the audit chain: {result}"),
    "refusal_added": N_("{actor} put document {subject} on the refusal list of {authority}"),
    "refusal_lifted": N_("{actor} lifted the refusal of document {subject} ({authority})"),
    "key_created": N_("{actor} created signing key {subject} for {authority}"),
    "key_revoked": N_(
        "{actor} revoked signing key {subject}; permits that stop verifying: {permits}"
    ),
    "agreement_created": N_("{actor} created agreement {subject}"),
    "agreement_changed": N_("{actor} changed agreement {subject}"),
    "area_created": N_("{actor} added border area {subject}"),
    "area_changed": N_("{actor} changed border area {subject}"),
    "area_deleted": N_("{actor} deleted border area {subject}"),
    "point_created": N_("{actor} added crossing point {subject}"),
    "point_changed": N_("{actor} changed crossing point {subject}"),
    "point_deleted": N_("{actor} deleted crossing point {subject}"),
    "authority_created": N_("{actor} added authority {subject}"),
    "authority_changed": N_("{actor} changed authority {subject}"),
    "authority_deleted": N_("{actor} deleted authority {subject}"),
    "password_changed": N_("{actor} changed their one-time password"),
    "second_factor_enrolled": N_("{actor} turned on two-step sign-in"),
    "second_factor_failed": N_("{actor} gave a wrong sign-in code"),
    "recovery_code_used": N_("{actor} signed in with a recovery code ({left} left)"),
    "user_created": N_("{actor} created the account {subject}"),
    "user_changed": N_("{actor} changed the account {subject}"),
    "user_deactivated": N_("{actor} deactivated the account {subject}"),
    "user_reactivated": N_("{actor} reactivated the account {subject}"),
    "password_reset": N_("{actor} reset the password of {subject}"),
    "second_factor_reset": N_("{actor} reset the second factor of {subject}"),
    "user_unlocked": N_("{actor} unlocked the sign-in of {subject}"),
}
UNKNOWN_SENTENCE = N_("{actor}: {action} {subject}")
# The state (page) a refused handler belongs to, by its class name in the recorded handler.
PAGES: dict[str, str] = {
    "authority_state": N_("the authority desk"),
    "residents_state": N_("the residents page"),
    "applications_state": N_("the applications page"),
    "oversight_state": N_("the oversight page"),
    "officer_state": N_("the officer page"),
    "wallet_state": N_("the wallet"),
    "admin_state": N_("the administration page"),
    "admin_refusals_state": N_("the refusal list page"),
    "admin_keys_state": N_("the signing keys page"),
    "admin_agreements_state": N_("the agreement set-up page"),
    "account_state": N_("the account page"),
}
OTHER_PAGE = N_("a page of another role")
# What a refused caller lacked (the refusal's subject), in words.
PERMISSIONS: dict[str, str] = {
    Action.VIEW_AUTHORITY_DESK: N_("the authority desk"),
    Action.MANAGE_PERMITS: N_("permit management"),
    Action.SCAN: N_("the officer page"),
    Action.RECORD_CROSSING: N_("recording crossings"),
    Action.VIEW_WALLET: N_("the wallet"),
    Action.ADMINISTER: N_("the administration page"),
    Action.OWN_ACCOUNT: N_("the account page"),
}
FIELD_LABELS: dict[str, str] = {
    "seq": N_("Event"),
    "actor": N_("Who"),
    "action": N_("Action"),
    "subject": N_("Subject"),
    # the details each action records
    "handler": N_("Page"),
    "client": N_("Client address"),
    "repeated": N_("Repeated"),
    "since": N_("Since"),
    "outcome": N_("Verdict"),
    "code": N_("Verdict reason"),
    "reason": N_("Reason"),
    "point": N_("Crossing point"),
    "source": N_("Read from"),
    "direction": N_("Direction"),
    "note": N_("Note"),
    "report": N_("Event"),
    "decision": N_("Decision"),
    "from": N_("Status before"),
    "to": N_("Status after"),
    "resident": N_("Resident"),
    "kid": N_("Signing key"),
    "new": N_("New permit"),
    "permit": N_("Permit number"),
    "valid_until": N_("Valid until"),
    "numbers": N_("Permits"),
    "years": N_("Validity in years"),
    "application": N_("Application"),
    "fields": N_("Changed fields"),
    "photo": N_("Photo"),
    "rows": N_("Rows"),
    "imported": N_("Imported"),
    "errors": N_("Errors"),
    "ok": N_("Intact"),
    "events": N_("Events"),
    "first_broken_seq": N_("First broken event"),
    "problem": N_("Problem"),
    "full": N_("Full check"),
    "walked": N_("Events read"),
    "from_seq": N_("Started after event"),
    "legacy": N_("Old-format events"),
    "checkpoint": N_("Signed checkpoint"),
    "authority": N_("Authority"),
    "entry": N_("Entry"),
    "before": N_("Before"),
    "after": N_("After"),
    "full_name": N_("Full name"),
    "until": N_("Until"),
    "active": N_("Active key"),
    "retired": N_("Retired keys"),
    "permits": N_("Permits that stop verifying"),
    "status": N_("Status"),
    "agreement": N_("Agreement"),
    "left": N_("Recovery codes left"),
    "switched_off": N_("Account switched off"),
    "sessions_ended": N_("Sessions ended"),
    "recovery_codes": N_("Recovery codes removed"),
    "failures": N_("Failed sign-ins forgotten"),
}
YES, NO = N_("yes"), N_("no")
CHAIN_INTACT, CHAIN_BROKEN = N_("intact"), N_("broken at event {seq}")
SOURCE_LABELS: dict[str, str] = {
    Source.CAMERA: N_("Camera"),
    Source.FRAME: N_("Camera"),
    Source.PHOTO: N_("Photo"),
    Source.MANUAL: N_("Typed number"),
}
_CODE_WORD = re.compile(r"[a-z]+(?:_[a-z]+)+")


def _words(value: str) -> str:
    """A code nobody translated reads as words: `proof_of_residence` → `proof of residence`."""
    return value.replace("_", " ") if _CODE_WORD.fullmatch(value) else value


def page_of(handler: str) -> str:
    """The page (a message id) whose state a recorded handler name ends with."""
    state = handler.rsplit(".", 1)[-1].rsplit("____", 1)[-1]
    return PAGES.get(state, OTHER_PAGE)


def _translated(table: Mapping[str, str]) -> Callable[[object, str, Mapping[str, str]], str]:
    return lambda value, lang, _points: t(table[str(value)], lang) if str(value) in table else ""


def _verdict_reason(value: object, lang: str, _points: Mapping[str, str]) -> str:
    return t(REASONS[Code(value)], lang) if value in set(Code) else ""


def _status(value: object, lang: str, _points: Mapping[str, str]) -> str:
    known = str(value) in set(PermitStatus)
    return t(STATUS_LABEL[PermitStatus(str(value))], lang) if known else ""


# Detail values that are codes, in words of the reader's language ("" when not a known code).
_VALUES: dict[str, Callable[[object, str, Mapping[str, str]], str]] = {
    "handler": lambda value, lang, _points: t(page_of(str(value)), lang),
    "outcome": lambda value, lang, _points: t(str(value), lang),
    "code": _verdict_reason,
    "reason": _translated(REFUSAL_REASONS),
    "direction": _translated(DIRECTION_LABEL),
    "decision": _translated(DECISIONS),
    "source": _translated(SOURCE_LABELS),
    "from": _status,
    "to": _status,
    "point": lambda value, _lang, points: points.get(str(value), ""),
    "status": _translated({**KEY_STATUS_LABEL, **REFUSAL_STATUS_LABEL}),
}


def _label(key: str, lang: str) -> str:
    return t(FIELD_LABELS[key], lang) if key in FIELD_LABELS else _words(key).capitalize()


def _value(key: str, value: object, lang: str, points: Mapping[str, str]) -> str:
    known = _VALUES[key](value, lang, points) if key in _VALUES else ""
    if known:
        return known
    if isinstance(value, bool):
        return t(YES if value else NO, lang)
    if isinstance(value, list | tuple):
        return ", ".join(_words(str(v)) for v in value)
    if isinstance(value, dict):  # a change's "before" and "after"
        shown = {k: _value(k, v, lang, points) for k, v in value.items()}
        return "; ".join(f"{_label(k, lang)}: {v}" for k, v in shown.items() if v)
    return _words("" if value is None else str(value))


@dataclass(frozen=True)
class EventText:
    """An audit event as a reader sees it: one sentence, and its fields labelled in words."""

    sentence: str
    fields: tuple[tuple[str, str], ...]


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _chain_result(detail: Mapping[str, object], lang: str) -> str:
    if detail.get("ok"):
        return t(CHAIN_INTACT, lang)
    return t(CHAIN_BROKEN, lang, seq=detail.get("first_broken_seq") or "?")


def describe(event: AuditEvent, lang: str, points: Mapping[str, str]) -> EventText:
    """The event in the reader's language: its sentence, and each raw field with its label."""
    detail = event.detail or {}
    values = {k: _value(k, v, lang, points) for k, v in detail.items()}
    subject = event.subject
    if event.action == audit.REFUSED and subject in PERMISSIONS:
        subject = t(PERMISSIONS[subject], lang)
    params = _Blank(
        values,
        actor=event.actor or "—",
        subject=subject or "—",
        action=t(ACTION_NAMES[event.action], lang)
        if event.action in ACTION_NAMES
        else _words(event.action),
        page=values.get("handler") or (subject if event.action == audit.REFUSED else ""),
        count=str(len(detail.get("numbers") or [])),
        result=_chain_result(detail, lang),
    )
    key = event.action + ("" if event.subject else ":")
    template = t(SENTENCES.get(key) or SENTENCES.get(event.action, UNKNOWN_SENTENCE), lang)
    raw = {"seq": str(event.seq), "actor": event.actor, "action": params["action"]}
    raw |= {"subject": subject, **values}
    return EventText(
        sentence=" ".join(template.format_map(params).split()),
        fields=tuple((_label(k, lang), v) for k, v in raw.items() if v != ""),
    )


def action_name(action: str, lang: str) -> str:
    """An action for the filter: its name in the reader's language, or its code as words."""
    return t(ACTION_NAMES[action], lang) if action in ACTION_NAMES else _words(action)
