"""Passwords, sign-in and sign-up with throttling, and server-side sessions."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache

from pwdlib import PasswordHash
from sqlmodel import Session, col, delete, func, select, update
from sqlmodel.sql.expression import SelectOfScalar

from lbt_app.core import throttle
from lbt_app.core.access import Principal, Role
from lbt_app.core.throttle import Scope, Tally
from lbt_app.db.models import (
    Agreement,
    AuthAttempt,
    Authority,
    CrossingPoint,
    LoginSession,
    Resident,
    User,
)
from lbt_app.i18n import N_
from lbt_app.metrics import SIGN_IN_FAILURES
from lbt_app.services import audit, second_factor, wallet
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
    error: str | None  # a message id
    retry_after: int = 0  # seconds, when the error is a throttle's
    step: str = ""  # the step still to do (NEW_PASSWORD ... CODE) for `user_id`; "": none
    user_id: int = 0
    enrolment: second_factor.Enrolment | None = None
    recovery_codes: tuple[str, ...] = ()  # shown once, right after enrolling


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
        timezone=_timezone(session, user, agreement_id),
        user_id=user.id or 0,
        username=user.username,
        full_name=user.full_name,
        role=user.role,
        authority_id=user.authority_id,
        agreement_id=agreement_id,
        crossing_point_id=user.crossing_point_id,
        resident_id=user.resident_id,
    )


def normalize_username(typed: str) -> str:
    """A user name as it is stored, from what was typed at sign-up or sign-in: lower case and
    without spaces, so a phone number typed as "+992 92 555 12 34" is the same name."""
    return "".join(typed.split()).lower()[:64]


SIGN_IN_FAILED, SIGNED_UP = "sign_in_failed", "signed_up"
TOO_MANY_ATTEMPTS = N_("Too many attempts. Try again in {seconds} seconds.")
TOO_MANY_ACCOUNTS = N_("Too many new accounts from this network. Try again in {minutes} minutes.")


def _attempts(kind: str, since: datetime, *where) -> SelectOfScalar[AuthAttempt]:
    return select(AuthAttempt).where(*_recent(kind, since, where))


def _recent(kind: str, since: datetime, where: tuple) -> tuple:
    return (AuthAttempt.kind == kind, col(AuthAttempt.at) >= since, *where)


def _scopes(username: str, address: str) -> dict[Scope, tuple]:
    """Each throttle scope as the conditions that pick its rows."""
    return {
        Scope.ADDRESS: (AuthAttempt.address == address,),
        Scope.PAIR: (AuthAttempt.username == username, AuthAttempt.address == address),
        Scope.NAME: (AuthAttempt.username == username, AuthAttempt.address != address),
    }


def _tally(session: Session, since: datetime, where: tuple) -> Tally:
    count, last = session.exec(
        select(func.count(), func.max(AuthAttempt.at)).where(*_recent(SIGN_IN_FAILED, since, where))
    ).one()
    return Tally(count, last)


def _first_refusal(session: Session, kind: str, since: datetime, where: tuple) -> bool:
    """True once per burst: the first refusal after the scope's latest attempt (it is marked)."""
    latest = session.exec(
        _attempts(kind, since, *where)
        .order_by(col(AuthAttempt.at).desc(), col(AuthAttempt.id).desc())
        .limit(1)
    ).first()
    if latest is None or latest.throttle_noted:
        return False
    marked = session.exec(
        update(AuthAttempt)
        .where(col(AuthAttempt.id) == latest.id, col(AuthAttempt.throttle_noted).is_(False))
        .values(throttle_noted=True)
    )
    return marked.rowcount == 1


def _remember(session: Session, kind: str, username: str, address: str, now: datetime) -> None:
    """Count this attempt; forget the ones the throttle no longer looks at."""
    horizon = max(throttle.WINDOW, throttle.SIGN_UP_PERIOD)
    session.exec(delete(AuthAttempt).where(col(AuthAttempt.at) < now - horizon))
    session.add(AuthAttempt(kind=kind, username=username, address=address, at=now))


def _timezone(session: Session, user: User, agreement_id: int | None) -> str:
    """The agreement whose clock this user reads: their own; a resident's through the
    authority that registered them; an administrator's the only agreement, if only one."""
    if agreement_id is None and user.resident_id is not None:
        resident = session.get(Resident, user.resident_id)
        authority = session.get(Authority, resident.authority_id) if resident else None
        agreement_id = authority.agreement_id if authority else None
    if agreement_id is None:
        zones = session.exec(select(Agreement.timezone).limit(2)).all()
        return zones[0] if len(zones) == 1 else "UTC"
    agreement = session.get(Agreement, agreement_id)
    return agreement.timezone if agreement else "UTC"


