import pytest

from lbt_app import routes
from lbt_app.core.access import (
    POLICY,
    AccessDenied,
    Action,
    Principal,
    Role,
    may,
    require,
    require_agreement,
)


def _p(role: Role, agreement_id: int | None = None) -> Principal:
    return Principal(user_id=1, username="u", full_name="U", role=role, agreement_id=agreement_id)


@pytest.mark.parametrize("action", list(Action))
def test_every_action_has_a_policy_and_denies_the_anonymous(action):
    assert action in POLICY
    assert not may(None, action)
    with pytest.raises(AccessDenied, match="sign in"):
        require(None, action)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.AUTHORITY, {Action.VIEW_AUTHORITY_DESK, Action.MANAGE_PERMITS, Action.OWN_ACCOUNT}),
        (Role.OFFICER, {Action.SCAN, Action.RECORD_CROSSING, Action.OWN_ACCOUNT}),
        (Role.RESIDENT, {Action.VIEW_WALLET}),
        (Role.ADMIN, {Action.ADMINISTER, Action.OWN_ACCOUNT}),
    ],
)
def test_each_role_may_do_exactly_its_own_actions(role, allowed):
    for action in Action:
        assert may(_p(role), action) is (action in allowed), (role, action)
        if action not in allowed:
            with pytest.raises(AccessDenied):
                require(_p(role), action)


def test_authority_staff_act_only_on_their_own_agreement():
    require_agreement(_p(Role.AUTHORITY, 7), 7)
    with pytest.raises(AccessDenied):
        require_agreement(_p(Role.AUTHORITY, 7), 8)
    with pytest.raises(AccessDenied):
        require_agreement(_p(Role.AUTHORITY, None), 7)


def test_every_role_has_a_landing_page():
    assert set(routes.HOME) == set(Role)
    assert len(set(routes.HOME.values())) == len(Role)
