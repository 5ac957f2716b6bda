"""The refusal list: people an issuing authority will not issue a permit to, by travel document
number. An administrator adds and lifts entries; an entry counts (`in_force`) until it is
lifted or its last day has passed in the agreement's calendar."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, func, or_, select

from lbt_app.core.access import Action, Principal, require
from lbt_app.db.models import Agreement, Authority, RefusalEntry
from lbt_app.i18n import N_
from lbt_app.services import audit
from lbt_app.services.residents import (
    BAD_CHARACTERS,
    BAD_DATE,
    BAD_DOCUMENT,
    REQUIRED,
    TOO_LONG,
    normal_document_number,
    valid_document_number,
)

PAGE_SIZE = 20
FIELDS = ("authority", "full_name", "document_number", "reason", "until")
FIELD_LABEL = {
    "authority": N_("Issuing authority"),
    "full_name": N_("Full name"),
    "document_number": N_("Travel document number"),
    "reason": N_("Reason"),
    "until": N_("Until (optional)"),
}
_LIMITS = {"full_name": 200, "reason": 500}
UNKNOWN_AUTHORITY = N_("Choose an issuing authority from the list.")
PAST_DATE = N_("This date has passed.")
ALREADY_LISTED = N_("This document number is already on this authority's list.")
NO_ENTRY = N_("No such entry.")
ALREADY_LIFTED = N_("This entry has already been lifted.")


class RefusalError(ValueError):
    """A refusal-list request that cannot be done; the message is a message id."""


class RefusalFormError(RefusalError):
    """An entry that does not pass its checks: message ids keyed by field name."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("the entry does not pass its checks")
        self.errors = errors


class EntryStatus(StrEnum):
    IN_FORCE = "in_force"
    LIFTED = "lifted"
    ENDED = "ended"


STATUS_LABEL = {
    EntryStatus.IN_FORCE: N_("In force"),
    EntryStatus.LIFTED: N_("Lifted"),
    EntryStatus.ENDED: N_("Ended"),
}


def in_force(today: date) -> ColumnElement[bool]:
    """The entries that refuse a permit on `today` (the agreement's calendar day)."""
    return col(RefusalEntry.lifted_at).is_(None) & (
        col(RefusalEntry.until).is_(None) | (col(RefusalEntry.until) >= today)
    )


def status(entry: RefusalEntry, today: date) -> EntryStatus:
    if entry.lifted_at is not None:
        return EntryStatus.LIFTED
    if entry.until is not None and entry.until < today:
        return EntryStatus.ENDED
    return EntryStatus.IN_FORCE


def agreement_today(agreement: Agreement, now: datetime) -> date:
    return now.astimezone(ZoneInfo(agreement.timezone)).date()


def issuing_authorities(
    *, session: Session, principal: Principal | None
) -> list[tuple[Authority, Agreement]]:
    """The authorities an entry can name, with their agreements, by agreement and name."""
    require(principal, Action.ADMINISTER)
    return list(
        session.exec(
            select(Authority, Agreement)
            .join(Agreement, col(Agreement.id) == Authority.agreement_id)
            .where(Authority.kind == "issuing")
            .order_by(Agreement.name, Authority.name)
        ).all()
    )


@dataclass(frozen=True)
class EntryInput:
    authority: Authority
    agreement: Agreement
    full_name: str
    document_number: str
    reason: str
    until: date | None


def check_entry(
    raw: Mapping[str, object], *, session: Session, now: datetime
) -> tuple[EntryInput | None, dict[str, str]]:
    """Clean and check a new entry; the date is checked in the authority's agreement's calendar."""
    value = {name: " ".join(str(raw.get(name) or "").split()) for name in FIELDS}
    errors: dict[str, str] = {}
    for name in ("full_name", "document_number", "reason"):
        if not value[name]:
            errors[name] = REQUIRED
    for name, limit in _LIMITS.items():
        if len(value[name]) > limit:
            errors[name] = TOO_LONG
    for name in FIELDS:
        if any(unicodedata.category(c)[0] == "C" for c in value[name]):
            errors[name] = BAD_CHARACTERS
    number = normal_document_number(value["document_number"])
    if number and not valid_document_number(number):
        errors["document_number"] = BAD_DOCUMENT
    found = session.exec(
        select(Authority, Agreement)
        .join(Agreement, col(Agreement.id) == Authority.agreement_id)
        .where(Authority.code == value["authority"], Authority.kind == "issuing")
    ).first()
    if found is None:
        errors["authority"] = UNKNOWN_AUTHORITY
    until = None
    if value["until"]:
        try:
            until = date.fromisoformat(value["until"])
        except ValueError:
            errors["until"] = BAD_DATE
        else:
            if found is not None and until < agreement_today(found[1], now):
                errors["until"] = PAST_DATE
    if errors or found is None:
        return None, errors
    authority, agreement = found
    return EntryInput(authority, agreement, value["full_name"], number, value["reason"], until), {}


