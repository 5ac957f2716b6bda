"""Signing keys from the administration page: rotate (the old key keeps verifying), revoke (the
key id typed exactly; the permits that stop verifying counted), the public trust list."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from lbt_app.db.models import AuditEvent, KeyStatus, Permit, PermitStatus, SigningKey
from lbt_app.db.types import utcnow
from lbt_app.services import audit, keys
from lbt_app.services.keys import KeyError_
from lbt_app.states.admin_keys import KID_MISMATCH, TRUST_LIST_FILE, AdminKeysState
from tests.app.test_states import _client, _sub
from tests.conftest import NOW


def _keys(session) -> dict[str, KeyStatus]:
    session.expire_all()
    return {k.kid: k.status for k in session.exec(select(SigningKey))}


def _events(session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return session.exec(select(AuditEvent).where(AuditEvent.action == action)).all()


def _demo_kid(session) -> str:
    return session.exec(select(SigningKey.kid)).one()


def test_the_count_is_of_permits_not_revoked_and_not_expired(session):
    kid = _demo_kid(session)
    signed = session.exec(select(Permit).where(Permit.kid == kid)).all()
    expected = sum(
        1 for p in signed if p.status != PermitStatus.REVOKED and p.valid_until >= NOW.date()
    )
    assert 0 < expected < len(signed)  # the demo holds revoked or expired permits too
    assert keys.verifying_permits(session=session, kid=kid, now=NOW) == expected
    later = NOW + timedelta(days=365 * 6)  # every demo permit has ended by then
    assert keys.verifying_permits(session=session, kid=kid, now=later) == 0


def _state(username: str | None = "admin") -> AdminKeysState:
    state = _sub(_client(username), AdminKeysState)
    if username == "admin":
        AdminKeysState.load.fn(state)
    return state


def test_the_page_lists_each_authoritys_keys_with_counts(db_url, session):
    state = _state()
    (authority,) = state.authorities
    assert authority["code"] == "TJ-SGD-LBT" and authority["agreement"].startswith("Tajikistan")
    (key,) = state.keys
    kid = _demo_kid(session)
    signed = len(session.exec(select(Permit).where(Permit.kid == kid)).all())
    assert key["kid"] == kid and key["signed"] == str(signed)
    assert key["status_label"] == keys.STATUS_LABEL[KeyStatus.ACTIVE]
    assert key["created"] and key["retired"] == "" and key["revoked"] == ""


def test_rotate_asks_first_then_retires_the_old_key_which_keeps_verifying(db_url, session):
    old = _demo_kid(session)
    state = _state()
    AdminKeysState.ask_rotate.fn(state, "NO-SUCH")
    assert state.rotating == {}
    AdminKeysState.ask_rotate.fn(state, "TJ-SGD-LBT")
    assert state.rotating["active"] == old and _keys(session) == {old: KeyStatus.ACTIVE}
    AdminKeysState.confirm_rotate.fn(state)
    assert state.rotating == {}
    statuses = _keys(session)
    (new,) = set(statuses) - {old}
    assert statuses == {old: KeyStatus.RETIRED, new: KeyStatus.ACTIVE}
    assert [k["kid"] for k in state.keys] == [new, old] and state.keys[1]["retired"] != ""
    trust = keys.trust_list(session=session)
    assert trust[old].status == "retired"  # still trusted: its permits verify
    (event,) = [e for e in _events(session, "key_created") if e.subject == new]
    assert event.actor == "admin"
    assert event.detail["before"] == {"active": [old]}
    assert event.detail["after"] == {"active": [new], "retired": [old]}


def test_revoke_needs_the_kid_typed_exactly_and_names_the_count(db_url, session):
    kid = _demo_kid(session)
    expected = keys.verifying_permits(session=session, kid=kid, now=utcnow())
    state = _state()
    AdminKeysState.ask_revoke.fn(state, kid)
    assert state.revoking == {"kid": kid, "count": str(expected), "status": "active"}
    for typed in ["", " " + kid, kid + " ", kid[:-1], "0" + kid]:
        AdminKeysState.confirm_revoke.fn(state, {"kid": typed})
        assert state.revoke_error == KID_MISMATCH and state.revoking["kid"] == kid
    assert _keys(session) == {kid: KeyStatus.ACTIVE} and _events(session, "key_revoked") == []
    result = AdminKeysState.confirm_revoke.fn(state, {"kid": kid})
    assert f"Permits that no longer verify: {expected}." in str(result)
    assert _keys(session) == {kid: KeyStatus.REVOKED} and state.revoking == {}
    (event,) = _events(session, "key_revoked")
    assert event.actor == "admin" and event.detail["permits"] == expected
    assert event.detail["before"] == {"status": "active"}
    AdminKeysState.ask_revoke.fn(state, kid)  # a revoked key is not offered again
    assert state.revoking == {}


def test_a_key_revoked_meanwhile_is_not_revoked_twice(db_url, session):
    kid = _demo_kid(session)
    state = _state()
    AdminKeysState.ask_revoke.fn(state, kid)
    keys.revoke(session=session, kid=kid, now=NOW)
    session.commit()
    result = AdminKeysState.confirm_revoke.fn(state, {"kid": kid})
    assert "This key is already revoked." in str(result)
    assert len(_events(session, "key_revoked")) == 1
    with pytest.raises(KeyError_):
        keys.revoke(session=session, kid="NO-SUCH", now=NOW)


def test_the_trust_list_download_holds_public_keys_only(db_url, session):
    state = _state()
    result = AdminKeysState.export_trust_list.fn(state)
    text = str(result)
    assert TRUST_LIST_FILE in text
    exported = keys.trust_list(session=session).to_json()
    data = json.loads(exported)
    assert len(data["keys"]) == 1
    row = session.exec(select(SigningKey)).one()
    assert row.private_key_encrypted and row.private_key_encrypted.hex() not in exported
    words = " ".join(str(k).lower() for key in data["keys"] for k in key)
    assert "private" not in words and "secret" not in words and "private" not in exported.lower()
    # the download carries that very text (as a data URL)
    assert json.dumps(exported)[1:40] in text or "data:" in text


HANDLERS = {
    "load": (),
    "ask_rotate": ("TJ-SGD-LBT",),
    "cancel_rotate": (),
    "confirm_rotate": (),
    "ask_revoke": ("x",),
    "cancel_revoke": (),
    "confirm_revoke": ({"kid": "x"},),
    "export_trust_list": (),
}


def test_every_handler_is_listed_here():
    assert set(HANDLERS) == set(AdminKeysState.event_handlers) - {"setvar"}


@pytest.mark.parametrize("username", [None, "staff", "officer1", "farhod"])
def test_every_handler_is_refused_to_other_roles_and_audited(db_url, session, username):
    kid = _demo_kid(session)
    for name, args in HANDLERS.items():
        state = _state(username)
        # as if the dialogs had been opened
        state.rotating = {"code": "TJ-SGD-LBT"}
        state.revoking = {"kid": kid}
        state.keys = [{"kid": kid, "status": "active"}]
        args = ({"kid": kid},) if name == "confirm_revoke" else args
        result = getattr(AdminKeysState, name).fn(state, *args)
        assert result is not None and "trust" not in str(result), name
    assert _keys(session) == {kid: KeyStatus.ACTIVE}
    denied = _events(session, audit.REFUSED)
    assert {e.detail["handler"] for e in denied} == {AdminKeysState.get_full_name()}


def test_the_cli_names_the_same_count(db_url, session, capsys):
    from lbt_app.cli import main

    kid = _demo_kid(session)
    expected = keys.verifying_permits(session=session, kid=kid, now=utcnow())
    assert main(["keys", "revoke", kid]) == 0
    assert f"{expected} permits signed with it no longer verify" in capsys.readouterr().out
    assert main(["keys", "revoke", kid]) == 2
    assert "This key is already revoked." in capsys.readouterr().err
