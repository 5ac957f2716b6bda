"""The administrators' user accounts: the list, new accounts with a one-time password, role and
binding changes, deactivation, password and second-factor resets, and unlocking a name the
sign-in throttle holds. Every change is audited with what it was before and after."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, delete, func, or_, select, update

from lbt_app.core import throttle
from lbt_app.core.access import Action, Principal, Role, require
from lbt_app.core.throttle import Scope, Tally
from lbt_app.db.models import (
    Agreement,
    AuthAttempt,
    Authority,
    CrossingPoint,
    LoginSession,
    RecoveryCode,
    User,
)
from lbt_app.i18n import N_
from lbt_app.services import audit, auth

PAGE_SIZE = 20
# The roles an administrator gives; residents open their own accounts.
STAFF_ROLES = (Role.AUTHORITY, Role.OFFICER, Role.ADMIN)
# Readable aloud and on paper: no 0/O, 1/I/L.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

NO_SUCH_USER = N_("No such user.")
CHOOSE_ROLE = N_("Choose a role.")
CHOOSE_AUTHORITY = N_("Choose the issuing authority.")
CHOOSE_POINT = N_("Choose the crossing point.")
ENTER_FULL_NAME = N_("Enter the person's full name.")
NAME_TAKEN = N_("This user name is taken.")
LAST_ADMIN = N_(
    "This is the last active administrator: make another administrator first, "
    "then deactivate or change this account."
)
NOT_YOURSELF = N_("You cannot do this to your own account: ask another administrator.")
RESIDENT_ROLE = N_("A resident's account keeps its role.")


class UserError(ValueError):
    """A refused change; the message is a message id."""


@dataclass(frozen=True)
class UserRow:
    """A user as the administrators' list shows them."""

    id: int
    username: str
    full_name: str
    role: Role
    place: str  # the authority (staff) or crossing point (officers), by name
    is_active: bool
    second_factor: bool
    last_sign_in_at: datetime | None
    held: bool  # the sign-in throttle makes this name wait now


@dataclass(frozen=True)
class Choice:
    id: int
    label: str