# The steps of a sign-in after the password, in order; each one's answer names the next.
NEW_PASSWORD, ENROL, SAVE_CODES, CODE = "new_password", "enrol", "save_codes", "code"
PENDING_MINUTES = 5
WRONG_PASSWORD = N_("Wrong user name or password.")
SWITCHED_OFF = N_("This account is switched off. Ask your administrator.")
START_AGAIN = N_("This sign-in has expired. Enter your user name and password again.")
SAME_PASSWORD = N_("Choose a password other than the one you were given.")
WRONG_CODE = N_("This code is not right. Enter the code your app shows now.")


def _throttled(session: Session, username: str, address: str, now: datetime) -> SignIn | None:
    """A refusal if recent failures (wrong passwords and wrong codes) make this client wait
    (core/throttle.py); audited once per burst."""
    since = now - throttle.WINDOW
    scopes = _scopes(username, address)
    tallies = {scope: _tally(session, since, where) for scope, where in scopes.items()}
    wait, scope = throttle.sign_in_wait(tallies, now)
    if not wait or scope is None:
        return None
    SIGN_IN_FAILURES.labels(reason="throttled").inc()
    if _first_refusal(session, SIGN_IN_FAILED, since, scopes[scope]):
        audit.record(
            session=session,
            action="login_throttled",
            now=now,
            actor_name=username,
            subject=username,
            detail={"address": address, "scope": str(scope), "wait": wait},
        )
    return SignIn(None, None, TOO_MANY_ATTEMPTS, wait)


def sign_in(
    *, session: Session, username: str, password: str, address: str, now: datetime
) -> SignIn:
    """Check the password, unless recent failures make this client wait: a waiting client is
    refused without hashing. Then the steps that remain (a new password, the second factor),
    or the session when none does."""
    username, address = normalize_username(username), address[:64]
    if not username or not password:
        return SignIn(None, None, N_("Enter your user name and password."))
    refused = _throttled(session, username, address, now)
    if refused is not None:
        return refused
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        verify_password(password, _dummy_hash())
    if user is None or not verify_password(password, user.password_hash):
        _remember(session, SIGN_IN_FAILED, username, address, now)
        refusal, detail, reason = WRONG_PASSWORD, {"address": address}, "wrong_password"
    elif not user.is_active:  # only the holder of the right password learns this
        refusal, detail = SWITCHED_OFF, {"address": address, "switched_off": True}
        reason = "switched_off"
    else:
        return _next_step(session, user, address, now)
    SIGN_IN_FAILURES.labels(reason=reason).inc()
    audit.record(
        session=session,
        action="login_failed",
        now=now,
        actor_name=username,
        subject=username,
        detail=detail,
    )
    return SignIn(None, None, refusal)


def _next_step(session: Session, user: User, address: str, now: datetime) -> SignIn:
    """What this user still has to do before the session opens; the second factor is not
    yet given when this is asked."""
    user_id = user.id or 0
    if user.must_change_password:
        return SignIn(None, None, None, step=NEW_PASSWORD, user_id=user_id)
    if second_factor.enrolled(user):
        return SignIn(None, None, None, step=CODE, user_id=user_id)
    if second_factor.must_enrol(user):
        enrolment = second_factor.begin(user=user, kek=get_settings().key_encryption_key())
        return SignIn(None, None, None, step=ENROL, user_id=user_id, enrolment=enrolment)
    return _enter(session, user, address, now)


def _pending_user(session: Session, user_id: int) -> User | None:
    user = session.get(User, user_id) if user_id else None
    return user if user is not None and user.is_active else None


def change_password(
    *, session: Session, user_id: int, password: str, again: str, address: str, now: datetime
) -> SignIn:
    """The one-time password an administrator gave is replaced by the user's own."""
    user = _pending_user(session, user_id)
    if user is None or not user.must_change_password:
        return SignIn(None, None, START_AGAIN)
    problem = new_password_problem(password, again)
    if problem is None and verify_password(password, user.password_hash):
        problem = SAME_PASSWORD
    if problem is not None:
        return SignIn(None, None, problem, step=NEW_PASSWORD, user_id=user_id)
    user.password_hash = hash_password(password)
    user.must_change_password = False
    session.add(user)
    principal = principal_of(session=session, user=user)
    audit.record(
        session=session, action="password_changed", now=now, actor=principal, subject=user.username
    )
    return _next_step(session, user, address[:64], now)


def _wrong_code(session: Session, user: User, address: str, now: datetime, step: str) -> SignIn:
    """A wrong code counts like a wrong password in the throttle, and is audited."""
    _remember(session, SIGN_IN_FAILED, user.username, address, now)
    SIGN_IN_FAILURES.labels(reason="wrong_code").inc()
    audit.record(
        session=session,
        action="second_factor_failed",
        now=now,
        actor=principal_of(session=session, user=user),
        subject=user.username,
        detail={"address": address},
    )
    return SignIn(None, None, WRONG_CODE, step=step, user_id=user.id or 0)


