"""The officer's check: the offline verdict from the core, plus what only the server knows.

One place decides a verdict: the officer page, the API and the CLI all call `verify_scan`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from lbt_app.core.access import AccessDenied, Principal, Role
from lbt_app.core.live import split as split_live
from lbt_app.core.payload import PermitClaims, photo_hash
from lbt_app.core.stay import (
    Direction,
    StayStatus,
    check_crossing,
)
from lbt_app.core.stay import proposed_direction as propose
from lbt_app.core.verdict import Code, Outcome, Verdict
from lbt_app.core.verify import verify
from lbt_app.db.engine import one_at_a_time
from lbt_app.db.models import (
    Agreement,
    AuditEvent,
    Authority,
    BorderArea,
    Crossing,
    CrossingPoint,
    Document,
    Permit,
    PermitStatus,
    Resident,
)
from lbt_app.i18n import N_
from lbt_app.metrics import CROSSINGS, SCANS
from lbt_app.services import audit, keys, wallet
from lbt_app.services.stays import PastCrossing, settle, stay_of
from lbt_app.settings import get_settings


class CrossingError(ValueError):
    """A crossing that may not be recorded; the message is a message id."""


# The passage was recorded after this officer's check (by a colleague, or by this same check).
ALREADY_RECORDED = N_("Already recorded.")
CHECKED = "permit_checked"
_PASSAGES = 0x0C205517  # lock topic: one holder's passages are recorded one at a time


class Source(StrEnum):
    """How the permit text reached the server; kept in the audit log (and `Crossing.manual`)."""

    CAMERA = "camera"  # decoded in the officer's browser
    FRAME = "frame"  # a camera frame decoded on the server (fallback)
    PHOTO = "photo"  # a still photo uploaded and decoded on the server
    MANUAL = "manual"  # permit number typed for a damaged card


# Why an officer turns a holder back: a short list, so the statistics can count them.
REFUSAL_REASONS: dict[str, str] = {
    "not_the_holder": N_("The person is not the holder"),
    "no_identity_document": N_("No identity document"),
    "beyond_border_area": N_("Travelling beyond the border area"),
    "overstay": N_("Overstayed the permitted stay"),
    "suspected_forgery": N_("Suspected forgery"),
    "other": N_("Other reason"),
}
MAX_NOTE_CHARS = 500
# Verdicts under which a holder recorded inside may still be let out (and the exit recorded):
# leaving is what the rules want of an expired, withdrawn or overstayed permit. Not a forgery,
# a photo that does not match, or a point the permit does not allow.
EXIT_ALLOWED = frozenset(
    {
        Code.VALID,
        Code.EXPIRED,
        Code.REVOKED,
        Code.SUSPENDED,
        Code.STAY_LIMIT_EXCEEDED,
        Code.STATIC_COPY,
    }
)
# Codes looked at in one picture: a photo of a wall of stickers costs no more than this.
MAX_CODES_PER_IMAGE = 16
MAX_TEXT_CHARS = 4096


@dataclass(frozen=True)
class Check:
    """A verdict with the server's context; every field is always set."""

    verdict: Verdict
    permit: Permit | None = None
    resident: Resident | None = None
    photo: bytes | None = None  # only when proven against the signed hash
    stay: StayStatus | None = None
    direction: Direction | None = None
    recent: tuple[PastCrossing, ...] = field(default_factory=tuple)
    point_code: str = ""
    # The directions the server would record now (`record_crossing` asks the same question).
    recordable: frozenset[Direction] = frozenset()
    # Names for the codes in the permit, from its agreement (people read names, not codes).
    area_name: str = ""
    point_names: Mapping[str, str] = field(default_factory=dict)
    # The audit event that recorded this check (0: not recorded): what a crossing is recorded from.
    check_id: int = 0

    def point_name(self, code: str) -> str:
        return self.point_names.get(code, code)