def one_time_password() -> str:
    """16 characters in 4 groups, about 79 bits: "7KQD-M3WX-RT9P-HC4N"."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(16))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def list_users(
    *,
    session: Session,
    principal: Principal | None,
    now: datetime,
    query: str = "",
    role: str = "",
    page: int = 1,
) -> tuple[list[UserRow], int]:
    """One page of the users, by user name, found by a word of the user name or full name and
    by role."""
    require(principal, Action.ADMINISTER)
    where = []
    for word in query.split()[:3]:
        where.append(
            or_(
                col(User.username).contains(word.lower(), autoescape=True),
                func.lower(User.full_name).contains(word.lower(), autoescape=True),
            )
        )
    if role in set(Role):
        where.append(User.role == Role(role))
    total = session.exec(select(func.count()).select_from(User).where(*where)).one()
    users = session.exec(
        select(User)
        .where(*where)
        .order_by(User.username)
        .offset((max(1, page) - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    authorities = dict(session.exec(select(Authority.id, Authority.name)).all())
    points = dict(session.exec(select(CrossingPoint.id, CrossingPoint.name)).all())
    held = held_names(session=session, usernames=[u.username for u in users], now=now)
    rows = [
        UserRow(
            id=u.id or 0,
            username=u.username,
            full_name=u.full_name,
            role=u.role,
            place=authorities.get(u.authority_id, "") or points.get(u.crossing_point_id, ""),
            is_active=u.is_active,
            second_factor=u.totp_enabled_at is not None,
            last_sign_in_at=u.last_sign_in_at,
            held=u.username in held,
        )
        for u in users
    ]
    return rows, total


def held_names(*, session: Session, usernames: list[str], now: datetime) -> set[str]:
    """The names among `usernames` whose failed sign-ins make the throttle wait now: from one
    address (the name-and-address scope) or from all of them (the name scope)."""
    if not usernames:
        return set()
    rows = session.exec(
        select(AuthAttempt.username, AuthAttempt.address, func.count(), func.max(AuthAttempt.at))
        .where(
            AuthAttempt.kind == auth.SIGN_IN_FAILED,
            col(AuthAttempt.at) >= now - throttle.WINDOW,
            col(AuthAttempt.username).in_(usernames),
        )
        .group_by(AuthAttempt.username, AuthAttempt.address)
    ).all()
    held, totals = set(), {}
    for username, _address, count, last in rows:
        if throttle.sign_in_wait({Scope.PAIR: Tally(count, last)}, now)[0]:
            held.add(username)
        total, latest = totals.get(username, (0, last))
        totals[username] = (total + count, max(latest, last))
    for username, (count, last) in totals.items():
        if throttle.sign_in_wait({Scope.NAME: Tally(count, last)}, now)[0]:
            held.add(username)
    return held


def authority_choices(*, session: Session, principal: Principal | None) -> list[Choice]:
    """The issuing authorities staff can work for, by name."""
    require(principal, Action.ADMINISTER)
    rows = session.exec(
        select(Authority.id, Authority.name)
        .where(Authority.kind == "issuing")
        .order_by(Authority.name)
    ).all()
    return [Choice(i, name) for i, name in rows]


def point_choices(*, session: Session, principal: Principal | None) -> list[Choice]:
    """Every agreement's crossing points, each with its agreement named."""
    require(principal, Action.ADMINISTER)
    rows = session.exec(
        select(CrossingPoint.id, CrossingPoint.name, Agreement.name)
        .join(Agreement, col(Agreement.id) == CrossingPoint.agreement_id)
        .order_by(Agreement.name, CrossingPoint.name)
    ).all()
    return [Choice(i, f"{point} · {agreement}") for i, point, agreement in rows]


def _binding(
    session: Session, role: str, authority_id: int | None, crossing_point_id: int | None
) -> tuple[Role, int | None, int | None]:
    """The role and the one binding it needs (the other cleared), or the refusal."""
    if role not in STAFF_ROLES:
        raise UserError(CHOOSE_ROLE)
    if role == Role.AUTHORITY:
        authority = session.get(Authority, authority_id) if authority_id else None
        if authority is None or authority.kind != "issuing":
            raise UserError(CHOOSE_AUTHORITY)
        return Role.AUTHORITY, authority.id, None
    if role == Role.OFFICER:
        point = session.get(CrossingPoint, crossing_point_id) if crossing_point_id else None
        if point is None:
            raise UserError(CHOOSE_POINT)
        return Role.OFFICER, None, point.id
    return Role.ADMIN, None, None


def _full_name(typed: str) -> str:
    name = " ".join(typed.split())[:200]
    if not name:
        raise UserError(ENTER_FULL_NAME)
    return name


def _facts(session: Session, user: User) -> dict[str, object]:
    """What the audit keeps of an account, bindings by code (codes outlive names)."""
    authority = session.get(Authority, user.authority_id) if user.authority_id else None
    point = session.get(CrossingPoint, user.crossing_point_id) if user.crossing_point_id else None
    return {
        "full_name": user.full_name,
        "role": str(user.role),
        "authority": authority.code if authority else "",
        "point": point.code if point else "",
    }


