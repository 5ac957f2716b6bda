"""First run of a real installation: the schema and the first administrator, nothing else."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, func, select

from lbt_app.core.access import Role
from lbt_app.db.models import User
from lbt_app.services import audit, auth


class InstallationError(ValueError):
    """The installation cannot be set up this way; the message says why (for the console)."""


def has_users(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(User)).one() > 0


def first_administrator(
    *, session: Session, username: str, full_name: str, password: str, now: datetime
) -> User:
    """The installation's first administrator, on a database without any user.

    They chose their own password (no change is forced); the second factor is enrolled at their
    first sign-in. No agreement, authority or demo row is made: they set those up in the app."""
    if has_users(session):
        raise InstallationError(
            "This database already has users: lbt init sets up an empty installation only. "
            "Administrators add users on the administration page."
        )
    username = auth.normalize_username(username)
    full_name = " ".join(full_name.split())[:200]
    if auth.username_problem(username):
        raise InstallationError(
            "A user name of 3 to 64 letters and digits (or a phone number) is needed."
        )
    if not full_name:
        raise InstallationError("The administrator's full name is needed.")
    if len(password) < auth.MIN_PASSWORD:
        raise InstallationError(
            f"The password is too short: at least {auth.MIN_PASSWORD} characters."
        )
    admin = User(
        username=username,
        password_hash=auth.hash_password(password),
        full_name=full_name,
        role=Role.ADMIN,
        created_at=now,
    )
    session.add(admin)
    session.flush()
    audit.record(
        session=session,
        action="installation_initialised",
        now=now,
        actor_name="lbt init",
        subject=username,
        detail={"after": {"username": username, "full_name": full_name, "role": "admin"}},
    )
    return admin
