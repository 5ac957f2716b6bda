"""The admin and oversight pages show the last recorded chain check; "Check now" runs one."""

from __future__ import annotations

import asyncio
import inspect
import types

import pytest
from sqlmodel import select

from lbt_app.db.models import AuditEvent
from lbt_app.services import audit
from lbt_app.states.admin import AdminState
from lbt_app.states.oversight import OversightState
from tests.app.test_states import _client, _sub
from tests.conftest import NOW

PAGES = [(AdminState, "admin"), (OversightState, "staff")]


class _Proxy:
    """Stands in for Reflex's StateProxy in a background event: changes only in `async with`."""

    def __init__(self, state) -> None:
        object.__setattr__(self, "_state", state)
        object.__setattr__(self, "_inside", False)

    async def __aenter__(self):
        object.__setattr__(self, "_inside", True)
        return self

    async def __aexit__(self, *_exc) -> None:
        object.__setattr__(self, "_inside", False)

    def __getattr__(self, name):
        value = getattr(self._state, name)
        if inspect.ismethod(value) and value.__self__ is self._state:
            return types.MethodType(value.__func__, self)  # as Reflex's: `self` is the proxy
        return value

    def __setattr__(self, name, value) -> None:
        if not self._inside:
            raise AssertionError(f"{name} set outside `async with self`")
        setattr(self._state, name, value)


def _checks(session) -> list[AuditEvent]:
    session.expire_all()
    return session.exec(select(AuditEvent).where(AuditEvent.action == audit.CHECKED)).all()


@pytest.mark.parametrize(("cls", "username"), PAGES)
def test_loading_the_page_never_walks_the_chain(db_url, session, monkeypatch, cls, username):
    def walk(**_kwargs):
        raise AssertionError("the page walked the audit chain")

    state = _sub(_client(username), cls)
    monkeypatch.setattr(audit, "verify_chain", walk)
    cls.load.fn(state)
    assert state.chain == "The audit chain has not been checked yet."
    assert state.chain_state == "" and state.chain_checked == ""
    monkeypatch.undo()
    audit.run_check(session=session, now=NOW, full=True, actor_name="cli")
    session.commit()
    monkeypatch.setattr(audit, "verify_chain", walk)
    cls.load.fn(state)
    events = audit.last_check(session=session).check.events
    assert state.chain == f"Audit chain intact: {events} events."
    assert state.chain_state == "intact" and "by cli" in state.chain_checked


@pytest.mark.parametrize(("cls", "username"), PAGES)
def test_check_now_runs_the_check_and_shows_its_result(db_url, session, cls, username):
    state = _sub(_client(username), cls)
    asyncio.run(cls.check_chain.fn(_Proxy(state)))
    assert not state.chain_checking
    assert state.chain_state == "intact" and f"by {username}" in state.chain_checked
    [check] = _checks(session)
    assert check.actor == username and check.detail["ok"] and not check.detail["full"]


@pytest.mark.parametrize(("cls", "allowed"), PAGES)
def test_check_now_from_another_role_is_refused_and_checks_nothing(db_url, session, cls, allowed):
    for username in [None, "officer1", "farhod", "staff", "admin"]:
        if username == allowed:
            continue
        state = _sub(_client(username), cls)
        result = asyncio.run(cls.check_chain.fn(_Proxy(state)))
        assert "error" in str(result) and state.chain == ""
    assert _checks(session) == []
    denied = session.exec(select(AuditEvent).where(AuditEvent.action == audit.REFUSED)).all()
    assert {e.detail["handler"] for e in denied} == {cls.get_full_name()}


def test_a_check_already_running_is_not_started_twice(db_url, session):
    state = _sub(_client("admin"), AdminState)
    state.chain_checking = True
    asyncio.run(AdminState.check_chain.fn(_Proxy(state)))
    assert _checks(session) == [] and state.chain_checking
