"""Stay rules of local border traffic, counted from the recorded crossings.

Regulation (EC) No 1931/2006, art. 5: each uninterrupted stay in the host
border area may not exceed the agreement's maximum (at most three months).
A new allowance begins after every return home: the Schengen 90/180 rule does
not apply to local border traffic (CJEU C-254/11 Shomodi). An agreement may
add a cap of N days within any M-day period (Poland–Kaliningrad: 90 days per
half-year), which `StayRules.period_cap_days` / `period_days` express.

Counting:

* a day is a whole calendar day in the agreement's time zone;
* the entry day and the exit day both count as days of stay, so an entry and
  an exit on the same day make a one-day stay;
* for the period cap, a day counts once even when two stays touch it (exit
  home and come back the same day).

Inconsistent histories (a missed scan, a crossing recorded twice) never raise.
The crossings are sorted by time and read with these rules:

* an ENTRY while already inside is ignored: the stay keeps its first entry day
  (the stricter reading: a missed exit scan must not give the holder a fresh
  allowance; an officer can still record the exit);
* an EXIT while outside is ignored: it ends nothing and starts nothing;
* an ENTRY and an EXIT at the very same instant are read entry first;
* crossings later than `now` are ignored, so the status is the one "as of now"
  (this also answers questions about a past day).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lbt_app.i18n import N_

# A stay with this many days left (or fewer) gets a warning.
NEAR_LIMIT_DAYS = 3

ALREADY_INSIDE = "already_inside"
NOT_INSIDE = "not_inside"
STAY_LIMIT_EXCEEDED = "stay_limit_exceeded"


class Direction(StrEnum):
    """Which way a crossing goes, seen from the host border area."""

    ENTRY = "entry"
    EXIT = "exit"


DIRECTION_LABEL: dict[str, str] = {Direction.ENTRY: N_("entry"), Direction.EXIT: N_("exit")}


@dataclass(frozen=True)
class Passage:
    """One recorded crossing: when (time-zone aware) and which way."""

    at: datetime
    direction: Direction

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("Passage.at must be time-zone aware")
        # Accept the plain strings stored in the database ("entry", "exit").
        object.__setattr__(self, "direction", Direction(self.direction))


@dataclass(frozen=True)
class StayRules:
    """The stay limits of one agreement.

    `max_stay_days` bounds each uninterrupted stay. `period_cap_days` within
    `period_days` (both or neither) bounds the days spent in any window of
    `period_days` consecutive days. `timezone` is an IANA zone name: the
    calendar in which days are counted.
    """

    max_stay_days: int
    period_cap_days: int | None = None
    period_days: int | None = None
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        if self.max_stay_days < 1:
            raise ValueError("max_stay_days must be at least 1")
        if (self.period_cap_days is None) != (self.period_days is None):
            raise ValueError("period_cap_days and period_days go together")
        if self.period_cap_days is not None and self.period_cap_days < 1:
            raise ValueError("period_cap_days must be at least 1")
        if self.period_days is not None and self.period_days < 1:
            raise ValueError("period_days must be at least 1")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone: {self.timezone!r}") from exc

    @property
    def has_period_cap(self) -> bool:
        return self.period_cap_days is not None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class StayStatus:
    """Where a permit holder stands on a given day; every field is always set.

    Current stay (meaningful when `inside`; neutral values when outside):
      entered_on      entry day of the current stay, else None
      days_used       days of the current stay counting today, else 0
      must_leave_by   last allowed day of the current stay under both the
                      per-stay limit and the period cap, else None; it lies
                      in the past when the holder has overstayed
      over_limit      today is past `must_leave_by`
      days_left       days the holder may still stay after today
                      (0 on the last allowed day and when over the limit),
                      else None
      overstay_days   days past `must_leave_by`, counting today, else 0
      near_limit      inside, not yet over, and `days_left` <= 3

    Period cap (None when the agreement has none):
      period_days_used  days of stay in the window of `period_days` days
                        ending today, today included when inside

    A new entry today (whatever the current position; the direction check is
    `check_direction`'s job):
      entry_allowed       a stay beginning today would respect the period cap
      new_stay_last_day   last allowed day of a stay beginning today, or None
                          when a new entry today is not allowed
    """

    today: date
    inside: bool
    entered_on: date | None
    days_used: int
    max_stay_days: int
    must_leave_by: date | None
    over_limit: bool
    period_days_used: int | None
    days_left: int | None
    overstay_days: int
    near_limit: bool
    entry_allowed: bool
    new_stay_last_day: date | None


def local_day(at: datetime, rules: StayRules) -> date:
    """The calendar day of an instant in the agreement's time zone."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the clock must be time-zone aware")
    return at.astimezone(rules.zone).date()


def _day_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _stays(
    passages: Iterable[Passage], now: datetime
) -> tuple[list[tuple[datetime, datetime]], Passage | None]:
    """Closed stays as (entry, exit) instants, and the entry that opened the stay in progress."""
    ordered = sorted(
        (p for p in passages if p.at <= now),
        # Entry first on a tie, so the result does not depend on input order.
        key=lambda p: (p.at, p.direction is Direction.EXIT),
    )
    closed: list[tuple[datetime, datetime]] = []
    entered: Passage | None = None
    for passage in ordered:
        if passage.direction is Direction.ENTRY:
            if entered is None:
                entered = passage
        elif entered is not None:
            closed.append((entered.at, passage.at))
            entered = None
    return closed, entered


def opening_entry(passages: Iterable[Passage], now: datetime) -> Passage | None:
    """The entry that began the holder's stay in progress at `now`; None when outside."""
    return _stays(passages, now)[1]


def _count_between(days: list[date], first: date, last: date) -> int:
    """How many of the sorted, distinct `days` fall in [first, last]."""
    return bisect.bisect_right(days, last) - bisect.bisect_left(days, first)


def _last_allowed_day(prior_days: list[date], start: date, rules: StayRules) -> date:
    """Last allowed day of a stay that begins on `start` and goes on without a break.

    `prior_days` are the sorted, distinct days of stay before `start`. The
    result is `start - 1 day` when even the first day would breach the cap.
    """
    stay_limit = start + timedelta(days=rules.max_stay_days - 1)
    if rules.period_cap_days is None or rules.period_days is None:
        return stay_limit
    day = start
    while day <= stay_limit:
        window_start = day - timedelta(days=rules.period_days - 1)
        staying = (day - max(start, window_start)).days + 1
        if _count_between(prior_days, window_start, day) + staying > rules.period_cap_days:
            return day - timedelta(days=1)
        day += timedelta(days=1)
    return stay_limit


@dataclass(frozen=True)
class Standing:
    """A stay in progress on `today`, from its entry day and its last allowed day."""

    days_used: int
    days_left: int
    over_limit: bool
    near_limit: bool


def standing(entered_on: date, must_leave_by: date, today: date) -> Standing:
    """Days used counting today; days left after today; over once today is past the last
    allowed day; near with `NEAR_LIMIT_DAYS` days left or fewer (the desk counts the same
    two ranges of `must_leave_by` in the database)."""
    over_limit = today > must_leave_by
    days_left = max(0, (must_leave_by - today).days)
    return Standing(
        days_used=(today - entered_on).days + 1,
        days_left=days_left,
        over_limit=over_limit,
        near_limit=not over_limit and days_left <= NEAR_LIMIT_DAYS,
    )


def stay_status(passages: Iterable[Passage], rules: StayRules, now: datetime) -> StayStatus:
    """The holder's stay position at `now`, from the crossings in any order."""
    today = local_day(now, rules)
    closed, open_entry = _stays(passages, now)

    presence: set[date] = set()
    for entry_at, exit_at in closed:
        presence.update(_day_range(local_day(entry_at, rules), local_day(exit_at, rules)))
    entered_on = local_day(open_entry.at, rules) if open_entry is not None else None
    if entered_on is not None:
        presence.update(_day_range(entered_on, today))

    period_days_used: int | None = None
    if rules.period_days is not None:
        window_start = today - timedelta(days=rules.period_days - 1)
        period_days_used = sum(1 for day in presence if window_start <= day <= today)

    # A new stay beginning today: everything up to yesterday is history.
    before_today = sorted(day for day in presence if day < today)
    new_stay_last_day: date | None = _last_allowed_day(before_today, today, rules)
    entry_allowed = new_stay_last_day >= today
    if not entry_allowed:
        new_stay_last_day = None

    if entered_on is None:
        return StayStatus(
            today=today,
            inside=False,
            entered_on=None,
            days_used=0,
            max_stay_days=rules.max_stay_days,
            must_leave_by=None,
            over_limit=False,
            period_days_used=period_days_used,
            days_left=None,
            overstay_days=0,
            near_limit=False,
            entry_allowed=entry_allowed,
            new_stay_last_day=new_stay_last_day,
        )

    before_entry = sorted(day for day in presence if day < entered_on)
    must_leave_by = _last_allowed_day(before_entry, entered_on, rules)
    stay = standing(entered_on, must_leave_by, today)
    return StayStatus(
        today=today,
        inside=True,
        entered_on=entered_on,
        days_used=stay.days_used,
        max_stay_days=rules.max_stay_days,
        must_leave_by=must_leave_by,
        over_limit=stay.over_limit,
        period_days_used=period_days_used,
        days_left=stay.days_left,
        overstay_days=max(0, (today - must_leave_by).days),
        near_limit=stay.near_limit,
        entry_allowed=entry_allowed,
        new_stay_last_day=new_stay_last_day,
    )


def proposed_direction(status: StayStatus) -> Direction:
    """The crossing an officer most likely records next."""
    return Direction.EXIT if status.inside else Direction.ENTRY


def check_direction(status: StayStatus, direction: Direction) -> str | None:
    """`already_inside` / `not_inside` when the direction makes no sense, else None."""
    direction = Direction(direction)
    if direction is Direction.ENTRY and status.inside:
        return ALREADY_INSIDE
    if direction is Direction.EXIT and not status.inside:
        return NOT_INSIDE
    return None


def check_stay_limit(status: StayStatus, direction: Direction) -> str | None:
    """`stay_limit_exceeded` when the crossing meets a stay limit, else None.

    For an ENTRY: a stay beginning today would breach the period cap at once.
    For an EXIT: the holder has overstayed; the exit must still be recorded,
    the code tells the officer about the overstay.
    """
    direction = Direction(direction)
    if direction is Direction.ENTRY and not status.entry_allowed:
        return STAY_LIMIT_EXCEEDED
    if direction is Direction.EXIT and status.over_limit:
        return STAY_LIMIT_EXCEEDED
    return None


def check_crossing(status: StayStatus, direction: Direction) -> str | None:
    """The first problem with recording `direction` now: direction, then stay limit."""
    return check_direction(status, direction) or check_stay_limit(status, direction)
