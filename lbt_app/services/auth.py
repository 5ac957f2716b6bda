"""Passwords, sign-in with throttling, and server-side sessions."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from pwdlib import PasswordHash
from sqlmodel import Session, col, func, select

from lbt_app.core.access import Principal, Role
from lbt_app.db.models import AuditEvent, Authority, CrossingPoint, LoginSession, User
from lbt_app.i18n import N_
from lbt_app.services import audit, wallet
from lbt_app.settings import get_settings


@cache
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()  # Argon2id


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return _hasher().verify(password, password_hash)


@cache
def _dummy_hash() -> str:
    """Checked for unknown user names, so that timing does not tell which names exist."""
    return hash_password(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class SignIn:
    token: str | None
    principal: Principal | None
    error: str | None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def principal_of(*, session: Session, user: User) -> Principal:
    # Staff act for their authority's agreement; an officer checks for their crossing point's.
    agreement_id = None
    if user.authority_id is not None:
        authority = session.get(Authority, user.authority_id)
        agreement_id = authority.agreement_id if authority else None
    elif user.crossing_point_id is not None:
        point = session.get(CrossingPoint, user.crossing_point_id)
        agreement_id = point.agreement_id if point else None
    return Principal(
        user_id=user.id or 0,
        username=user.username,
        full_name=user.full_name,
        role=user.role,
        authority_id=user.authority_id,
        agreement_id=agreement_id,
        crossing_point_id=user.crossing_point_id,
        resident_id=user.resident_id,
    )


def recent_failures(*, session: Session, username: str, now: datetime) -> int:
    window = timedelta(minutes=get_settings().login_window_minutes)
    return session.exec(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.action == "login_failed",
            AuditEvent.subject == username,
            col(AuditEvent.at) >= now - window,
        )
    ).one()


def sign_in(*, session: Session, username: str, password: str, now: datetime) -> SignIn:
    """Check the password; too many recent failures for a name lock it for a while."""
    username = username.strip().lower()
    if not username or not password:
        return SignIn(None, None, N_("Enter your user name and password."))
    settings = get_settings()
    if recent_failures(session=session, username=username, now=now) >= settings.login_max_failures:
        audit.record(
            session=session,
            action="login_throttled",
            now=now,
            actor_name=username,
            subject=username,
        )
        return SignIn(None, None, N_("Too many failed attempts. Try again later."))
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        verify_password(password, _dummy_hash())
    if user is None or not user.is_active or not verify_password(password, user.password_hash):
        audit.record(
            session=session, action="login_failed", now=now, actor_name=username, subject=username
        )
        return SignIn(None, None, N_("Wrong user name or password."))
    return _open_session(session, user, now, "login")


def _open_session(session: Session, user: User, now: datetime, action: str) -> SignIn:
    token = secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            token_hash=_token_hash(token),
            user_id=user.id or 0,
            created_at=now,
            expires_at=now + timedelta(hours=get_settings().session_hours),
        )
    )
    principal = principal_of(session=session, user=user)
    audit.record(session=session, action=action, now=now, actor=principal, subject=user.username)
    return SignIn(token, principal, None)


# A user name, or a phone number (digits, an optional leading +).
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}|\+?[0-9]{7,15}")
MIN_PASSWORD = 8


def sign_up(
    *, session: Session, username: str, password: str, full_name: str, now: datetime
) -> SignIn:
    """A resident opens an account (then applies from the wallet); signed in at once."""
    username = username.strip().lower().replace(" ", "")
    full_name = " ".join(full_name.split())[:200]
    if not _USERNAME.fullmatch(username):
        return SignIn(
            None, None, N_("A user name of 3 to 64 letters and digits, or a phone number.")
        )
    if len(password) < MIN_PASSWORD:
        return SignIn(None, None, N_("A password of at least 8 characters."))
    if not full_name:
        return SignIn(None, None, N_("Enter your name."))
    if session.exec(select(User.id).where(User.username == username)).first() is not None:
        return SignIn(None, None, N_("This user name is taken."))
    user = User(
        username=username,
        password_hash=hash_password(password),
        full_name=full_name,
        role=Role.RESIDENT,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return _open_session(session, user, now, "signed_up")


def principal_for_token(*, session: Session, token: str, now: datetime) -> Principal | None:
    if not token:
        return None
    row = session.exec(
        select(LoginSession, User)
        .join(User, col(User.id) == LoginSession.user_id)
        .where(
            LoginSession.token_hash == _token_hash(token),
            col(LoginSession.ended_at).is_(None),
            col(LoginSession.expires_at) > now,
            col(User.is_active).is_(True),
        )
    ).first()
    return principal_of(session=session, user=row[1]) if row else None


def sign_out(*, session: Session, token: str, kek: bytes, now: datetime) -> None:
    """End the session; a resident's wallet gets a new live-code secret, so whatever the
    browser kept of the old one (a copied localStorage) stops making valid codes."""
    row = session.exec(
        select(LoginSession).where(LoginSession.token_hash == _token_hash(token))
    ).first()
    if row is None or row.ended_at is not None:
        return
    row.ended_at = now
    session.add(row)
    user = session.get(User, row.user_id)
    audit.record(
        session=session,
        action="logout",
        now=now,
        actor_name=user.username if user else "",
        subject=user.username if user else "",
    )
    if user is not None and user.resident_id is not None:
        wallet.rotate(session=session, resident_id=user.resident_id, kek=kek, now=now)
