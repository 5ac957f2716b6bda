"""Every administration handler, on every admin page, called by every other role and by an
anonymous caller: refused, audited with the handler's state, and nothing else changes."""

from __future__ import annotations

import inspect
import typing

import pytest
from reflex.state import State
from sqlmodel import col, select

import lbt_app.lbt_app  # noqa: F401  (registers every state and page)
from lbt_app.core.access import Action
from lbt_app.db.models import AuditEvent, User
from lbt_app.states.session import SessionState, _descendants
from tests.app.test_handler_inputs import _TOKENS, _call, _fingerprint, _token


def _admin_handlers() -> list[tuple[type, str]]:
    return [
        (cls, name)
        for cls in _descendants(SessionState)
        for name, event in cls.event_handlers.items()
        if getattr(event.fn, "required_action", None) is Action.ADMINISTER
    ]


def _plausible(annotation: object) -> object:
    """An argument of the declared type: the refusal must come from the role, not the shape."""
    origin = typing.get_origin(annotation) or annotation
    if origin in (typing.Union, type(int | None)):
        return _plausible(typing.get_args(annotation)[0])
    return {str: "1", int: 1, float: 1.0, bool: True, dict: {}, list: []}.get(origin, "1")


def test_every_admin_page_is_covered():
    """The pages an administrator runs the installation from all declare ADMINISTER."""
    states = {cls.__name__ for cls, _ in _admin_handlers()}
    assert states == {"AdminState", "AdminAgreementsState", "AdminRefusalsState", "AdminKeysState"}


@pytest.mark.parametrize("username", [None, "farhod", "officer1", "staff"])
@pytest.mark.parametrize(
    ("cls", "name"), _admin_handlers(), ids=lambda v: getattr(v, "__name__", v)
)
def test_admin_handlers_refuse_and_audit_every_other_caller(db_url, session, username, cls, name):
    _TOKENS.clear()  # the database was restored: earlier sessions are gone
    token = _token(username)
    fn = cls.event_handlers[name].fn
    args = [_plausible(p.annotation) for p in list(inspect.signature(fn).parameters.values())[1:]]
    last = session.exec(select(AuditEvent.seq).order_by(col(AuditEvent.seq).desc())).first()
    before = _fingerprint(db_url)

    root = State(_reflex_internal_init=True)
    root.get_substate(SessionState.get_full_name().split(".")).token = token
    _call(root.get_substate(cls.get_full_name().split(".")), name, args)

    assert _fingerprint(db_url) == before
    refusals = session.exec(
        select(AuditEvent).where(col(AuditEvent.seq) > last, AuditEvent.action == "access_denied")
    ).all()
    assert len(refusals) == 1, [r.action for r in refusals]
    refusal = refusals[0]
    assert refusal.subject == Action.ADMINISTER
    assert refusal.detail["handler"] == cls.get_full_name()
    if username is None:
        assert refusal.actor_id is None
    else:
        user = session.exec(select(User).where(User.username == username)).one()
        assert refusal.actor_id == user.id
