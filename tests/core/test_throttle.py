"""The sign-in back-off and the sign-up quota, as pure functions of counts, times and now."""

from datetime import UTC, datetime, timedelta

import pytest

from lbt_app.core import throttle
from lbt_app.core.throttle import RULES, Rule, Scope, Tally

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def test_backoff_is_free_then_doubles_then_stops_at_the_cap():
    rule = Rule(free=5, cap=900)
    waits = [throttle.backoff(rule, count) for count in range(0, 20)]
    assert waits[:5] == [0] * 5
    assert waits[5:14] == [2, 4, 8, 16, 32, 64, 128, 256, 512]
    assert waits[14:] == [900] * 6
    assert throttle.backoff(rule, 10**6) == 900  # no overflow for absurd counts


@pytest.mark.parametrize("scope", list(Scope))
def test_each_scope_waits_from_its_latest_failure(scope):
    rule = RULES[scope]
    tally = Tally(count=rule.free + 3, last=NOW - timedelta(seconds=3))
    wait, decided = throttle.sign_in_wait({scope: tally}, NOW)
    assert (wait, decided) == (min(rule.cap, 16) - 3, scope)
    later = NOW + timedelta(seconds=rule.cap)
    assert throttle.sign_in_wait({scope: tally}, later) == (0, None)


def test_the_longest_wait_decides_and_fractions_round_up():
    tallies = {
        Scope.ADDRESS: Tally(count=RULES[Scope.ADDRESS].free, last=NOW),  # 2 s
        Scope.PAIR: Tally(count=RULES[Scope.PAIR].free + 3, last=NOW - timedelta(seconds=0.5)),
        Scope.NAME: Tally(),
    }
    assert throttle.sign_in_wait(tallies, NOW) == (16, Scope.PAIR)  # 15.5 s, rounded up


def test_guessing_from_elsewhere_slows_the_owner_only_briefly():
    many = Tally(count=10_000, last=NOW)
    assert throttle.sign_in_wait({Scope.NAME: many}, NOW) == (RULES[Scope.NAME].cap, Scope.NAME)
    assert RULES[Scope.NAME].cap <= 60 < RULES[Scope.PAIR].cap


def test_no_failures_no_wait():
    assert throttle.sign_in_wait({scope: Tally() for scope in Scope}, NOW) == (0, None)


def test_the_sign_up_quota_frees_a_place_when_the_oldest_counted_leaves_the_period():
    quota, period = throttle.SIGN_UP_QUOTA, throttle.SIGN_UP_PERIOD
    opened = [NOW - timedelta(minutes=m) for m in range(quota - 1)]
    assert throttle.sign_up_wait(opened, NOW) == 0
    full = [*opened, NOW - timedelta(minutes=50)]
    assert throttle.sign_up_wait(full, NOW) == 10 * 60
    older = [*opened, NOW - period - timedelta(seconds=1)]  # outside the period: not counted
    assert throttle.sign_up_wait(older, NOW) == 0
