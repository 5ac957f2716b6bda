"""Two-step sign-in for staff: who is asked for a code, enrolment, and checking a code or a
recovery code against a user's stored secret (sealed under the KEK)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, delete, select, update

from lbt_app.core import qr
from lbt_app.core import second_factor as totp
from lbt_app.core.access import AccessDenied, Action, Principal, Role, require
from lbt_app.core.keys import KeyDecryptionError, seal, unseal
from lbt_app.db.models import RecoveryCode, User
from lbt_app.services import audit
from lbt_app.settings import get_settings

# Who must have a second factor when the installation requires one; who may have one.
REQUIRED_ROLES = frozenset({Role.ADMIN, Role.AUTHORITY})
OPTIONAL_ROLES = frozenset({Role.OFFICER})


@dataclass(frozen=True)
class Enrolment:
    """What the person copies into their authenticator app: a QR, or the secret typed; and
    the secret sealed, kept on the server until the app's first code puts it in force."""

    qr: str  # a data: URL of a PNG
    secret: str  # base32 in groups of four
    sealed: bytes = field(repr=False)


def enrolled(user: User) -> bool:
    return user.totp_enabled_at is not None and user.totp_secret_sealed is not None


def may_enrol(user: User) -> bool:
    return user.role in REQUIRED_ROLES | OPTIONAL_ROLES


def must_enrol(user: User) -> bool:
    """Required by the installation (LBT_SECOND_FACTOR) for this role, and not done yet."""
    required = get_settings().second_factor == "required" and user.role in REQUIRED_ROLES
    return required and not enrolled(user)


def _context(user: User) -> str:
    return f"totp:{user.id}"


def begin(*, user: User, kek: bytes) -> Enrolment:
    """A new secret for the user; nothing is stored until a first code matches it (confirm).
    An enrolled user keeps theirs (an administrator resets it)."""
    if enrolled(user) or not may_enrol(user):
        raise ValueError("this user cannot enrol")
    secret = totp.new_secret()
    # 4 pixels a module, shown at its own size (about 200 px): crisp on a phone's screen.
    png = qr.render_png(totp.provisioning_uri(secret, user.username), box_size=4)
    return Enrolment(
        qr="data:image/png;base64," + base64.b64encode(png).decode(),
        secret=totp.secret_text(secret),
        sealed=seal(secret, kek, _context(user)),
    )


def _step(user: User, sealed: bytes | None, code: str, kek: bytes, now: datetime) -> int | None:
    if not sealed:
        return None
    try:
        secret = unseal(sealed, kek, _context(user))
    except KeyDecryptionError:  # sealed for another user
        return None
    return totp.matching_step(secret, code, now.timestamp(), user.totp_last_step)


def confirm(
    *,
    session: Session,
    user: User,
    actor: Principal,
    sealed: bytes,
    code: str,
    kek: bytes,
    now: datetime,
) -> list[str] | None:
    """Put the begun secret in force if `code` matches it; then the recovery codes, shown
    once (only their hashes are kept, the old ones are void). None: the code did not match."""
    if enrolled(user) or not may_enrol(user):
        return None
    step = _step(user, sealed, code, kek, now)
    if step is None:
        return None
    user.totp_secret_sealed, user.totp_enabled_at, user.totp_last_step = sealed, now, step
    session.add(user)
    codes = totp.new_recovery_codes()
    session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    session.add_all(
        RecoveryCode(user_id=user.id or 0, code_hash=totp.recovery_hash(c)) for c in codes
    )
    audit.record(
        session=session,
        action="second_factor_enrolled",
        now=now,
        actor=actor,
        subject=user.username,
    )
    return codes


def check(
    *, session: Session, user: User, actor: Principal, code: str, kek: bytes, now: datetime
) -> bool:
    """Whether `code` is the user's current code (never one already used) or one of their
    unused recovery codes (used up by this)."""
    if not enrolled(user):
        return False
    if totp.looks_like_code(code):
        step = _step(user, user.totp_secret_sealed, code, kek, now)
        if step is None:
            return False
        # Only a later step may be written: two racing sign-ins cannot both use one code.
        written = session.exec(
            update(User)
            .where(col(User.id) == user.id)
            .where((col(User.totp_last_step).is_(None)) | (col(User.totp_last_step) < step))
            .values(totp_last_step=step)
        )
        return written.rowcount == 1
    used = session.exec(
        update(RecoveryCode)
        .where(
            col(RecoveryCode.user_id) == user.id,
            col(RecoveryCode.code_hash) == totp.recovery_hash(code),
            col(RecoveryCode.used_at).is_(None),
        )
        .values(used_at=now)
    )
    if used.rowcount != 1:
        return False
    left = session.exec(
        select(RecoveryCode.id).where(
            RecoveryCode.user_id == user.id, col(RecoveryCode.used_at).is_(None)
        )
    ).all()
    audit.record(
        session=session,
        action="recovery_code_used",
        now=now,
        actor=actor,
        subject=user.username,
        detail={"left": len(left)},
    )
    return True


# The account page: a signed-in member of staff turns two-step sign-in on for themselves.


def _own(session: Session, principal: Principal | None) -> User:
    principal = require(principal, Action.OWN_ACCOUNT)
    user = session.get(User, principal.user_id)
    if user is None:
        raise AccessDenied("Please sign in.")
    return user


def enrolled_since(*, session: Session, principal: Principal | None) -> datetime | None:
    """Since when the caller's second factor is in force; None while it is not."""
    user = _own(session, principal)
    return user.totp_enabled_at if enrolled(user) else None


def begin_own(*, session: Session, principal: Principal | None, kek: bytes) -> Enrolment | None:
    """A new secret for the caller; None when theirs is already in force."""
    user = _own(session, principal)
    return None if enrolled(user) else begin(user=user, kek=kek)


def confirm_own(
    *,
    session: Session,
    principal: Principal | None,
    sealed: bytes,
    code: str,
    kek: bytes,
    now: datetime,
) -> list[str] | None:
    user = _own(session, principal)
    actor = require(principal, Action.OWN_ACCOUNT)
    return confirm(
        session=session, user=user, actor=actor, sealed=sealed, code=code, kek=kek, now=now
    )