def _code_step(
    session: Session,
    user_id: int,
    address: str,
    now: datetime,
    step: str,
    accepted: Callable[[User, Principal, bytes], SignIn | None],
) -> SignIn:
    """A step that takes a code: refused while the throttle makes this client wait; a code
    `accepted` refuses counts as a failure."""
    user, address = _pending_user(session, user_id), address[:64]
    if user is None:
        return SignIn(None, None, START_AGAIN)
    refused = _throttled(session, user.username, address, now)
    if refused is not None:
        return replace(refused, step=step, user_id=user_id)
    principal = principal_of(session=session, user=user)
    result = accepted(user, principal, get_settings().key_encryption_key())
    return result or _wrong_code(session, user, address, now, step)


def give_code(*, session: Session, user_id: int, code: str, address: str, now: datetime) -> SignIn:
    """The second step: the app's current code or one unused recovery code opens the session."""

    def accepted(user: User, principal: Principal, kek: bytes) -> SignIn | None:
        if second_factor.check(
            session=session, user=user, actor=principal, code=code, kek=kek, now=now
        ):
            return _enter(session, user, address[:64], now)
        return None

    return _code_step(session, user_id, address, now, CODE, accepted)


def confirm_enrolment(
    *, session: Session, user_id: int, sealed: bytes, code: str, address: str, now: datetime
) -> SignIn:
    """The first code from the newly set-up app puts its secret (`sealed`, from the enrolment
    step) in force; the recovery codes follow, and the session opens once the user says they
    saved them."""

    def accepted(user: User, principal: Principal, kek: bytes) -> SignIn | None:
        codes = second_factor.confirm(
            session=session, user=user, actor=principal, sealed=sealed, code=code, kek=kek, now=now
        )
        if codes is None:
            return None
        return SignIn(
            None, None, None, step=SAVE_CODES, user_id=user_id, recovery_codes=tuple(codes)
        )

    return _code_step(session, user_id, address, now, ENROL, accepted)


def codes_saved(*, session: Session, user_id: int, address: str, now: datetime) -> SignIn:
    """The last step after enrolling: the session opens."""
    user = _pending_user(session, user_id)
    if user is None or not second_factor.enrolled(user):
        return SignIn(None, None, START_AGAIN)
    return _enter(session, user, address[:64], now)


def _enter(session: Session, user: User, address: str, now: datetime) -> SignIn:
    """Every step done: this client's failures are forgotten and the session opens."""
    scopes = _scopes(user.username, address)
    session.exec(delete(AuthAttempt).where(AuthAttempt.kind == SIGN_IN_FAILED, *scopes[Scope.PAIR]))
    return open_session(session, user, now, "login")


def open_session(session: Session, user: User, now: datetime, action: str) -> SignIn:
    token = secrets.token_urlsafe(32)
    user.last_sign_in_at = now
    session.add(user)
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
PASSWORD_TOO_SHORT = N_("The password is too short: at least 8 characters.")
PASSWORDS_DIFFER = N_("The two passwords differ.")


def username_problem(username: str) -> str | None:
    """What is wrong with a normalized new user name (a message id), at sign-up or when an
    administrator opens an account."""
    if not _USERNAME.fullmatch(username):
        return N_("A user name of 3 to 64 letters and digits, or a phone number.")
    return None


def new_password_problem(password: str, again: str) -> str | None:
    """What is wrong with a new password and its repetition (a message id), the length first."""
    if len(password) < MIN_PASSWORD:
        return PASSWORD_TOO_SHORT
    return PASSWORDS_DIFFER if password != again else None


def sign_up(
    *, session: Session, username: str, password: str, full_name: str, address: str, now: datetime
) -> SignIn:
    """A resident opens an account (then applies from the wallet); signed in at once.

    An address that opened its quota of accounts lately is refused before anything else."""
    address = address[:64]
    since = now - throttle.SIGN_UP_PERIOD
    own = (AuthAttempt.address == address,)
    recent = session.exec(
        _attempts(SIGNED_UP, since, *own)
        .order_by(col(AuthAttempt.at).desc())
        .limit(throttle.SIGN_UP_QUOTA)
    ).all()
    wait = throttle.sign_up_wait([a.at for a in recent], now)
    if wait:
        if _first_refusal(session, SIGNED_UP, since, own):
            audit.record(
                session=session,
                action="signup_throttled",
                now=now,
                subject=address,
                detail={"wait": wait},
            )
        return SignIn(None, None, TOO_MANY_ACCOUNTS, wait)
    username = normalize_username(username)
    full_name = " ".join(full_name.split())[:200]
    if problem := username_problem(username):
        return SignIn(None, None, problem)
    if len(password) < MIN_PASSWORD:
        return SignIn(None, None, PASSWORD_TOO_SHORT)
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
    _remember(session, SIGNED_UP, username, address, now)
    return open_session(session, user, now, "signed_up")


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