def create_user(
    *,
    session: Session,
    principal: Principal | None,
    username: str,
    full_name: str,
    role: str,
    authority_id: int | None,
    crossing_point_id: int | None,
    now: datetime,
) -> tuple[User, str]:
    """A new staff, officer or administrator account and its one-time password, which must be
    changed at the first sign-in. Hashes the password: call it off the event loop."""
    principal = require(principal, Action.ADMINISTER)
    username = auth.normalize_username(username)
    problem = auth.username_problem(username)
    if problem:
        raise UserError(problem)
    full_name = _full_name(full_name)
    role_, authority_id, crossing_point_id = _binding(
        session, role, authority_id, crossing_point_id
    )
    if session.exec(select(User.id).where(User.username == username)).first() is not None:
        raise UserError(NAME_TAKEN)
    password = one_time_password()
    user = User(
        username=username,
        password_hash=auth.hash_password(password),
        full_name=full_name,
        role=role_,
        authority_id=authority_id,
        crossing_point_id=crossing_point_id,
        must_change_password=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    audit.record(
        session=session,
        action="user_created",
        now=now,
        actor=principal,
        subject=username,
        detail={"before": {}, "after": {**_facts(session, user), "active": True}},
    )
    return user, password


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id) if user_id > 0 else None
    if user is None:
        raise UserError(NO_SUCH_USER)
    return user


def account(*, session: Session, principal: Principal | None, user_id: int) -> User:
    """One account, as the form to change it starts from."""
    require(principal, Action.ADMINISTER)
    return _user(session, user_id)


def _keep_an_admin(session: Session, principal: Principal, user: User) -> None:
    """Refuse a change that leaves the caller locked out or no administrator active.

    The active administrators' rows are locked (PostgreSQL) so that two administrators
    demoting each other at once cannot both pass."""
    if user.id == principal.user_id:
        raise UserError(NOT_YOURSELF)
    if user.role != Role.ADMIN or not user.is_active:
        return
    admins = session.exec(
        select(User.id)
        .where(User.role == Role.ADMIN, col(User.is_active).is_(True))
        .with_for_update()
    ).all()
    if set(admins) <= {user.id}:
        raise UserError(LAST_ADMIN)


def change_user(
    *,
    session: Session,
    principal: Principal | None,
    user_id: int,
    full_name: str,
    role: str,
    authority_id: int | None,
    crossing_point_id: int | None,
    now: datetime,
) -> User:
    """A new name, role or binding (an officer moves to another point); a resident's account
    keeps its role. Audited with the fields that changed."""
    principal = require(principal, Action.ADMINISTER)
    user = _user(session, user_id)
    before = _facts(session, user)
    user.full_name = _full_name(full_name)
    if user.role == Role.RESIDENT:
        if role != Role.RESIDENT:
            raise UserError(RESIDENT_ROLE)
    else:
        role_, authority, point = _binding(session, role, authority_id, crossing_point_id)
        if user.role == Role.ADMIN and role_ != Role.ADMIN:
            _keep_an_admin(session, principal, user)
        user.role, user.authority_id, user.crossing_point_id = role_, authority, point
    after = _facts(session, user)
    changed = [k for k in after if after[k] != before[k]]
    if changed:
        session.add(user)
        session.flush()
        audit.record(
            session=session,
            action="user_changed",
            now=now,
            actor=principal,
            subject=user.username,
            detail={
                "before": {k: before[k] for k in changed},
                "after": {k: after[k] for k in changed},
            },
        )
    return user


def _end_sessions(session: Session, user: User, now: datetime) -> int:
    """Every open sign-in of the user ends now: their next event is turned away."""
    ended = session.exec(
        update(LoginSession)
        .where(col(LoginSession.user_id) == user.id, col(LoginSession.ended_at).is_(None))
        .values(ended_at=now)
    )
    return ended.rowcount


def set_active(
    *, session: Session, principal: Principal | None, user_id: int, active: bool, now: datetime
) -> User:
    """Deactivate (every open session ends at once) or reactivate an account."""
    principal = require(principal, Action.ADMINISTER)
    user = _user(session, user_id)
    if user.is_active == active:
        return user
    detail: dict[str, object] = {"before": {"active": user.is_active}, "after": {"active": active}}
    if not active:
        _keep_an_admin(session, principal, user)
        detail["sessions_ended"] = _end_sessions(session, user, now)
    user.is_active = active
    session.add(user)
    session.flush()
    audit.record(
        session=session,
        action="user_reactivated" if active else "user_deactivated",
        now=now,
        actor=principal,
        subject=user.username,
        detail=detail,
    )
    return user


