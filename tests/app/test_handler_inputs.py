"""Every event handler of every state, called by every role with random JSON arguments (what a
forged websocket frame can carry): no unhandled exception, and nothing changes in the database
but the audit trail of the refusals and sign-in attempts."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reflex.state import State
from sqlmodel import SQLModel

import lbt_app.lbt_app  # noqa: F401  (registers every state and page)
from lbt_app.db.engine import engine_for
from lbt_app.states.login import LoginState
from lbt_app.states.session import SessionState, _descendants

# What refused or throttled calls may add, and the wallet's live secret (made when the wallet
# first opens, renewed at sign-out); everything else must stay as it was.
BOOKKEEPING = {"auditevent", "auditcheckpoint", "loginsession", "authattempt", "walletsecret"}
ROLES = {
    None: "",
    "farhod": "farhod-demo-2026",
    "officer1": "officer1-demo-2026",
    "staff": "staff-demo-2026",
    "admin": "admin-demo-2026",
}
# Values that broke handlers before: odd digits, huge and non-finite numbers, wrong shapes.
AWKWARD = ["²", "1e30", "Infinity", "-1", "0", "", "entry", "exit", "refuse", "ru", "1" * 400]
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=40)
    | st.sampled_from(AWKWARD),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=8,
)
FORMS = st.dictionaries(
    st.sampled_from(
        [
            "reason",
            "number",
            "query",
            "years",
            "text",
            "action",
            "note",
            "report",
            "decision",
            "username",
            "password",
            "status",
            "area",
            "expiring",
            "authority",
            "full_name",
            "document_number",
            "until",
            "kid",
            "code",
            "name",
            "name_native",
            "country_a",
            "country_b",
            "timezone",
            "card_languages",
            "max_stay_days",
            "period_cap_days",
            "period_days",
            "min_validity_years",
            "max_validity_years",
            "min_residence_years",
            "max_area_km",
            "country",
            "depth_km",
            "districts",
            "kind",
            "serves:UZ-FRG",
            "password_again",
            "role",
            "point",
        ]
    ),
    st.one_of(st.sampled_from(AWKWARD), JSON),
    max_size=4,
)


def _handlers() -> list[tuple[type, str]]:
    found = []
    for cls in [SessionState, *_descendants(SessionState)]:
        for name in cls.event_handlers:
            if name != "setvar":  # Reflex's own; with auto-setters off it sets nothing
                found.append((cls, name))
    return found


def _fingerprint(url: str) -> dict[str, str]:
    with engine_for(url).connect() as conn:
        return {
            table.name: hashlib.sha256(
                json.dumps(sorted(map(repr, conn.execute(sa.select(table)).all()))).encode()
            ).hexdigest()
            for table in SQLModel.metadata.sorted_tables
            if table.name not in BOOKKEEPING
        }


_TOKENS: dict[str, str] = {}


def _token(username: str | None) -> str:
    if username is None:
        return ""
    if username not in _TOKENS:
        login = State(_reflex_internal_init=True).get_substate(
            LoginState.get_full_name().split(".")
        )
        result = LoginState.sign_in.fn(login, {"username": username, "password": ROLES[username]})
        if inspect.iscoroutine(result):
            asyncio.run(result)
        _TOKENS[username] = login.token
    return _TOKENS[username]


def _call(state, name: str, args: list) -> None:
    result = getattr(type(state), name).fn(state, *args)
    if inspect.iscoroutine(result):
        asyncio.run(result)
    elif inspect.isasyncgen(result):

        async def drain():
            async for _ in result:
                pass

        asyncio.run(drain())
    elif inspect.isgenerator(result):
        list(result)


@pytest.mark.parametrize("username", list(ROLES))
@pytest.mark.parametrize(("cls", "name"), _handlers(), ids=lambda v: getattr(v, "__name__", v))
def test_random_arguments_never_crash_a_handler_or_change_data(db_url, username, cls, name):
    _TOKENS.clear()  # the database was restored: earlier sessions are gone
    token = _token(username)
    arity = len(inspect.signature(getattr(cls, name).fn).parameters) - 1
    before = _fingerprint(db_url)

    @settings(
        max_examples=20,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        args=st.lists(
            st.one_of(st.sampled_from(AWKWARD), FORMS, JSON), min_size=arity, max_size=arity
        )
    )
    def check(args):
        root = State(_reflex_internal_init=True)
        root.get_substate(SessionState.get_full_name().split(".")).token = token
        _call(root.get_substate(cls.get_full_name().split(".")), name, args)

    check()
    assert _fingerprint(db_url) == before