def _why_not_recorded(direction: Direction, verdict: Verdict, stay: StayStatus) -> str | None:
    """The one rule for recording a passage: a message id saying why not, or None if it may be.

    An entry needs a VALID verdict. An exit needs a holder recorded inside and a verdict under
    which the rules let the holder leave (`EXIT_ALLOWED`)."""
    if direction is Direction.ENTRY:
        if verdict.outcome is not Outcome.VALID:
            return N_("Entry cannot be recorded with this verdict.")
        return None
    if not stay.inside:
        return N_("The holder is not recorded as inside the border area.")
    if verdict.code not in EXIT_ALLOWED:
        return N_("Exit cannot be recorded with this verdict.")
    return None


def _point_code(session: Session, principal: Principal) -> str:
    point = session.get(CrossingPoint, principal.crossing_point_id)
    return point.code if point else ""


def _require_officer(principal: Principal) -> None:
    """An officer acts at their own crossing point, for their own agreement only."""
    if (
        principal.role is not Role.OFFICER
        or principal.crossing_point_id is None
        or principal.agreement_id is None
    ):
        raise AccessDenied("You are not allowed to do this.")


def _online_code(
    *,
    permit: Permit,
    claims: PermitClaims,
    point_code: str | None,
    photo_proven: bool,
    live_ok: bool,
    stay: StayStatus,
    direction: Direction,
) -> Code | None:
    if permit.status is PermitStatus.REVOKED:
        return Code.REVOKED
    if permit.status is PermitStatus.SUSPENDED:
        return Code.SUSPENDED
    if point_code is not None and point_code not in claims.crossing_points:
        return Code.CROSSING_POINT_NOT_ALLOWED
    if not photo_proven:
        return Code.PHOTO_MISMATCH
    if not live_ok:
        return Code.STATIC_COPY
    problem = check_crossing(stay, direction)
    return Code(problem) if problem else None


def assess(
    *,
    session: Session,
    text: str,
    now: datetime,
    point_code: str | None,
    direction: Direction | None = None,
    live: bool = True,
    agreement_id: int | None = None,
) -> Check:
    """The verdict for a permit text; `point_code` None skips the crossing-point rule.

    A wallet's live text carries a 30-second code (core/live.py): the permit inside is verified
    as usual, then the code must be fresh for a holder with a wallet (`live` False skips this:
    the typed number of a damaged card). `agreement_id` trusts only that agreement's issuers:
    another agreement's permit is `unknown_issuer` and shows nothing of its holder."""
    permit_text, code = split_live(text[:MAX_TEXT_CHARS])
    trust = keys.trust_list(session=session, agreement_id=agreement_id)
    offline = verify(permit_text, trust, now)
    claims = offline.claims
    if claims is None:
        return Check(verdict=offline, point_code=point_code or "")
    permit = session.exec(select(Permit).where(Permit.number == claims.number)).first()
    if permit is None:  # signed by a trusted key, yet the register has no such permit
        verdict = Verdict.of(Code.NOT_REGISTERED, claims=claims, kid=offline.kid)
        return Check(verdict=verdict, point_code=point_code or "")
    live_ok = not live or wallet.live_code_ok(
        session=session,
        resident_id=permit.resident_id,
        code=code,
        kek=get_settings().key_encryption_key(),
        now=now,
    )
    return _online(
        session=session,
        permit=permit,
        offline=offline,
        claims=claims,
        point_code=point_code,
        direction=direction,
        now=now,
        live_ok=live_ok,
    )


def verify_scan(
    *,
    session: Session,
    principal: Principal,
    text: str,
    now: datetime,
    direction: Direction | None = None,
    source: Source = Source.CAMERA,
) -> Check:
    """The full verdict for a scanned (or typed) permit at the officer's crossing point."""
    _require_officer(principal)
    point_code = _point_code(session, principal)
    check = assess(
        session=session,
        text=text,
        now=now,
        point_code=point_code,
        direction=direction,
        live=source is not Source.MANUAL,
        agreement_id=principal.agreement_id,
    )
    event = record_check(session=session, check=check, now=now, actor=principal, source=source)
    return replace(check, check_id=event.id or 0)


@dataclass(frozen=True)
class PermitChoice:
    """The code of a picture that gets the verdict, and what to say about the others."""

    text: str
    note: str = ""  # a message id shown with the verdict, or ""


