"""Production logs: one JSON line per handled event, every other record a JSON line too, and
never a password, a token, a permit text or number, or an exception's message."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
import time
from collections.abc import Iterator

import pytest

from lbt_app import logs
from lbt_app.settings import load_settings
from lbt_app.states.login import LoginState
from lbt_app.states.officer import OfficerState
from tests.app.factories import permit_of
from tests.app.test_login_state import _sign_in, _state
from tests.app.test_officer_state import _officer
from tests.app.test_states import PASSWORDS


class Output(io.StringIO):
    def lines(self) -> list[dict]:
        """Every line written since the last look, each parsed as JSON."""
        text, _ = self.getvalue(), self.seek(0)
        self.truncate()
        return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def production_logs(tmp_path, monkeypatch) -> Iterator[Output]:
    """The root logger as production configures it, its stream read by the test."""
    monkeypatch.setenv("REFLEX_LOG_JSON", "false")  # Reflex's own sinks are not under test
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    settings = load_settings(
        {
            "LBT_ENV": "production",
            "LBT_KEK": base64.b64encode(bytes(32)).decode(),
            "LBT_DATA_DIR": str(tmp_path),
        }
    )
    logs.configure(settings)
    (handler,) = root.handlers
    output = Output()
    handler.setStream(output)
    yield output
    root.handlers[:], root.level = handlers, level


def _events(lines: list[dict], handler: str) -> list[dict]:
    return [line for line in lines if line.get("handler") == handler]


def test_development_keeps_the_readable_logs(monkeypatch):
    root = logging.getLogger()
    handlers = root.handlers[:]
    logs.configure(load_settings({"LBT_ENV": "development"}))
    assert root.handlers == handlers


def test_a_sign_in_is_one_json_line_without_the_password_or_the_token(db_url, production_logs):
    password = PASSWORDS["officer1"]
    state = _state(LoginState)
    _sign_in(state, "officer1", password)
    assert state.token
    _sign_in(_state(LoginState), "officer1", "wrong-" + password)
    err = production_logs.getvalue()
    assert password not in err and state.token not in err and "officer1" not in err
    lines = [json.loads(line) for line in err.splitlines()]
    signed_in, refused = _events(lines, "LoginState.sign_in")
    for line in (signed_in, refused):
        assert set(line) >= {"timestamp", "level", "user_id", "handler", "duration_ms", "outcome"}
        assert line["level"] == "info" and line["outcome"] == "ok"  # the page says why not
        assert line["timestamp"].endswith("+00:00")
        assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
        assert line["user_id"] is None  # no one is signed in while signing in


def test_a_scan_names_the_officer_by_id_only(db_url, session, production_logs):
    permit = permit_of(session, "RAHIMOV")
    state = _officer()
    production_logs.lines()
    asyncio.run(OfficerState.scanned.fn(state, permit.payload, time.time() * 1000))
    asyncio.run(OfficerState.check_number.fn(state, {"number": permit.number}))
    err = production_logs.getvalue()
    for secret in (permit.payload[:24], permit.number, "RAHIMOV", state.token, "officer1"):
        assert secret not in err
    lines = [json.loads(line) for line in err.splitlines()]
    (scanned,) = _events(lines, "OfficerState.scanned")
    (typed,) = _events(lines, "OfficerState.check_number")
    officer_id = scanned["user_id"]
    assert isinstance(officer_id, int) and officer_id > 0 and typed["user_id"] == officer_id
    assert scanned["outcome"] == typed["outcome"] == "ok"


def test_each_outcome_is_named(db_url, production_logs):
    state = _officer()
    production_logs.lines()
    asyncio.run(OfficerState.scanned.fn(state, ["not", "text"], time.time() * 1000))
    state.token = "forged"
    asyncio.run(OfficerState.scanned.fn(state, "LBT1:whatever", time.time() * 1000))
    lines = _events(production_logs.lines(), "OfficerState.scanned")
    assert [line["outcome"] for line in lines] == ["not understood", "refused"]


def test_an_error_is_one_line_with_where_but_not_what(db_url, production_logs, monkeypatch):
    state = _officer()
    production_logs.lines()

    def broken(**_kwargs):
        int("AB1234567")  # ValueError: invalid literal for int() with base 10: 'AB1234567'

    monkeypatch.setattr("lbt_app.services.checks.verify_number", broken)
    with pytest.raises(ValueError):
        asyncio.run(OfficerState.check_number.fn(state, {"number": "AB1234567"}))
    try:
        int("AB1234567")
    except ValueError:
        logging.getLogger("lbt_app.lbt_app").exception("backend error")
    err = production_logs.getvalue()
    assert "AB1234567" not in err
    lines = [json.loads(line) for line in err.splitlines()]
    (event,) = _events(lines, "OfficerState.check_number")
    assert event["outcome"] == "error"
    (error,) = [line for line in lines if line["message"] == "backend error"]
    assert error["level"] == "error" and error["logger"] == "lbt_app.lbt_app"
    assert "builtins.ValueError" in error["exception"] and "test_logs.py" in error["exception"]
