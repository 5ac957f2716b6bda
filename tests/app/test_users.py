"""The administrators' user accounts: the service (every change and refusal, audited) and the
admin page's handlers (admin only; a deactivated user's open page loses access)."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest
from reflex.state import State
from sqlmodel import col, select

from lbt_app.core.access import AccessDenied, Role
from lbt_app.db.models import (
    AuditEvent,
    AuthAttempt,
    Authority,
    CrossingPoint,
    LoginSession,
    RecoveryCode,
    User,
)
from lbt_app.db.types import utcnow
from lbt_app.services import auth, users
from lbt_app.services.users import UserError
from lbt_app.states.admin import AdminState
from lbt_app.states.desk import AuthorityState
from lbt_app.states.login import LoginState
from lbt_app.states.officer import OfficerState
from tests.app.factories import principal
from tests.conftest import NOW

PASSWORDS = {
    "staff": "staff-demo-2026",
    "officer1": "officer1-demo-2026",
    "officer2": "officer2-demo-2026",
    "farhod": "farhod-demo-2026",
    "admin": "admin-demo-2026",
}


def _user(session, username: str) -> User:
    session.expire_all()
    return session.exec(select(User).where(User.username == username)).one()


def _last(session, action: str) -> AuditEvent:
    return session.exec(
        select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.seq).desc())
    ).first()


def _point(session, code: str) -> int:
    return session.exec(select(CrossingPoint.id).where(CrossingPoint.code == code)).one()


def _authority(session, code: str) -> int:
    return session.exec(select(Authority.id).where(Authority.code == code)).one()


def _create(session, username="kamol", role="officer", **binding):
    return users.create_user(
        session=session,
        principal=principal(session, "admin"),
        username=username,
        full_name="  Kamol   Rahimov ",
        role=role,
        authority_id=binding.get("authority_id"),
        crossing_point_id=binding.get("crossing_point_id"),
        now=NOW,
    )


def _change(session, actor, user_id: int, role: str, **fields):
    """Change an account as `actor`, keeping its name unless `full_name` is given."""
    return users.change_user(
        session=session,
        principal=actor,
        user_id=user_id,
        full_name=fields.get("full_name") or session.get(User, user_id).full_name,
        role=role,
        authority_id=fields.get("authority_id"),
        crossing_point_id=fields.get("crossing_point_id"),
        now=NOW,
    )


def _second_admin(session) -> User:
    admin2, _ = _create(session, "admin2", "admin")
    session.commit()
    return admin2


# the service


def test_an_officer_account_gets_a_one_time_password_that_must_be_changed(session):
    user, password = _create(session, " Kamol ", crossing_point_id=_point(session, "PATAR"))
    session.commit()
    assert re.fullmatch(r"([2-9A-HJKMNP-Z]{4}-){3}[2-9A-HJKMNP-Z]{4}", password)
    user = _user(session, "kamol")
    assert (user.role, user.full_name, user.must_change_password) == (
        Role.OFFICER,
        "Kamol Rahimov",
        True,
    )
    assert auth.verify_password(password, user.password_hash)
    signed = auth.sign_in(
        session=session, username="kamol", password=password, address="10.0.0.1", now=NOW
    )
    # the right one-time password leads to choosing one's own, not yet to a session
    assert (signed.step, signed.user_id, signed.token) == (auth.NEW_PASSWORD, user.id, None)
    event = _last(session, "user_created")
    assert (event.actor, event.subject) == ("admin", "kamol")
    assert event.detail["before"] == {}
    assert event.detail["after"] == {
        "full_name": "Kamol Rahimov",
        "role": "officer",
        "authority": "",
        "point": "PATAR",
        "active": True,
    }
    assert password not in str(event.detail) and "password_hash" not in str(event.detail)


def test_staff_and_administrator_accounts_get_their_binding_only(session):
    staff, _ = _create(
        session,
        "nigora",
        "authority",
        authority_id=_authority(session, "TJ-SGD-LBT"),
        crossing_point_id=_point(session, "PATAR"),  # not a staff member's: dropped
    )
    admin, _ = _create(session, "admin2", "admin", crossing_point_id=_point(session, "PATAR"))
    assert (staff.authority_id, staff.crossing_point_id) == (
        _authority(session, "TJ-SGD-LBT"),
        None,
    )
    assert (admin.authority_id, admin.crossing_point_id) == (None, None)


@pytest.mark.parametrize(
    ("username", "role", "binding", "message"),
    [
        ("kamol", "officer", {}, users.CHOOSE_POINT),
        ("kamol", "officer", {"crossing_point_id": 9999}, users.CHOOSE_POINT),
        ("kamol", "authority", {}, users.CHOOSE_AUTHORITY),
        ("kamol", "authority", {"authority": "UZ-FRG-BS"}, users.CHOOSE_AUTHORITY),  # border
        ("kamol", "resident", {}, users.CHOOSE_ROLE),
        ("kamol", "", {}, users.CHOOSE_ROLE),
        ("Staff", "admin", {}, users.NAME_TAKEN),
        ("ab", "admin", {}, "A user name of 3 to 64 letters and digits, or a phone number."),
        ("k@mol", "admin", {}, "A user name of 3 to 64 letters and digits, or a phone number."),
    ],
)
def test_a_new_account_is_refused_without_what_it_needs(session, username, role, binding, message):
    if "authority" in binding:
        binding = {"authority_id": _authority(session, binding["authority"])}
    before = session.exec(select(User.id)).all()
    with pytest.raises(UserError) as refused:
        _create(session, username, role, **binding)
    assert str(refused.value) == message
    session.rollback()
    assert session.exec(select(User.id)).all() == before
    assert _last(session, "user_created") is None


def test_a_new_account_needs_a_name_and_an_administrator(session):
    with pytest.raises(UserError, match="full name"):
        users.create_user(
            session=session,
            principal=principal(session, "admin"),
            username="kamol",
            full_name="   ",
            role="admin",
            authority_id=None,
            crossing_point_id=None,
            now=NOW,
        )
    for username in ["staff", "officer1", "farhod"]:
        with pytest.raises(AccessDenied):
            users.create_user(
                session=session,
                principal=principal(session, username),
                username="kamol",
                full_name="Kamol",
                role="admin",
                authority_id=None,
                crossing_point_id=None,
                now=NOW,
            )
        with pytest.raises(AccessDenied):
            users.list_users(session=session, principal=principal(session, username), now=NOW)


def test_an_officer_moves_to_another_point_and_a_role_change_takes_its_binding(session):
    admin = principal(session, "admin")
    officer = _user(session, "officer1")
    _change(session, admin, officer.id, "officer", crossing_point_id=_point(session, "PATAR"))
    session.commit()
    assert _user(session, "officer1").crossing_point_id == _point(session, "PATAR")
    event = _last(session, "user_changed")
    assert event.detail == {"before": {"point": "FOTEHOBOD"}, "after": {"point": "PATAR"}}
    _change(
        session,
        admin,
        officer.id,
        "authority",
        full_name="Rustam Aliev",
        authority_id=_authority(session, "TJ-SGD-LBT"),
    )
    session.commit()
    moved = _user(session, "officer1")
    assert (moved.role, moved.crossing_point_id) == (Role.AUTHORITY, None)
    assert _last(session, "user_changed").detail == {
        "before": {"role": "officer", "authority": "", "point": "PATAR"},
        "after": {"role": "authority", "authority": "TJ-SGD-LBT", "point": ""},
    }
    with pytest.raises(UserError) as refused:
        _change(session, admin, officer.id, "officer", full_name="Rustam Aliev")
    assert str(refused.value) == users.CHOOSE_POINT


def test_a_residents_account_keeps_its_role(session):
    farhod = _user(session, "farhod")
    with pytest.raises(UserError) as refused:
        _change(session, principal(session, "admin"), farhod.id, "admin")
    assert str(refused.value) == users.RESIDENT_ROLE


def _open_sessions(session, user: User) -> int:
    return len(
        session.exec(
            select(LoginSession).where(
                LoginSession.user_id == user.id, col(LoginSession.ended_at).is_(None)
            )
        ).all()
    )


def _signed_in(session, username: str) -> str:
    signed = auth.sign_in(
        session=session,
        username=username,
        password=PASSWORDS[username],
        address="10.0.0.2",
        now=NOW,
    )
    session.commit()
    return signed.token or ""


def test_deactivating_ends_every_session_and_reactivating_lets_them_in(session):
    tokens = [_signed_in(session, "staff"), _signed_in(session, "staff")]
    staff = _user(session, "staff")
    admin = principal(session, "admin")
    users.set_active(
        session=session, principal=admin, user_id=staff.id, active=False, now=NOW + timedelta(1)
    )
    session.commit()
    assert not _user(session, "staff").is_active and _open_sessions(session, staff) == 0
    for token in tokens:
        assert auth.principal_for_token(session=session, token=token, now=NOW) is None
    event = _last(session, "user_deactivated")
    assert (event.actor, event.subject) == ("admin", "staff")
    assert event.detail == {
        "before": {"active": True},
        "after": {"active": False},
        "sessions_ended": 2,
    }
    refused = auth.sign_in(
        session=session, username="staff", password=PASSWORDS["staff"], address="x", now=NOW
    )
    assert refused.token is None
    users.set_active(session=session, principal=admin, user_id=staff.id, active=True, now=NOW)
    session.commit()
    assert _last(session, "user_reactivated").detail == {
        "before": {"active": False},
        "after": {"active": True},
    }
    assert _signed_in(session, "staff")


def test_an_administrator_cannot_lock_themselves_out(session):
    admin = principal(session, "admin")
    me = _user(session, "admin")
    _second_admin(session)  # not the last one: still refused, for being oneself
    for act in [
        lambda: users.set_active(
            session=session, principal=admin, user_id=me.id, active=False, now=NOW
        ),
        lambda: _change(
            session, admin, me.id, "officer", crossing_point_id=_point(session, "PATAR")
        ),
        lambda: users.reset_password(session=session, principal=admin, user_id=me.id, now=NOW),
    ]:
        with pytest.raises(UserError) as refused:
            act()
        assert str(refused.value) == users.NOT_YOURSELF
        session.rollback()
    me = _user(session, "admin")
    assert me.is_active and me.role is Role.ADMIN


def test_the_last_active_administrator_is_never_deactivated_or_demoted(session):
    """Two administrators acting on each other: the second change would leave none."""
    admin2 = _second_admin(session)
    first, second = principal(session, "admin"), principal(session, "admin2")
    users.set_active(
        session=session, principal=second, user_id=_user(session, "admin").id, active=False, now=NOW
    )
    session.commit()
    with pytest.raises(UserError) as refused:
        users.set_active(session=session, principal=first, user_id=admin2.id, active=False, now=NOW)
    assert str(refused.value) == users.LAST_ADMIN
    session.rollback()
    with pytest.raises(UserError) as refused:
        _change(
            session,
            first,
            admin2.id,
            "authority",
            full_name="Second",
            authority_id=_authority(session, "TJ-SGD-LBT"),
        )
    assert str(refused.value) == users.LAST_ADMIN
    session.rollback()
    still = _user(session, "admin2")
    assert still.is_active and still.role is Role.ADMIN
    assert _last(session, "user_changed") is None


def test_an_administrator_can_be_demoted_while_another_stays(session):
    admin2 = _second_admin(session)
    _change(
        session,
        principal(session, "admin"),
        admin2.id,
        "officer",
        full_name="Second",
        crossing_point_id=_point(session, "PATAR"),
    )
    session.commit()
    assert _user(session, "admin2").role is Role.OFFICER


def test_a_password_reset_gives_a_new_one_time_password_and_ends_sessions(session):
    token = _signed_in(session, "officer1")
    officer = _user(session, "officer1")
    _, password = users.reset_password(
        session=session, principal=principal(session, "admin"), user_id=officer.id, now=NOW
    )
    session.commit()
    officer = _user(session, "officer1")
    assert officer.must_change_password and auth.verify_password(password, officer.password_hash)
    assert not auth.verify_password(PASSWORDS["officer1"], officer.password_hash)
    assert auth.principal_for_token(session=session, token=token, now=NOW) is None
    event = _last(session, "password_reset")
    assert event.detail == {
        "before": {"must_change_password": False},
        "after": {"must_change_password": True},
        "sessions_ended": 1,
    }
    assert password not in str(event.detail)


def test_a_second_factor_reset_clears_the_secret_and_the_recovery_codes(session):
    officer = _user(session, "officer1")
    officer.totp_secret_sealed, officer.totp_enabled_at, officer.totp_last_step = b"x", NOW, 7
    session.add(officer)
    session.add_all([RecoveryCode(user_id=officer.id, code_hash=f"{i:064}") for i in range(3)])
    session.commit()
    rows, _ = users.list_users(
        session=session, principal=principal(session, "admin"), now=NOW, query="officer1"
    )
    assert [r.second_factor for r in rows] == [True]
    users.reset_second_factor(
        session=session, principal=principal(session, "admin"), user_id=officer.id, now=NOW
    )
    session.commit()
    officer = _user(session, "officer1")
    assert (officer.totp_secret_sealed, officer.totp_enabled_at, officer.totp_last_step) == (
        None,
        None,
        None,
    )
    assert session.exec(select(RecoveryCode).where(RecoveryCode.user_id == officer.id)).all() == []
    assert _last(session, "second_factor_reset").detail == {
        "before": {"second_factor": True},
        "after": {"second_factor": False},
        "recovery_codes": 3,
    }


def _fail(session, username: str, times: int, address: str = "10.9.9.9") -> None:
    for _ in range(times):
        auth.sign_in(session=session, username=username, password="wrong", address=address, now=NOW)
    session.commit()


def test_a_name_held_by_the_throttle_shows_and_is_unlocked(session):
    admin = principal(session, "admin")
    _fail(session, "staff", 5)

    def held() -> list[str]:
        rows, _ = users.list_users(session=session, principal=admin, now=NOW)
        return [r.username for r in rows if r.held]

    assert held() == ["staff"]
    refused = auth.sign_in(
        session=session, username="staff", password=PASSWORDS["staff"], address="10.9.9.9", now=NOW
    )
    assert refused.token is None and refused.retry_after > 0
    users.unlock(session=session, principal=admin, user_id=_user(session, "staff").id, now=NOW)
    session.commit()
    assert held() == []
    assert _last(session, "user_unlocked").detail == {"failures": 5}
    assert session.exec(select(AuthAttempt).where(AuthAttempt.username == "staff")).all() == []
    assert _signed_in(session, "staff")


def test_failures_from_many_addresses_hold_a_name_too(session):
    for i in range(12):
        _fail(session, "officer1", 1, address=f"10.1.1.{i}")
    rows, _ = users.list_users(session=session, principal=principal(session, "admin"), now=NOW)
    assert [r.username for r in rows if r.held] == ["officer1"]
    later = NOW + timedelta(hours=2)  # out of the throttle's window
    rows, _ = users.list_users(session=session, principal=principal(session, "admin"), now=later)
    assert [r.username for r in rows if r.held] == []


def test_the_list_pages_searches_and_filters_by_role(session):
    admin = principal(session, "admin")
    rows, total = users.list_users(session=session, principal=admin, now=NOW)
    assert total == len(session.exec(select(User.id)).all()) and len(rows) == min(total, 20)
    assert [r.username for r in rows] == sorted(r.username for r in rows)
    officers, total = users.list_users(session=session, principal=admin, now=NOW, role="officer")
    assert (total, [(r.username, r.place) for r in officers]) == (
        2,
        [("officer1", "Fotehobod – Oybek"), ("officer2", "Patar – Rishton")],
    )
    staff, _ = users.list_users(session=session, principal=admin, now=NOW, query="saidova")
    assert [(r.username, r.place) for r in staff] == [
        ("staff", "Sughd Region Local Border Traffic Office")
    ]
    assert users.list_users(session=session, principal=admin, now=NOW, query="%")[1] == 0
    last, _ = users.list_users(session=session, principal=admin, now=NOW, page=99)
    assert last == []


def test_the_choices_name_authorities_and_points_with_their_agreement(session):
    admin = principal(session, "admin")
    assert [c.label for c in users.authority_choices(session=session, principal=admin)] == [
        "Sughd Region Local Border Traffic Office"
    ]
    points = [c.label for c in users.point_choices(session=session, principal=admin)]
    assert "Patar – Rishton · Tajikistan–Uzbekistan local border traffic" in points
    assert len(points) == 3


def test_one_time_passwords_differ_and_avoid_look_alike_characters():
    made = {users.one_time_password() for _ in range(200)}
    assert len(made) == 200
    assert not set("".join(made)) & set("01ILOilo")


# the admin page's handlers


def _client(username: str | None, password: str | None = None):
    root = State(_reflex_internal_init=True)
    if username:
        login = root.get_substate(LoginState.get_full_name().split("."))
        asyncio.run(
            LoginState.sign_in.fn(
                login, {"username": username, "password": password or PASSWORDS[username]}
            )
        )
        assert login.token
    return root


def _sub(root, cls):
    return root.get_substate(cls.get_full_name().split("."))


def _admin_page():
    state = _sub(_client("admin"), AdminState)
    AdminState.load.fn(state)
    return state


def _row(state, username: str) -> dict[str, str]:
    return next(r for r in state.rows if r["username"] == username)


def _run(result):
    return asyncio.run(result) if asyncio.iscoroutine(result) else result


def _toast(result) -> str:
    return str(result)


def _redirect_path(result) -> str:
    specs = result if isinstance(result, list) else [result] if result is not None else []
    for spec in specs:
        for name, value in spec.args:
            if name._js_expr == "path":
                return value._var_value
    return ""


def test_the_page_lists_users_in_words_and_the_admins_language(db_url, session):
    root = _client("admin")
    _sub(root, AdminState).lang_choice = "ru"
    state = _sub(root, AdminState)
    AdminState.load.fn(state)
    officer = _row(state, "officer1")
    assert officer["role"] == "Border officer" and officer["place"] == "Fotehobod – Oybek"
    assert officer["active"] == "1" and officer["last"] == "" and officer["held"] == ""
    assert _row(state, "admin")["self"] == "1"
    user = _user(session, "officer1")
    user.last_sign_in_at = NOW
    session.add(user)
    session.commit()
    AdminState.search.fn(state, {"query": "officer", "role": "officer"})
    assert [r["username"] for r in state.rows] == ["officer1", "officer2"]
    assert _row(state, "officer1")["last"] == "29.11.2026, 14:00"  # Asia/Dushanbe, in Russian
    AdminState.search.fn(state, {"query": "", "role": "nonsense"})
    assert state.role_filter == "" and state.total == len(session.exec(select(User.id)).all())


def test_an_admin_creates_an_officer_and_sees_the_password_once(db_url, session):
    state = _admin_page()
    AdminState.new_user.fn(state)
    AdminState.choose_role.fn(state, "officer")
    form = {"username": "kamol", "full_name": "Kamol Rahimov", "point": "", "authority": ""}
    _run(AdminState.save_user.fn(state, form))
    assert state.form_open and state.form_error == users.CHOOSE_POINT and state.secret == ""
    form["point"] = str(_point(session, "KUSHTEGIRMON"))
    _run(AdminState.save_user.fn(state, form))
    assert not state.form_open and state.secret_for == "kamol"
    assert auth.verify_password(state.secret, _user(session, "kamol").password_hash)
    assert _row(state, "kamol")["place"] == "Kushtegirmon – Bekobod"
    AdminState.forget_secret.fn(state)
    assert state.secret == "" and state.secret_for == ""
    _run(AdminState.save_user.fn(state, form))  # the form is closed: nothing more
    assert len(session.exec(select(User).where(User.username == "kamol")).all()) == 1


def test_an_admin_moves_an_officer_through_the_form(db_url, session):
    state = _admin_page()
    officer = _row(state, "officer1")
    AdminState.edit_user.fn(state, officer["id"])
    assert state.form_role == "officer" and state.form["point"] == str(_point(session, "FOTEHOBOD"))
    form = {"full_name": "Rustam Aliev", "point": str(_point(session, "PATAR"))}
    _run(AdminState.save_user.fn(state, form))
    assert not state.form_open and _row(state, "officer1")["place"] == "Patar – Rishton"


def test_a_deactivated_users_open_page_loses_access_on_its_next_event(db_url, session):
    staff_page = _sub(_client("staff"), AuthorityState)
    assert asyncio.run(AuthorityState.load.fn(staff_page)) is None  # in
    officer_page = _sub(_client("officer1"), OfficerState)
    state = _admin_page()
    for username in ["staff", "officer1"]:
        AdminState.ask.fn(state, "deactivate", _row(state, username)["id"])
        assert state.confirm["username"] == username
        _run(AdminState.confirmed.fn(state))
        assert state.confirm == {} and _row(state, username)["active"] == ""
    assert _redirect_path(asyncio.run(AuthorityState.load.fn(staff_page))) == "/"
    assert staff_page.user_name == ""
    AuthorityState.change_status.fn(staff_page, {"reason": "x"})
    assert staff_page._refusal == "Please sign in."
    assert _redirect_path(asyncio.run(OfficerState.load.fn(officer_page))) == "/"
    denied = session.exec(
        select(AuditEvent).where(AuditEvent.action == "access_denied", AuditEvent.actor == "")
    ).all()
    assert denied  # the turned-away events are audited as anonymous refusals


def test_a_reset_password_is_shown_once_and_the_old_one_stops_working(db_url, session):
    state = _admin_page()
    AdminState.ask.fn(state, "reset_password", _row(state, "officer2")["id"])
    _run(AdminState.confirmed.fn(state))
    assert state.secret_for == "officer2" and state.secret
    with pytest.raises(AssertionError):
        _client("officer2")
    login = _sub(State(_reflex_internal_init=True), LoginState)
    asyncio.run(LoginState.sign_in.fn(login, {"username": "officer2", "password": state.secret}))
    assert (login.step, login.error, login.token) == (auth.NEW_PASSWORD, "", "")


def test_the_confirmation_is_for_listed_users_and_known_actions_only(db_url, session):
    state = _admin_page()
    before = session.exec(select(User.id, User.is_active, User.password_hash)).all()
    AdminState.ask.fn(state, "delete", _row(state, "staff")["id"])
    AdminState.ask.fn(state, "deactivate", "99999")
    _run(AdminState.reactivate.fn(state, "99999"))
    _run(AdminState.confirmed.fn(state))  # nothing was asked
    assert state.confirm == {} and state.secret == ""
    AdminState.ask.fn(state, "deactivate", _row(state, "admin")["id"])  # oneself
    result = _run(AdminState.confirmed.fn(state))
    assert "You cannot do this to your own account" in _toast(result)
    session.expire_all()
    assert session.exec(select(User.id, User.is_active, User.password_hash)).all() == before


def test_an_admin_unlocks_a_held_name_and_reactivates_a_user(db_url, session):
    # ten failures from one address just now (the page reads the real clock): a minute's wait
    at = utcnow()
    session.add_all(
        AuthAttempt(kind=auth.SIGN_IN_FAILED, username="officer2", address="10.9.9.9", at=at)
        for _ in range(10)
    )
    session.commit()
    state = _admin_page()
    assert _row(state, "officer2")["held"] == "1"
    _run(AdminState.unlock.fn(state, _row(state, "officer2")["id"]))
    assert _row(state, "officer2")["held"] == ""
    AdminState.ask.fn(state, "deactivate", _row(state, "officer2")["id"])
    _run(AdminState.confirmed.fn(state))
    _run(AdminState.reactivate.fn(state, _row(state, "officer2")["id"]))
    assert _row(state, "officer2")["active"] == "1"
    assert _client("officer2")


HANDLERS = [
    ("load", []),
    ("search", [{"query": "a"}]),
    ("go_to_page", [2]),
    ("new_user", []),
    ("edit_user", ["1"]),
    ("choose_role", ["admin"]),
    ("close_form", []),
    ("save_user", [{"username": "kamol", "full_name": "K", "point": "1"}]),
    ("ask", ["deactivate", "1"]),
    ("cancel", []),
    ("confirmed", []),
    ("reactivate", ["1"]),
    ("unlock", ["1"]),
]


def test_every_admin_handler_is_declared_here():
    # check_chain's refusals: tests/app/test_audit_chain_state.py; forgetting needs no role
    declared = set(AdminState.event_handlers) - {"setvar", "forget_secret", "check_chain"}
    assert declared == {name for name, _ in HANDLERS}


@pytest.mark.parametrize("username", [None, "farhod", "staff", "officer1"])
@pytest.mark.parametrize(("name", "args"), HANDLERS, ids=[n for n, _ in HANDLERS])
def test_every_admin_handler_refuses_other_roles_and_audits_it(
    db_url, session, username, name, args
):
    root = _client(username)
    state = _sub(root, AdminState)
    # as if the page had been open for an administrator: a row and a form and a question
    state.rows = [{"id": str(_user(session, "staff").id), "username": "staff", "name": "S"}]
    state.form_open, state.form_role = True, "officer"
    state.confirm, state._confirm_id = {"action": "deactivate"}, _user(session, "staff").id
    before = session.exec(select(User.id, User.is_active, User.password_hash, User.role)).all()
    result = _run(getattr(AdminState, name).fn(state, *args))
    assert "error" in str(result) or _redirect_path(result) != "/admin"
    session.expire_all()
    assert session.exec(select(User.id, User.is_active, User.password_hash, User.role)).all() == (
        before
    )
    denied = _last(session, "access_denied")
    assert denied is not None and denied.subject == "admin"
    assert denied.actor == (username or "")
    assert denied.detail["handler"].endswith("admin_state")