def choose_permit_text(
    *, session: Session, texts: Sequence[str], agreement_id: int | None, now: datetime
) -> PermitChoice:
    """One place decides which code of a picture is the permit: the first that is a genuine
    permit of the agreement (verified against its trust list), else the first code.

    Only the chosen text is checked (and audited); the other codes are dropped unrecorded."""
    if len(texts) <= 1:
        return PermitChoice(texts[0] if texts else "")
    trust = keys.trust_list(session=session, agreement_id=agreement_id)
    for text in texts[:MAX_CODES_PER_IMAGE]:
        if verify(split_live(text[:MAX_TEXT_CHARS])[0], trust, now).claims is not None:
            return PermitChoice(text, N_("Several codes in the picture; the permit was used."))
    return PermitChoice(texts[0], N_("Several codes in the picture; none is a permit."))


def record_check(
    *,
    session: Session,
    check: Check,
    now: datetime,
    actor: Principal | None = None,
    actor_name: str = "",
    source: Source | None = None,
    number: str = "",
) -> AuditEvent:
    """Every verification leaves one audit event, whoever asked (officer page or CLI).

    `number` names the subject when the text has none (a typed number not registered)."""
    claims = check.verdict.claims
    SCANS.labels(outcome=str(check.verdict.outcome), source=str(source) if source else "cli").inc()
    return audit.record(
        session=session,
        action=CHECKED,
        now=now,
        actor=actor,
        actor_name=actor_name,
        subject=claims.number if claims else number,
        detail={
            "outcome": str(check.verdict.outcome),
            "code": str(check.verdict.code),
            "point": check.point_code,
            "source": str(source) if source else "",
        },
    )


def _online(
    *,
    session: Session,
    permit: Permit,
    offline: Verdict,
    claims: PermitClaims,
    point_code: str | None,
    direction: Direction | None,
    now: datetime,
    live_ok: bool,
) -> Check:
    resident = session.get(Resident, permit.resident_id)
    authority = session.get(Authority, permit.authority_id)
    agreement = session.get(Agreement, authority.agreement_id if authority else 0)
    if resident is None or agreement is None:
        return Check(verdict=offline, point_code=point_code or "")
    photo = session.get(Document, resident.photo_id) if resident.photo_id else None
    proven = photo is not None and photo_hash(photo.data) == claims.photo_hash
    stay, recent = stay_of(session, permit, agreement, now)
    chosen = Direction(direction) if direction else propose(stay)

    def verdict_for(way: Direction) -> Verdict:
        if offline.outcome is not Outcome.VALID:
            return offline
        code = _online_code(
            permit=permit,
            claims=claims,
            point_code=point_code,
            photo_proven=proven,
            live_ok=live_ok,
            stay=stay,
            direction=way,
        )
        return Verdict.of(code, claims=claims, kid=offline.kid) if code else offline

    points = session.exec(
        select(CrossingPoint).where(CrossingPoint.agreement_id == agreement.id)
    ).all()
    area = session.exec(
        select(BorderArea).where(
            BorderArea.agreement_id == agreement.id, BorderArea.code == claims.border_area
        )
    ).first()
    return Check(
        verdict=verdict_for(chosen),
        permit=permit,
        resident=resident,
        photo=photo.data if photo is not None and proven else None,
        stay=stay,
        direction=chosen,
        recent=recent,
        point_code=point_code or "",
        recordable=frozenset(
            way for way in Direction if _why_not_recorded(way, verdict_for(way), stay) is None
        ),
        area_name=area.name if area else "",
        point_names={p.code: p.name for p in points},
    )


def verify_number(
    *,
    session: Session,
    principal: Principal,
    number: str,
    now: datetime,
    direction: Direction | None = None,
) -> Check:
    """Manual entry for a damaged card: the stored payload goes through the same check."""
    _require_officer(principal)
    number = number.strip().upper()
    permit = session.exec(
        select(Permit)
        .join(Authority, col(Authority.id) == Permit.authority_id)
        .where(Permit.number == number, Authority.agreement_id == principal.agreement_id)
    ).first()
    if permit is None:  # readable, but no permit of this agreement has it
        check = Check(
            verdict=Verdict.of(Code.NOT_REGISTERED), point_code=_point_code(session, principal)
        )
        event = record_check(
            session=session,
            check=check,
            now=now,
            actor=principal,
            source=Source.MANUAL,
            number=number,
        )
        return replace(check, check_id=event.id or 0)
    return verify_scan(
        session=session,
        principal=principal,
        text=permit.payload,
        now=now,
        direction=direction,
        source=Source.MANUAL,
    )


