"""Sign-in and sign-up handlers: off the event loop, throttled by the client's address."""

from __future__ import annotations

import asyncio
import inspect
import threading

from reflex.istate.data import RouterData, SessionData
from reflex.state import State
from sqlmodel import select

from lbt_app.db.models import AuthAttempt, User
from lbt_app.services import auth
from lbt_app.states import login
from lbt_app.states.login import LoginState, SignUpState
from tests.conftest import NOW


def _state(cls, address: str = "198.51.100.7", lang: str = ""):
    root = State(_reflex_internal_init=True)
    root.router = RouterData(session=SessionData(client_ip=address))
    state = root.get_substate(cls.get_full_name().split("."))
    state.lang_choice = lang
    return state


def _sign_in(state, username: str, password: str):
    return asyncio.run(LoginState.sign_in.fn(state, {"username": username, "password": password}))


def test_the_handlers_are_coroutines():
    assert inspect.iscoroutinefunction(LoginState.sign_in.fn)
    assert inspect.iscoroutinefunction(SignUpState.sign_up.fn)


def test_two_sign_ins_hash_in_threads_while_the_loop_serves_others(db_url, monkeypatch):
    order: list[str] = []
    ticked = threading.Event()
    real = auth.verify_password

    def verify(password: str, password_hash: str) -> bool:
        order.append("hash")
        ticked.wait(timeout=10)  # released by the ticker, which needs a free event loop
        order.append("hashed")
        return real(password, password_hash)

    monkeypatch.setattr(auth, "verify_password", verify)

    async def ticker() -> None:
        for _ in range(1000):
            if order.count("hash") == 2:
                break
            await asyncio.sleep(0.01)
        order.append("tick")
        ticked.set()

    async def main():
        staff, farhod = _state(LoginState), _state(LoginState, "203.0.113.9")
        await asyncio.gather(
            LoginState.sign_in.fn(staff, {"username": "staff", "password": "staff-demo-2026"}),
            LoginState.sign_in.fn(farhod, {"username": "farhod", "password": "farhod-demo-2026"}),
            ticker(),
        )
        return staff, farhod

    staff, farhod = asyncio.run(main())
    assert order == ["hash", "hash", "tick", "hashed", "hashed"]
    assert staff.token and farhod.token


def test_the_wait_is_shown_in_the_clients_language(db_url, monkeypatch):
    monkeypatch.setattr(login, "utcnow", lambda: NOW)
    state = _state(LoginState, lang="ru")
    for _ in range(5):
        _sign_in(state, "officer1", "guess")
    assert state.error == "Неверное имя пользователя или пароль."
    _sign_in(state, "officer1", "officer1-demo-2026")
    assert state.token == ""
    assert state.error == "Слишком много попыток. Повторите через 2 с."


def test_the_throttle_counts_the_clients_own_address(db_url, session):
    guesser = _state(LoginState, "192.0.2.66")
    for _ in range(6):
        _sign_in(guesser, "staff", "guess")
    addresses = session.exec(select(AuthAttempt.address)).all()
    assert set(addresses) == {"192.0.2.66"}
    owner = _state(LoginState, "198.51.100.7")
    _sign_in(owner, "staff", "staff-demo-2026")
    assert owner.token and owner.error == ""


def test_sign_up_is_refused_past_the_quota_with_the_wait_in_minutes(db_url, session, monkeypatch):
    monkeypatch.setattr(login, "utcnow", lambda: NOW)
    for n in range(6):
        state = _state(SignUpState)
        form = {
            "username": f"new.person{n}",
            "full_name": "New Person",
            "password": "a-long-password",
            "password_again": "a-long-password",
        }
        asyncio.run(SignUpState.sign_up.fn(state, form))
    assert state.token == ""
    assert state.error == "Too many new accounts from this network. Try again in 60 minutes."
    created = session.exec(select(User.username).where(User.username.startswith("new."))).all()
    assert len(created) == 5


def _sign_up(state, password: str, again: str):
    form = {
        "username": "+992 93 111 22 33",
        "full_name": "New Person",
        "password": password,
        "password_again": again,
    }
    return asyncio.run(SignUpState.sign_up.fn(state, form))


def test_a_short_password_is_told_before_a_mismatch_in_the_clients_language(db_url, session):
    state = _state(SignUpState, lang="ru")
    _sign_up(state, "short", "other")
    assert state.error == "Пароль слишком короткий: не менее 8 символов."
    _sign_up(state, "long-enough", "long-enougj")
    assert state.error == "Пароли не совпадают."
    assert session.exec(select(User).where(User.username == "+992931112233")).first() is None
    _sign_up(state, "long-enough", "long-enough")
    assert state.token and state.error == ""
    signed_in = _state(LoginState)
    _sign_in(signed_in, "+992 93 111 22 33", "long-enough")  # as typed at sign-up
    assert signed_in.token and signed_in.error == ""
