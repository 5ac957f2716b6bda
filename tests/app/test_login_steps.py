"""The later steps of a sign-in in LoginState: the pending sign-in lives only on the server,
for a few minutes, and an event for a step this tab is not at changes nothing."""

from __future__ import annotations

import asyncio
import base64
from datetime import timedelta

import pytest
from reflex.istate.data import RouterData, SessionData
from reflex.state import State
from sqlmodel import select

from lbt_app.core import second_factor as totp
from lbt_app.db.models import AuditEvent, AuthAttempt, LoginSession, User
from lbt_app.services import auth
from lbt_app.settings import get_settings
from lbt_app.states import login
from lbt_app.states.login import LoginState
from tests.conftest import NOW


@pytest.fixture
def clock(db_url, monkeypatch):
    now = [NOW]
    monkeypatch.setattr(login, "utcnow", lambda: now[0])
    monkeypatch.setenv("LBT_SECOND_FACTOR", "required")
    get_settings.cache_clear()
    return now


def _state(lang: str = "") -> LoginState:
    root = State(_reflex_internal_init=True)
    root.router = RouterData(session=SessionData(client_ip="198.51.100.7"))
    state = root.get_substate(LoginState.get_full_name().split("."))
    state.lang_choice = lang
    return state


def _run(state, name: str, *args):
    result = getattr(LoginState, name).fn(state, *args)
    return asyncio.run(result) if asyncio.iscoroutine(result) else result


def _code_now(state, now) -> str:
    secret = base64.b32decode(state.enrol_secret.replace(" ", ""))
    return totp.code_at(secret, int(now.timestamp()))


def _counts(session) -> tuple[int, int, int]:
    session.expire_all()
    return (
        len(session.exec(select(LoginSession)).all()),
        len(session.exec(select(AuthAttempt)).all()),
        len(session.exec(select(AuditEvent)).all()),
    )


def test_enrolment_then_recovery_codes_then_the_session(session, clock):
    state = _state()
    _run(state, "sign_in", {"username": "staff", "password": "staff-demo-2026"})
    assert state.step == auth.ENROL and state.token == "" and state.error == ""
    assert state.enrol_qr.startswith("data:image/png") and len(state.enrol_secret) == 39
    _run(state, "confirm_enrolment", {"code": "000000"})
    assert state.step == auth.ENROL and state.enrol_secret  # the same secret, try again
    assert state.error == "This code is not right. Enter the code your app shows now."
    _run(state, "confirm_enrolment", {"code": _code_now(state, clock[0])})
    assert state.step == auth.SAVE_CODES and len(state.recovery_codes) == 10
    assert state.enrol_secret == "" and state.token == ""
    redirect = _run(state, "codes_saved")
    assert state.token and state.step == "" and state.recovery_codes == []
    assert redirect is not None and state.user_name


def test_the_steps_speak_the_clients_language(session, clock):
    staff = session.exec(select(User).where(User.username == "staff")).one()
    staff.is_active = False
    session.add(staff)
    session.commit()
    state = _state("ru")
    _run(state, "sign_in", {"username": "staff", "password": "staff-demo-2026"})
    assert state.error == "Этот аккаунт отключён. Обратитесь к администратору."
    assert state.step == ""


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("new_password", [{"password": "a-new-password", "password_again": "a-new-password"}]),
        ("confirm_enrolment", [{"code": "123456"}]),
        ("codes_saved", []),
        ("give_code", [{"code": "123456"}]),
    ],
)
def test_a_forged_later_step_without_a_pending_sign_in_changes_nothing(session, clock, name, args):
    before = _counts(session)
    state = _state()
    _run(state, name, *args)
    assert state.token == "" and state.step == ""
    assert state.error == auth.START_AGAIN
    assert _counts(session) == before


def test_an_event_for_another_step_ends_the_pending_sign_in(session, clock):
    state = _state()
    _run(state, "sign_in", {"username": "admin", "password": "admin-demo-2026"})
    assert state.step == auth.ENROL
    before = _counts(session)
    _run(state, "codes_saved")  # skipping the first code
    assert state.token == "" and state.step == "" and state.error == auth.START_AGAIN
    _run(state, "confirm_enrolment", {"code": "123456"})  # and the pending sign-in is gone
    assert state.error == auth.START_AGAIN and _counts(session) == before


def test_a_pending_sign_in_expires_after_five_minutes(session, clock):
    state = _state()
    _run(state, "sign_in", {"username": "staff", "password": "staff-demo-2026"})
    code = _code_now(state, clock[0])
    clock[0] = NOW + timedelta(minutes=auth.PENDING_MINUTES)
    _run(state, "confirm_enrolment", {"code": code})
    assert state.step == "" and state.token == "" and state.error == auth.START_AGAIN
    assert state.enrol_secret == ""
    _run(state, "load")
    assert state.error == ""


def test_a_one_time_password_is_replaced_at_sign_in(session, clock, monkeypatch):
    monkeypatch.setenv("LBT_SECOND_FACTOR", "off")
    get_settings.cache_clear()
    officer = session.exec(select(User).where(User.username == "officer1")).one()
    officer.must_change_password = True
    session.add(officer)
    session.commit()
    state = _state()
    _run(state, "sign_in", {"username": "officer1", "password": "officer1-demo-2026"})
    assert state.step == auth.NEW_PASSWORD
    _run(state, "new_password", {"password": "short", "password_again": "short"})
    assert state.step == auth.NEW_PASSWORD
    assert state.error == "The password is too short: at least 8 characters."
    _run(state, "new_password", {"password": "mine-at-last", "password_again": "mine-at-last"})
    assert state.token and state.step == ""


def test_a_recovery_code_is_typed_instead_of_the_apps(session, clock):
    state = _state()
    _run(state, "use_recovery_code", True)
    assert state.recovery
    _run(state, "start_again")
    assert not state.recovery and state.step == ""
