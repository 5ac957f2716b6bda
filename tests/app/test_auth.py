"""Sign-in, throttling and server-side sessions."""

from datetime import timedelta

from sqlmodel import select

from lbt_app.core.access import Role
from lbt_app.db.models import AuditEvent, LoginSession, User
from lbt_app.services import auth
from lbt_app.settings import get_settings
from tests.conftest import NOW


def test_right_password_gives_a_session_token_stored_only_as_a_hash(session):
    result = auth.sign_in(session=session, username="Staff ", password="staff-demo-2026", now=NOW)
    assert result.error is None and result.principal.role is Role.AUTHORITY
    assert result.principal.agreement_id is not None
    stored = session.exec(select(LoginSession)).one()
    assert stored.token_hash != result.token and len(result.token) >= 40
    found = auth.principal_for_token(session=session, token=result.token, now=NOW)
    assert found.username == "staff"


def test_wrong_password_and_unknown_user_get_the_same_answer(session):
    a = auth.sign_in(session=session, username="staff", password="nope", now=NOW)
    b = auth.sign_in(session=session, username="nobody", password="nope", now=NOW)
    assert a.error == b.error == "Wrong user name or password."
    assert a.token is None and b.token is None
    actions = [
        e.action
        for e in session.exec(select(AuditEvent).where(AuditEvent.action == "login_failed"))
    ]
    assert len(actions) == 2


def test_repeated_failures_lock_the_name_even_for_the_right_password(session):
    for _ in range(5):
        auth.sign_in(session=session, username="officer1", password="guess", now=NOW)
    locked = auth.sign_in(
        session=session,
        username="officer1",
        password="officer1-demo-2026",
        now=NOW + timedelta(minutes=1),
    )
    assert locked.token is None and "Too many" in locked.error
    later = auth.sign_in(
        session=session,
        username="officer1",
        password="officer1-demo-2026",
        now=NOW + timedelta(minutes=20),
    )
    assert later.token is not None


def test_sessions_expire_and_end_at_sign_out(session):
    token = auth.sign_in(
        session=session, username="admin", password="admin-demo-2026", now=NOW
    ).token
    assert auth.principal_for_token(session=session, token=token, now=NOW + timedelta(hours=11))
    assert (
        auth.principal_for_token(session=session, token=token, now=NOW + timedelta(hours=13))
        is None
    )
    auth.sign_out(session=session, token=token, kek=get_settings().key_encryption_key(), now=NOW)
    assert auth.principal_for_token(session=session, token=token, now=NOW) is None


def test_a_deactivated_user_loses_their_session(session):
    token = auth.sign_in(
        session=session, username="farhod", password="farhod-demo-2026", now=NOW
    ).token
    user = session.exec(select(User).where(User.username == "farhod")).one()
    user.is_active = False
    session.add(user)
    session.flush()
    assert auth.principal_for_token(session=session, token=token, now=NOW) is None


def test_forged_or_empty_tokens_find_nobody(session):
    assert auth.principal_for_token(session=session, token="", now=NOW) is None
    assert auth.principal_for_token(session=session, token="x" * 43, now=NOW) is None