def record_crossing(
    *,
    session: Session,
    principal: Principal,
    text: str,
    direction: Direction,
    check_id: int,
    now: datetime,
    source: Source = Source.CAMERA,
    live: bool = True,
) -> Crossing:
    """Record one passage from the officer's check `check_id` (`Check.check_id`); the server
    re-checks the permit and never takes a client's verdict.

    What may be recorded is decided once, in `_why_not_recorded` (an overstay or a withdrawn
    permit must leave; its code is kept). `live` False
    skips the live-code rule for a text whose code the server already found fresh at the scan
    (the officer decides a little later than the 30-second step).

    One passage, one crossing, whatever the concurrency: the holder's crossings are written
    one transaction at a time (`one_at_a_time` per holder), and a crossing of the holder
    recorded after the check (two officers at once, or the same check sent twice) makes this
    one ALREADY_RECORDED. The database keeps one crossing per check (`uq_crossing_check`).
    The holder's open stay (what the desk counts as inside) is settled in the same transaction,
    under the same lock.
    """
    direction = Direction(direction)
    _require_officer(principal)
    checked, permit = _checked_permit(session, principal, check_id)
    one_at_a_time(session, _PASSAGES, permit.resident_id)
    if _recorded_since(session, permit.resident_id, checked):
        raise CrossingError(ALREADY_RECORDED)
    # The re-check is part of this record (its code is kept), not a scan of its own.
    check = assess(
        session=session,
        text=text,
        now=now,
        point_code=_point_code(session, principal),
        direction=direction,
        live=live and source is not Source.MANUAL,
        agreement_id=principal.agreement_id,
    )
    if check.permit is None or check.permit.id != permit.id or check.stay is None:
        raise CrossingError(N_("This permit cannot be recorded."))
    problem = _why_not_recorded(direction, check.verdict, check.stay)
    if problem is not None:
        raise CrossingError(problem)
    crossing = Crossing(
        permit_id=check.permit.id or 0,
        crossing_point_id=principal.crossing_point_id or 0,
        officer_id=principal.user_id,
        direction=str(direction),
        at=now,
        verdict=str(check.verdict.outcome),
        code=str(check.verdict.code),
        manual=source is Source.MANUAL,
        check_id=check_id,
    )
    session.add(crossing)
    session.flush()
    agreement = session.get(Agreement, principal.agreement_id)
    if agreement is not None:  # the holders inside, in the same transaction
        settle(session, agreement=agreement, resident_id=check.permit.resident_id, now=now)
    CROSSINGS.labels(direction=str(direction)).inc()
    audit.record(
        session=session,
        action="crossing_recorded",
        now=now,
        actor=principal,
        subject=check.permit.number,
        detail={
            "direction": str(direction),
            "point": check.point_code,
            "code": str(check.verdict.code),
            "source": str(source),
        },
    )
    return crossing


def _checked_permit(
    session: Session, principal: Principal, check_id: int
) -> tuple[AuditEvent, Permit]:
    """This officer's check and the registered permit it was of."""
    checked = session.get(AuditEvent, check_id)
    if checked is not None and checked.action == CHECKED and checked.actor_id == principal.user_id:
        permit = session.exec(select(Permit).where(Permit.number == checked.subject)).first()
        if permit is not None:
            return checked, permit
    raise CrossingError(N_("This permit cannot be recorded."))


def _recorded_since(session: Session, resident_id: int, checked: AuditEvent) -> bool:
    """A crossing of the holder was recorded from this check, or after it was made."""
    return (
        session.exec(
            select(Crossing.id)
            .join(Permit, col(Permit.id) == Crossing.permit_id)
            .where(
                Permit.resident_id == resident_id,
                (col(Crossing.check_id) == checked.id) | (col(Crossing.at) > checked.at),
            )
            .limit(1)
        ).first()
        is not None
    )


