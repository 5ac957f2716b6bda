"""Sign-in back-off and the sign-up quota: how long a client must wait, from counts and times.

Failed sign-ins are counted over the last hour in three scopes: the client address (any user
names: a sprayer), the user name from that address (a guesser), and the user name from other
addresses (a distributed guess). Past a scope's free allowance each further failure doubles the
wait after the latest one, up to the scope's cap. The name-from-elsewhere scope is capped low,
so a real owner is slowed for seconds by someone else's guessing, never locked out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

WINDOW = timedelta(hours=1)
SIGN_UP_QUOTA = 5  # accounts per client address ...
SIGN_UP_PERIOD = timedelta(hours=1)  # ... in any such period


class Scope(StrEnum):
    ADDRESS = "address"
    PAIR = "pair"  # this user name from this address
    NAME = "name"  # this user name from other addresses


@dataclass(frozen=True)
class Rule:
    free: int  # failures that cost no wait
    cap: int  # the longest wait, in seconds


RULES: dict[Scope, Rule] = {
    # Generous: many people share one address behind mobile carriers' NAT.
    Scope.ADDRESS: Rule(free=20, cap=900),
    Scope.PAIR: Rule(free=5, cap=900),
    Scope.NAME: Rule(free=10, cap=30),
}


@dataclass(frozen=True)
class Tally:
    """Failures in one scope within the window: how many, and the latest."""

    count: int = 0
    last: datetime | None = None


def backoff(rule: Rule, count: int) -> int:
    """Seconds to wait after the latest of `count` failures: none before the rule's free
    allowance is used up, then 2, 4, 8 … up to the cap."""
    over = count - rule.free
    return 0 if over < 0 else min(rule.cap, 2 ** min(over + 1, 20))


def _remaining(until: datetime, now: datetime) -> int:
    return max(0, math.ceil((until - now).total_seconds()))


def sign_in_wait(tallies: dict[Scope, Tally], now: datetime) -> tuple[int, Scope | None]:
    """Seconds before the next sign-in attempt is even checked, and the scope that decided."""
    longest, decided = 0, None
    for scope, tally in tallies.items():
        if tally.last is None:
            continue
        wait = _remaining(tally.last + timedelta(seconds=backoff(RULES[scope], tally.count)), now)
        if wait > longest:
            longest, decided = wait, scope
    return longest, decided


def sign_up_wait(recent: Sequence[datetime], now: datetime) -> int:
    """Seconds before another account may be opened from an address that opened `recent`."""
    counted = sorted(at for at in recent if at > now - SIGN_UP_PERIOD)
    if len(counted) < SIGN_UP_QUOTA:
        return 0
    return _remaining(counted[-SIGN_UP_QUOTA] + SIGN_UP_PERIOD, now)