def add(
    *, session: Session, principal: Principal | None, form: Mapping[str, object], now: datetime
) -> RefusalEntry:
    """Put a person on an authority's refusal list; raises RefusalFormError, writing nothing."""
    principal = require(principal, Action.ADMINISTER)
    record, errors = check_entry(form, session=session, now=now)
    if record is None:
        raise RefusalFormError(errors)
    listed = session.exec(
        select(RefusalEntry.id).where(
            RefusalEntry.authority_id == record.authority.id,
            RefusalEntry.document_number == record.document_number,
            in_force(agreement_today(record.agreement, now)),
        )
    ).first()
    if listed is not None:
        raise RefusalFormError({"document_number": ALREADY_LISTED})
    entry = RefusalEntry(
        authority_id=record.authority.id or 0,
        document_number=record.document_number,
        full_name=record.full_name,
        reason=record.reason,
        until=record.until,
        added_at=now,
        added_by_id=principal.user_id,
    )
    session.add(entry)
    session.flush()
    audit.record(
        session=session,
        action="refusal_added",
        now=now,
        actor=principal,
        subject=entry.document_number,
        detail={
            "entry": entry.id,
            "authority": record.authority.code,
            "before": {},
            "after": {
                "full_name": entry.full_name,
                "reason": entry.reason,
                "until": entry.until.isoformat() if entry.until else "",
                "status": str(EntryStatus.IN_FORCE),
            },
        },
    )
    return entry


def lift(
    *, session: Session, principal: Principal | None, entry_id: int, now: datetime
) -> RefusalEntry:
    """The entry no longer refuses anyone; it stays on the list, marked lifted."""
    principal = require(principal, Action.ADMINISTER)
    found = session.exec(
        select(RefusalEntry, Authority, Agreement)
        .join(Authority, col(Authority.id) == RefusalEntry.authority_id)
        .join(Agreement, col(Agreement.id) == Authority.agreement_id)
        .where(RefusalEntry.id == entry_id)
    ).first()
    if found is None:
        raise RefusalError(NO_ENTRY)
    entry, authority, agreement = found
    before = status(entry, agreement_today(agreement, now))
    if before is EntryStatus.LIFTED:
        raise RefusalError(ALREADY_LIFTED)
    entry.lifted_at, entry.lifted_by_id = now, principal.user_id
    session.add(entry)
    audit.record(
        session=session,
        action="refusal_lifted",
        now=now,
        actor=principal,
        subject=entry.document_number,
        detail={
            "entry": entry.id,
            "authority": authority.code,
            "before": {"status": str(before)},
            "after": {"status": str(EntryStatus.LIFTED)},
        },
    )
    return entry


@dataclass(frozen=True)
class Listed:
    entry: RefusalEntry
    authority: Authority
    agreement: Agreement
    status: EntryStatus


def search(
    *,
    session: Session,
    principal: Principal | None,
    query: str,
    now: datetime,
    page: int = 1,
) -> tuple[list[Listed], int]:
    """One page of entries, newest first, whose name or document number holds `query`."""
    require(principal, Action.ADMINISTER)
    where = []
    text = " ".join(query.split())
    if text:
        number = normal_document_number(text)
        where.append(
            or_(
                col(RefusalEntry.full_name).icontains(text, autoescape=True),
                col(RefusalEntry.document_number).contains(number, autoescape=True),
            )
        )
    total = session.exec(select(func.count()).select_from(RefusalEntry).where(*where)).one()
    rows = session.exec(
        select(RefusalEntry, Authority, Agreement)
        .join(Authority, col(Authority.id) == RefusalEntry.authority_id)
        .join(Agreement, col(Agreement.id) == Authority.agreement_id)
        .where(*where)
        .order_by(col(RefusalEntry.added_at).desc(), col(RefusalEntry.id).desc())
        .offset((max(1, page) - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return [Listed(e, a, g, status(e, agreement_today(g, now))) for e, a, g in rows], total
