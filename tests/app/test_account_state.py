"""The account page's state: staff turn on two-step sign-in for themselves; residents and
strangers cannot."""

from __future__ import annotations

import base64

from sqlmodel import select

from lbt_app.core import second_factor as totp
from lbt_app.db.models import RecoveryCode, User
from lbt_app.states import account
from lbt_app.states.account import AccountState
from tests.app.test_states import _client, _redirect_path, _sub
from tests.conftest import NOW


def _officer_page(monkeypatch):
    monkeypatch.setattr(account, "utcnow", lambda: NOW)
    state = _sub(_client("officer1"), AccountState)
    AccountState.load.fn(state)
    return state


def test_an_officer_turns_on_two_step_sign_in(db_url, session, monkeypatch):
    state = _officer_page(monkeypatch)
    assert state.enrolled_since == ""
    AccountState.begin.fn(state)
    assert state.enrol_qr.startswith("data:image/png") and state.enrol_secret
    AccountState.confirm.fn(state, {"code": "000000"})
    assert state.error == "This code is not right. Enter the code your app shows now."
    secret = base64.b32decode(state.enrol_secret.replace(" ", ""))
    AccountState.confirm.fn(state, {"code": totp.code_at(secret, int(NOW.timestamp()))})
    assert len(state.recovery_codes) == 10 and state.enrol_secret == "" and state.error == ""
    assert state.enrolled_since
    officer = session.exec(select(User).where(User.username == "officer1")).one()
    assert officer.totp_enabled_at is not None
    assert len(session.exec(select(RecoveryCode)).all()) == 10
    AccountState.codes_saved.fn(state)
    assert state.recovery_codes == []
    AccountState.begin.fn(state)  # already on: nothing new
    assert state.enrol_secret == ""


def test_a_confirmation_without_a_begun_secret_turns_nothing_on(db_url, session, monkeypatch):
    state = _officer_page(monkeypatch)
    AccountState.confirm.fn(state, {"code": "123456"})
    assert state.error and state.recovery_codes == []
    assert session.exec(select(RecoveryCode)).all() == []


def test_residents_and_strangers_are_turned_away(db_url, session):
    for username, path in [("farhod", "/wallet"), (None, "/")]:
        state = _sub(_client(username), AccountState)
        assert _redirect_path(AccountState.load.fn(state)) == path
        AccountState.begin.fn(state)
        assert state.enrol_secret == ""
