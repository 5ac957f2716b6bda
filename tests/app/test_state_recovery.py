"""A tab whose server state was lost: its events wait while the browser is asked for what it
stored, then the page loads again and they run; the session comes back only from the token,
looked up on the server (tests/e2e/test_state_recovery.py restarts a real Redis)."""

from __future__ import annotations

import asyncio

import reflex as rx
from reflex.state import OnLoadInternalState, State, StateUpdate
from sqlmodel import Session, select

import lbt_app.lbt_app  # noqa: F401  (registers every state and page)
from lbt_app.db.engine import engine_for
from lbt_app.db.models import LoginSession
from lbt_app.db.types import utcnow
from lbt_app.services import auth
from lbt_app.states.officer import OfficerState
from lbt_app.states.session import (
    HYDRATED,
    MAX_HELD_EVENTS,
    PAGE_LOADED,
    READ_STORED,
    SessionState,
    StateRecovery,
)

CHECK = f"{OfficerState.get_full_name()}.check_number"
FORM = {"form": {"number": "TJ26-000001"}}


def _lost_tab(path: str = "/officer") -> tuple[State, SessionState]:
    """A tab's state tree as the server makes it anew after losing it: nothing but the route."""
    root = State(_reflex_internal_init=True)
    root.router_data = root._update_router_vars({"pathname": path, "asPath": path}, {})
    return root, root.get_substate(SessionState.get_full_name().split("."))


def _arrives(root: State, name: str, payload: dict | None = None) -> StateUpdate | None:
    event = rx.event.Event(name=name, payload=payload or {})
    return asyncio.run(StateRecovery().preprocess(app=None, state=root, event=event))


def _token(db_url: str, username: str) -> str:
    with Session(engine_for(db_url)) as session:
        signed = auth.sign_in(
            session=session,
            username=username,
            password=f"{username}-demo-2026",
            address="127.0.0.1",
            now=utcnow(),
        )
        session.commit()
    assert signed.token
    return signed.token


def test_events_of_a_lost_tab_wait_while_the_browser_is_asked_once(db_url):
    root, tab = _lost_tab()
    asked = _arrives(root, CHECK, FORM)
    assert [e.name for e in asked.events] == ["_call_script"]
    assert asked.events[0].payload["javascript_code"] == READ_STORED
    assert "resume" in asked.events[0].payload["callback"]
    again = _arrives(root, CHECK, FORM)  # a second tap before the answer: held, not asked again
    assert again is not None and not again.events
    assert tab._held == [(CHECK, FORM), (CHECK, FORM)]
    for _ in range(MAX_HELD_EVENTS + 5):  # bounded
        _arrives(root, CHECK, FORM)
    assert len(tab._held) == MAX_HELD_EVENTS


def test_the_answer_signs_the_tab_in_again_loads_the_page_and_runs_what_waited(db_url):
    token = _token(db_url, "officer1")
    root, tab = _lost_tab()
    _arrives(root, CHECK, FORM)
    _arrives(root, PAGE_LOADED)  # the officer went to another page meanwhile
    events = SessionState.resume.fn(tab, {"token": token, "lang": "ru"})
    assert tab.token == token and tab.lang == "ru"
    assert tab._principal().username == "officer1"
    load, check, ready = events
    assert load is OfficerState.load  # the page shown, loaded again
    assert (check.name, check.payload) == (CHECK, FORM)
    assert ready.handler == OnLoadInternalState.set_is_hydrated
    assert _arrives(root, CHECK, FORM) is None  # from now on, events run as ever
    assert SessionState.resume.fn(tab, {"token": "other"}) is None  # asked once, answered once
    assert tab.token == token


def test_an_ended_or_expired_session_is_not_revived(db_url):
    token = _token(db_url, "officer1")
    with Session(engine_for(db_url)) as session:
        for row in session.exec(select(LoginSession)).all():
            row.ended_at = utcnow()
            session.add(row)
        session.commit()
    root, tab = _lost_tab()
    _arrives(root, CHECK, FORM)
    load, check = SessionState.resume.fn(tab, {"token": token, "lang": ""})
    assert load is OfficerState.load and tab._principal() is None
    # the page's guard turns the tab away to sign in; the held check is refused like any other
    officer = root.get_substate(OfficerState.get_full_name().split("."))
    redirect, _ = asyncio.run(OfficerState.load.fn(officer))
    assert dict((k._js_expr, v._var_value) for k, v in redirect.args)["path"] == "/"
    assert (check.name, check.payload) == (CHECK, FORM)
    assert "sign in" in str(asyncio.run(OfficerState.check_number.fn(officer, FORM["form"])))


def test_nothing_is_asked_of_a_tab_that_connected_nor_taken_unasked(db_url):
    token = _token(db_url, "officer1")
    root, tab = _lost_tab()
    assert SessionState.resume.fn(tab, {"token": token}) is None  # not asked: ignored
    assert tab.token == ""
    assert _arrives(root, HYDRATED, {"vars": {}}) is None  # a (re)connect brings the storage
    assert _arrives(root, CHECK, FORM) is None
    assert tab._stored_known and not tab._held
    # an upload cannot wait (its files are gone): dropped, the browser still asked
    root, tab = _lost_tab()
    asked = _arrives(root, CHECK, {"files": [object()]})
    assert asked.events and not tab._held
