"""Authorities' signing keys (encrypted at rest), rotation, revocation, and the trust list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from lbt_app.core.access import Action, Principal, require
from lbt_app.core.keys import SigningKeyPair, decrypt_private_key, encrypt_private_key, generate_key
from lbt_app.core.payload import Codebook
from lbt_app.core.verify import TrustedKey, TrustList
from lbt_app.db.models import (
    Agreement,
    Authority,
    BorderArea,
    CrossingPoint,
    KeyStatus,
    Permit,
    PermitStatus,
    SigningKey,
)
from lbt_app.i18n import N_
from lbt_app.services import audit

STATUS_LABEL = {
    KeyStatus.ACTIVE: N_("Signs new permits"),
    KeyStatus.RETIRED: N_("Retired (still verifies)"),
    KeyStatus.REVOKED: N_("Revoked"),
}


class KeyError_(LookupError):
    """No usable key; the message is a message id."""


def codebook_for(*, session: Session, agreement_id: int) -> Codebook:
    """The agreement's codes in creation order, so indexes never move for signed permits."""

    def codes(model) -> tuple[str, ...]:
        return tuple(
            session.exec(
                select(model.code).where(model.agreement_id == agreement_id).order_by(model.id)
            ).all()
        )

    return Codebook(
        areas=codes(BorderArea), crossing_points=codes(CrossingPoint), issuers=codes(Authority)
    )


def create_key(
    *,
    session: Session,
    authority: Authority,
    kek: bytes,
    now: datetime,
    actor: Principal | None = None,
) -> SigningKey:
    """A new active key for the authority; any older active key is retired (still verifies)."""
    retired = []
    for old in session.exec(
        select(SigningKey).where(
            SigningKey.authority_id == authority.id, SigningKey.status == KeyStatus.ACTIVE
        )
    ):
        old.status, old.retired_at = KeyStatus.RETIRED, now
        session.add(old)
        retired.append(old.kid)
    pair = generate_key(authority.code)
    row = SigningKey(
        kid=pair.kid,
        authority_id=authority.id or 0,
        public_key=pair.public_key,
        private_key_encrypted=encrypt_private_key(pair, kek),
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        action="key_created",
        now=now,
        actor=actor,
        actor_name="system",
        subject=pair.kid,
        detail={
            "authority": authority.code,
            "before": {"active": retired},
            "after": {"active": [pair.kid], "retired": retired},
        },
    )
    return row


def rotate(
    *,
    session: Session,
    authority_code: str,
    kek: bytes,
    now: datetime,
    actor: Principal | None = None,
) -> SigningKey:
    authority = session.exec(select(Authority).where(Authority.code == authority_code)).first()
    if authority is None:
        raise KeyError_(N_("No such authority."))
    return create_key(session=session, authority=authority, kek=kek, now=now, actor=actor)


def revoke(*, session: Session, kid: str, now: datetime, actor: Principal | None = None) -> int:
    """A revoked key's permits fail verification from now on; returns how many that were
    still verifying (`verifying_permits`)."""
    row = session.exec(select(SigningKey).where(SigningKey.kid == kid)).first()
    if row is None:
        raise KeyError_(N_("No such key."))
    if row.status is KeyStatus.REVOKED:
        raise KeyError_(N_("This key is already revoked."))
    count = verifying_permits(session=session, kid=kid, now=now)
    before = str(row.status)
    authority = session.get(Authority, row.authority_id)
    row.status, row.revoked_at = KeyStatus.REVOKED, now
    session.add(row)
    audit.record(
        session=session,
        action="key_revoked",
        now=now,
        actor=actor,
        actor_name="system",
        subject=kid,
        detail={
            "authority": authority.code if authority else "",
            "permits": count,
            "before": {"status": before},
            "after": {"status": str(KeyStatus.REVOKED)},
        },
    )
    return count


def verifying_permits(*, session: Session, kid: str, now: datetime) -> int:
    """The permits signed with `kid` that still verify: not revoked, and not past their last
    day in the agreement's calendar. What revoking the key stops."""
    zone = session.exec(
        select(Agreement.timezone)
        .join(Authority, col(Authority.agreement_id) == Agreement.id)
        .join(SigningKey, col(SigningKey.authority_id) == Authority.id)
        .where(SigningKey.kid == kid)
    ).first()
    today = now.astimezone(ZoneInfo(zone or "UTC")).date()
    return session.exec(
        select(func.count())
        .select_from(Permit)
        .where(
            Permit.kid == kid,
            Permit.status != PermitStatus.REVOKED,
            col(Permit.valid_until) >= today,
        )
    ).one()


@dataclass(frozen=True)
class KeyLine:
    key: SigningKey
    signed: int  # permits it signed
    verifying: int  # of those, the ones that still verify


@dataclass(frozen=True)
class AuthorityKeys:
    authority: Authority
    agreement: Agreement
    keys: list[KeyLine]


def overview(
    *, session: Session, principal: Principal | None, now: datetime
) -> list[AuthorityKeys]:
    """Every issuing authority (and any other that holds keys) with its keys, newest first."""
    require(principal, Action.ADMINISTER)
    holders = select(SigningKey.authority_id)
    rows = session.exec(
        select(Authority, Agreement)
        .join(Agreement, col(Agreement.id) == Authority.agreement_id)
        .where((Authority.kind == "issuing") | col(Authority.id).in_(holders))
        .order_by(Agreement.name, Authority.name)
    ).all()
    signed = dict(session.exec(select(Permit.kid, func.count()).group_by(col(Permit.kid))).all())
    groups = []
    for authority, agreement in rows:
        found = session.exec(
            select(SigningKey)
            .where(SigningKey.authority_id == authority.id)
            .order_by(col(SigningKey.created_at).desc(), col(SigningKey.id).desc())
        ).all()
        lines = [
            KeyLine(
                key,
                signed.get(key.kid, 0),
                verifying_permits(session=session, kid=key.kid, now=now),
            )
            for key in found
        ]
        groups.append(AuthorityKeys(authority, agreement, lines))
    return groups


def signing_key(*, session: Session, authority_id: int, kek: bytes) -> SigningKeyPair:
    row = session.exec(
        select(SigningKey).where(
            SigningKey.authority_id == authority_id,
            SigningKey.status == KeyStatus.ACTIVE,
            col(SigningKey.private_key_encrypted).is_not(None),
        )
    ).first()
    if row is None or row.private_key_encrypted is None:
        raise KeyError_(N_("The issuing authority has no active signing key."))
    return decrypt_private_key(row.private_key_encrypted, kek, row.kid)


def trust_list(*, session: Session, agreement_id: int | None = None) -> TrustList:
    """The keys this installation trusts, with their agreement's zone and codes.

    `agreement_id` narrows it to one agreement's authorities: what an officer there trusts."""
    query = (
        select(SigningKey, Authority, Agreement)
        .join(Authority, col(Authority.id) == SigningKey.authority_id)
        .join(Agreement, col(Agreement.id) == Authority.agreement_id)
    )
    if agreement_id is not None:
        query = query.where(Agreement.id == agreement_id)
    rows = session.exec(query).all()
    books: dict[int, Codebook] = {}
    keys = []
    for key, authority, agreement in rows:
        if agreement.id not in books:
            books[agreement.id or 0] = codebook_for(session=session, agreement_id=agreement.id or 0)
        keys.append(
            TrustedKey(
                kid=key.kid,
                issuer=authority.code,
                public_key=key.public_key,
                status=str(key.status),
                timezone=agreement.timezone,
                codebook=books[agreement.id or 0],
            )
        )
    return TrustList(keys)
