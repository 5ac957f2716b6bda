"""The resident's wallet: the live-code secret (core/live.py) and what the wallet shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from lbt_app.core import keys, live
from lbt_app.core.access import AccessDenied, Action, Principal, require
from lbt_app.core.stay import StayStatus
from lbt_app.db.models import (
    Agreement,
    BorderArea,
    CrossingPoint,
    Document,
    Permit,
    PermitCrossingPoint,
    PermitStatus,
    Resident,
    WalletSecret,
)
from lbt_app.services import audit
from lbt_app.services.permits import effective_status
from lbt_app.services.stays import PastCrossing, stay_of


def _context(resident_id: int) -> str:
    return f"wallet:{resident_id}"


def activate(*, session: Session, principal: Principal | None, kek: bytes, now: datetime) -> bytes:
    """The secret of the caller's wallet, made on first use; from then on, a permit QR without
    a fresh live code is a static copy for this holder."""
    principal = require(principal, Action.VIEW_WALLET)
    if principal.resident_id is None:
        raise AccessDenied("You are not allowed to do this.")
    row = session.exec(
        select(WalletSecret).where(WalletSecret.resident_id == principal.resident_id)
    ).first()
    if row is not None:
        return keys.unseal(row.secret_sealed, kek, _context(principal.resident_id))
    secret = live.new_secret()
    session.add(
        WalletSecret(
            resident_id=principal.resident_id,
            secret_sealed=keys.seal(secret, kek, _context(principal.resident_id)),
            activated_at=now,
        )
    )
    audit.record(
        session=session,
        action="wallet_activated",
        now=now,
        actor=principal,
        subject=str(principal.resident_id),
    )
    return secret


def rotate(*, session: Session, resident_id: int, kek: bytes, now: datetime) -> bool:
    """A new secret for a wallet (at sign-out): codes from a copied old secret stop verifying.

    The wallet stays a wallet, so the plain permit text stays a static copy."""
    row = session.exec(select(WalletSecret).where(WalletSecret.resident_id == resident_id)).first()
    if row is None:
        return False
    row.secret_sealed = keys.seal(live.new_secret(), kek, _context(resident_id))
    row.activated_at = now
    session.add(row)
    audit.record(session=session, action="wallet_rotated", now=now, subject=str(resident_id))
    return True


def live_code_ok(
    *, session: Session, resident_id: int, code: str | None, kek: bytes, now: datetime
) -> bool:
    """Whether a scanned QR may stand for the holder's wallet or card right now:
    no wallet → only a text without a live code; a wallet → a fresh live code."""
    row = session.exec(select(WalletSecret).where(WalletSecret.resident_id == resident_id)).first()
    if row is None:
        return code is None
    if code is None:
        return False
    return live.code_is_fresh(keys.unseal(row.secret_sealed, kek, _context(resident_id)), code, now)


RENEW_REMINDER_DAYS = 60


@dataclass(frozen=True)
class WalletView:
    """What the resident's wallet shows: their permit (the newest usable one) and stay."""

    permit: Permit
    status: PermitStatus
    holder_latin: str
    holder_native: str
    area: BorderArea
    points: tuple[str, ...]
    photo: bytes | None
    stay: StayStatus
    recent: tuple[PastCrossing, ...]
    renew_soon: bool


def wallet_view(
    *, session: Session, principal: Principal | None, now: datetime
) -> WalletView | None:
    """The caller's own permit only; None when they hold none yet."""
    principal = require(principal, Action.VIEW_WALLET)
    today = now.astimezone(principal.zone).date()
    held = session.exec(
        select(Permit)
        .where(Permit.resident_id == principal.resident_id)
        .order_by(col(Permit.issued_at).desc())
    ).all()
    if not held:
        return None
    permit = next((p for p in held if effective_status(p, today) is PermitStatus.ACTIVE), held[0])
    resident = session.get(Resident, permit.resident_id)
    area = session.get(BorderArea, permit.border_area_id)
    agreement = session.get(Agreement, area.agreement_id if area else 0)
    if resident is None or area is None or agreement is None:
        return None
    photo = session.get(Document, resident.photo_id) if resident.photo_id else None
    points = session.exec(
        select(CrossingPoint.name)
        .join(PermitCrossingPoint, col(PermitCrossingPoint.crossing_point_id) == CrossingPoint.id)
        .where(PermitCrossingPoint.permit_id == permit.id)
        .order_by(CrossingPoint.id)
    ).all()
    stay, recent = stay_of(session, permit, agreement, now, last=10)
    status = effective_status(permit, today)
    return WalletView(
        permit=permit,
        status=status,
        holder_latin=f"{resident.surname_latin} {resident.given_names_latin}",
        holder_native=f"{resident.surname_native} {resident.given_names_native}",
        area=area,
        points=tuple(points),
        photo=photo.data if photo else None,
        stay=stay,
        recent=recent,
        renew_soon=status is PermitStatus.ACTIVE
        and (permit.valid_until - today).days <= RENEW_REMINDER_DAYS,
    )