def _decision(
    *,
    session: Session,
    principal: Principal,
    text: str,
    now: datetime,
    action: str,
    detail: dict,
) -> None:
    """An officer's refusal or report about the permit just checked, with the server's time."""
    _require_officer(principal)
    point_code = _point_code(session, principal)
    check = assess(
        session=session,
        text=text,
        now=now,
        point_code=point_code,
        agreement_id=principal.agreement_id,
    )
    claims = check.verdict.claims
    audit.record(
        session=session,
        action=action,
        now=now,
        actor=principal,
        subject=claims.number if claims else "",
        detail={**detail, "point": point_code, "code": str(check.verdict.code)},
    )


def refuse(
    *, session: Session, principal: Principal, text: str, reason: str, now: datetime
) -> None:
    """The officer turns the holder back, for one of `REFUSAL_REASONS`."""
    if reason not in REFUSAL_REASONS:
        raise CrossingError(N_("Choose a reason from the list."))
    _decision(
        session=session,
        principal=principal,
        text=text,
        now=now,
        action="crossing_refused",
        detail={"reason": reason},
    )


def report_misuse(
    *, session: Session, principal: Principal, text: str, note: str, now: datetime
) -> None:
    """The officer reports suspected abuse of a permit, in their own words."""
    note = " ".join(note.split())
    if not note:
        raise CrossingError(N_("Describe what you noticed."))
    if len(note) > MAX_NOTE_CHARS:
        raise CrossingError(N_("The note is too long."))
    _decision(
        session=session,
        principal=principal,
        text=text,
        now=now,
        action="misuse_reported",
        detail={"note": note},
    )


SHIFT_ACTIONS = ("permit_checked", "crossing_recorded", "crossing_refused", "misuse_reported")


@dataclass(frozen=True)
class ShiftEntry:
    at: datetime
    action: str
    number: str
    outcome: str  # VALID / INVALID / CHECK for checks, else ""
    direction: str  # entry / exit for crossings, else ""


@dataclass(frozen=True)
class Shift:
    """One officer's work today (the agreement's calendar day), newest first."""

    day: date
    zone: ZoneInfo
    counts: dict[str, int]
    entries: tuple[ShiftEntry, ...]


def shift(*, session: Session, principal: Principal, now: datetime, limit: int = 50) -> Shift:
    _require_officer(principal)
    point = session.get(CrossingPoint, principal.crossing_point_id)
    agreement = session.get(Agreement, point.agreement_id) if point else None
    zone = ZoneInfo(agreement.timezone if agreement else "UTC")
    day = now.astimezone(zone).date()
    start = datetime.combine(day, time.min, zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, zone).astimezone(UTC)
    events = session.exec(
        select(AuditEvent)
        .where(
            AuditEvent.actor_id == principal.user_id,
            col(AuditEvent.action).in_(SHIFT_ACTIONS),
            col(AuditEvent.at) >= start,
            col(AuditEvent.at) < end,
        )
        .order_by(col(AuditEvent.seq).desc())
    ).all()
    counts = dict.fromkeys(
        ("scans", "VALID", "INVALID", "CHECK", "entry", "exit", "refused", "reported"), 0
    )
    for e in events:
        if e.action == "permit_checked":
            counts["scans"] += 1
            counts[e.detail.get("outcome", "INVALID")] += 1
        elif e.action == "crossing_recorded":
            counts[e.detail.get("direction", "entry")] += 1
        elif e.action == "crossing_refused":
            counts["refused"] += 1
        else:
            counts["reported"] += 1
    entries = tuple(
        ShiftEntry(
            at=e.at,
            action=e.action,
            number=e.subject,
            outcome=e.detail.get("outcome", "") if e.action == "permit_checked" else "",
            direction=e.detail.get("direction", "") if e.action == "crossing_recorded" else "",
        )
        for e in events[:limit]
    )
    return Shift(day=day, zone=zone, counts=counts, entries=entries)