def reset_password(
    *, session: Session, principal: Principal | None, user_id: int, now: datetime
) -> tuple[User, str]:
    """A new one-time password (returned once, never stored or audited), to be changed at the
    next sign-in; the user's open sessions end. Hashes: call it off the event loop."""
    principal = require(principal, Action.ADMINISTER)
    user = _user(session, user_id)
    if user.id == principal.user_id:
        raise UserError(NOT_YOURSELF)
    password = one_time_password()
    before = user.must_change_password
    user.password_hash = auth.hash_password(password)
    user.must_change_password = True
    session.add(user)
    audit.record(
        session=session,
        action="password_reset",
        now=now,
        actor=principal,
        subject=user.username,
        detail={
            "before": {"must_change_password": before},
            "after": {"must_change_password": True},
            "sessions_ended": _end_sessions(session, user, now),
        },
    )
    return user, password


def reset_second_factor(
    *, session: Session, principal: Principal | None, user_id: int, now: datetime
) -> User:
    """The user signs in with the password alone until they set up a second factor again;
    their recovery codes are gone."""
    principal = require(principal, Action.ADMINISTER)
    user = _user(session, user_id)
    if user.id == principal.user_id:
        raise UserError(NOT_YOURSELF)
    before = user.totp_enabled_at is not None
    codes = _clear_second_factor(session, user)
    audit.record(
        session=session,
        action="second_factor_reset",
        now=now,
        actor=principal,
        subject=user.username,
        detail={
            "before": {"second_factor": before},
            "after": {"second_factor": False},
            "recovery_codes": codes,
        },
    )
    return user


def _clear_second_factor(session: Session, user: User) -> int:
    """The user's authenticator secret and recovery codes are gone; how many codes were."""
    user.totp_secret_sealed = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.add(user)
    codes = session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    return codes.rowcount


def _forget_failures(session: Session, username: str) -> int:
    forgotten = session.exec(
        delete(AuthAttempt).where(
            AuthAttempt.kind == auth.SIGN_IN_FAILED, AuthAttempt.username == username
        )
    )
    return forgotten.rowcount


def unlock(*, session: Session, principal: Principal | None, user_id: int, now: datetime) -> User:
    """Forget the name's failed sign-ins: the throttle no longer makes it wait."""
    principal = require(principal, Action.ADMINISTER)
    user = _user(session, user_id)
    forgotten = _forget_failures(session, user.username)
    audit.record(
        session=session,
        action="user_unlocked",
        now=now,
        actor=principal,
        subject=user.username,
        detail={"failures": forgotten},
    )
    return user


def rescue_administrator(*, session: Session, username: str, now: datetime) -> str:
    """An administrator who lost the password, the phone and the recovery codes gets in again
    (`lbt rescue-admin`, run by whoever holds the server): a one-time password (returned once),
    no second factor until they set it up again at sign-in, sessions ended, throttle cleared.
    Audited as done from the server's console. Hashes: not for the event loop."""
    user = session.exec(select(User).where(User.username == auth.normalize_username(username)))
    user = user.first()
    if user is None or user.role is not Role.ADMIN:
        raise UserError(N_("No administrator has this user name."))
    password = one_time_password()
    user.password_hash = auth.hash_password(password)
    user.must_change_password = True
    user.is_active = True
    detail = {
        "sessions_ended": _end_sessions(session, user, now),
        "recovery_codes": _clear_second_factor(session, user),
        "failures": _forget_failures(session, user.username),
    }
    audit.record(
        session=session,
        action="administrator_rescued",
        now=now,
        actor_name="lbt rescue-admin",
        subject=user.username,
        detail=detail,
    )
    return password
