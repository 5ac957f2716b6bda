"""Stay rules: per-stay limit, return-home reset, period cap, time zones, bad histories."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lbt_app.core.stay import (
    ALREADY_INSIDE,
    NOT_INSIDE,
    STAY_LIMIT_EXCEEDED,
    Direction,
    Passage,
    StayRules,
    StayStatus,
    check_crossing,
    check_direction,
    check_stay_limit,
    proposed_direction,
    stay_status,
)

ENTRY = Direction.ENTRY
EXIT = Direction.EXIT
DAY0 = date(2025, 1, 1)
RULES_30 = StayRules(max_stay_days=30)
# Poland–Kaliningrad style: 90 days per stay and at most 90 days per half-year.
RULES_CAP = StayRules(max_stay_days=90, period_cap_days=90, period_days=180)


def day(n: int) -> date:
    return DAY0 + timedelta(days=n)


def at(n: int, hour: int = 12, minute: int = 0) -> datetime:
    """Noon (or the given time) UTC on day n."""
    d = day(n)
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=UTC)


def entry(n: int, hour: int = 9) -> Passage:
    return Passage(at(n, hour), ENTRY)


def exit_(n: int, hour: int = 18) -> Passage:
    return Passage(at(n, hour), EXIT)


def stay(first: int, last: int) -> list[Passage]:
    """One stay from day `first` to day `last` (both counted)."""
    return [entry(first), exit_(last)]


# --- no history, a first stay ---------------------------------------------------------


def test_no_history_is_outside_with_a_full_allowance():
    status = stay_status([], RULES_30, at(0))
    assert status == StayStatus(
        today=day(0),
        inside=False,
        entered_on=None,
        days_used=0,
        max_stay_days=30,
        must_leave_by=None,
        over_limit=False,
        period_days_used=None,
        days_left=None,
        overstay_days=0,
        near_limit=False,
        entry_allowed=True,
        new_stay_last_day=day(29),
    )
    assert proposed_direction(status) is ENTRY
    assert check_direction(status, ENTRY) is None
    assert check_direction(status, EXIT) == NOT_INSIDE
    assert check_crossing(status, ENTRY) is None


def test_no_history_with_period_cap_reports_zero_days_used():
    status = stay_status([], RULES_CAP, at(0))
    assert status.period_days_used == 0
    assert status.entry_allowed
    assert status.new_stay_last_day == day(89)


def test_inside_on_day_one():
    status = stay_status([entry(0)], RULES_30, at(0, 20))
    assert status.inside
    assert status.entered_on == day(0)
    assert status.days_used == 1
    assert status.must_leave_by == day(29)
    assert status.days_left == 29
    assert not status.over_limit
    assert not status.near_limit
    assert status.overstay_days == 0
    assert proposed_direction(status) is EXIT
    assert check_direction(status, ENTRY) == ALREADY_INSIDE
    assert check_direction(status, EXIT) is None
    assert check_crossing(status, EXIT) is None


def test_entry_and_exit_on_the_same_day_count_one_day():
    passages = [entry(0, 8), exit_(0, 17)]
    status = stay_status(passages, RULES_CAP, at(0, 20))
    assert not status.inside
    assert status.days_used == 0
    assert status.period_days_used == 1


def test_entry_and_exit_days_both_count():
    status = stay_status(stay(0, 9), RULES_CAP, at(9, 20))
    assert status.period_days_used == 10


def test_status_before_the_exit_on_the_exit_day_is_inside():
    status = stay_status(stay(0, 9), RULES_30, at(9, 10))
    assert status.inside
    assert status.days_used == 10


# --- the per-stay limit ---------------------------------------------------------------


def test_day_30_of_a_30_day_stay_is_allowed_and_the_last_one():
    status = stay_status([entry(0)], RULES_30, at(29, 23, 59))
    assert status.days_used == 30
    assert status.must_leave_by == day(29)
    assert status.days_left == 0
    assert not status.over_limit
    assert status.near_limit
    assert check_crossing(status, EXIT) is None


def test_day_31_of_a_30_day_stay_is_over_the_limit():
    status = stay_status([entry(0)], RULES_30, at(30, 0, 1))
    assert status.days_used == 31
    assert status.must_leave_by == day(29)
    assert status.over_limit
    assert status.days_left == 0
    assert status.overstay_days == 1
    assert not status.near_limit
    assert check_stay_limit(status, EXIT) == STAY_LIMIT_EXCEEDED
    assert check_crossing(status, EXIT) == STAY_LIMIT_EXCEEDED


def test_overstay_days_grow_every_day():
    status = stay_status([entry(0)], RULES_30, at(39))
    assert status.overstay_days == 10
    assert status.days_used == 40


def test_exit_on_day_30_then_status_is_clean():
    status = stay_status(stay(0, 29), RULES_30, at(29, 20))
    assert not status.inside
    assert not status.over_limit
    assert status.entry_allowed


@pytest.mark.parametrize(
    ("days_in", "days_left", "near"),
    [(1, 29, False), (26, 4, False), (27, 3, True), (28, 2, True), (29, 1, True), (30, 0, True)],
)
def test_days_left_and_near_limit(days_in, days_left, near):
    status = stay_status([entry(0)], RULES_30, at(days_in - 1))
    assert status.days_used == days_in
    assert status.days_left == days_left
    assert status.near_limit is near


def test_one_day_agreement():
    rules = StayRules(max_stay_days=1)
    assert stay_status([entry(0)], rules, at(0)).must_leave_by == day(0)
    assert stay_status([entry(0)], rules, at(1)).over_limit


# --- return home resets the allowance (Shomodi) ---------------------------------------


def test_exit_and_new_entry_next_day_start_a_new_stay():
    passages = [*stay(0, 29), entry(30)]
    status = stay_status(passages, RULES_30, at(30))
    assert status.entered_on == day(30)
    assert status.days_used == 1
    assert status.must_leave_by == day(59)


def test_exit_and_reentry_the_same_day_start_a_new_stay():
    passages = [entry(0), exit_(29, 10), entry(29, 16)]
    status = stay_status(passages, RULES_30, at(29, 20))
    assert status.entered_on == day(29)
    assert status.days_used == 1
    assert status.must_leave_by == day(58)


def test_many_short_stays_never_accumulate_without_a_period_cap():
    # Daily commuting for a year: 365 one-day stays, no rolling 90/180 rule.
    passages = [p for n in range(365) for p in (entry(n, 7), exit_(n, 19))]
    status = stay_status(passages, RULES_30, at(364, 21))
    assert not status.inside
    assert status.entry_allowed
    assert status.period_days_used is None
    status = stay_status([*passages, entry(365)], RULES_30, at(365))
    assert status.days_used == 1
    assert status.must_leave_by == day(394)


def test_back_to_back_maximum_stays_are_each_allowed_without_a_cap():
    passages: list[Passage] = []
    for k in range(12):
        passages += stay(31 * k, 31 * k + 29)
    passages.append(entry(31 * 12))
    status = stay_status(passages, RULES_30, at(31 * 12 + 29))
    assert status.days_used == 30
    assert not status.over_limit


# --- the period cap (N days within any M-day period) ----------------------------------


def test_period_cap_sums_several_stays():
    passages = [*stay(0, 29), *stay(40, 69), *stay(80, 109)]
    status = stay_status(passages, RULES_CAP, at(120))
    assert status.period_days_used == 90
    assert not status.entry_allowed
    assert status.new_stay_last_day is None
    assert check_stay_limit(status, ENTRY) == STAY_LIMIT_EXCEEDED
    assert check_crossing(status, ENTRY) == STAY_LIMIT_EXCEEDED


def test_period_cap_window_slides_and_days_fall_out():
    passages = [*stay(0, 29), *stay(40, 69), *stay(80, 109)]
    # Day 179: the window [0, 179] still holds all 90 days.
    assert not stay_status(passages, RULES_CAP, at(179)).entry_allowed
    # Day 180: day 0 left the window; a stay may begin and last while
    # the first stay's days keep falling out, until day 209.
    status = stay_status(passages, RULES_CAP, at(180))
    assert status.period_days_used == 89
    assert status.entry_allowed
    assert status.new_stay_last_day == day(209)
    assert check_crossing(status, ENTRY) is None


def test_period_cap_shortens_the_current_stay():
    passages = [*stay(0, 29), *stay(40, 69), entry(100)]
    status = stay_status(passages, RULES_CAP, at(100))
    # 60 days already used in the window: 30 more, not the 90 of a stay.
    assert status.must_leave_by == day(129)
    assert status.days_left == 29
    assert status.period_days_used == 61
    last_day = stay_status(passages, RULES_CAP, at(129))
    assert (last_day.days_used, last_day.days_left, last_day.over_limit) == (30, 0, False)
    assert last_day.period_days_used == 90
    over = stay_status(passages, RULES_CAP, at(130))
    assert over.over_limit
    assert over.overstay_days == 1
    assert check_crossing(over, EXIT) == STAY_LIMIT_EXCEEDED


def test_period_cap_does_not_bind_when_old_days_leave_the_window_in_time():
    passages = [*stay(0, 29), *stay(40, 69), entry(170)]
    status = stay_status(passages, RULES_CAP, at(170))
    # The earlier stays fall out of the window as fast as the new days come in.
    assert status.must_leave_by == day(259)


def test_entry_while_the_cap_is_used_up_is_over_the_limit_at_once():
    passages = [*stay(0, 29), *stay(40, 69), *stay(80, 109), entry(120)]
    status = stay_status(passages, RULES_CAP, at(120))
    assert status.inside
    assert status.over_limit
    assert status.must_leave_by == day(119)
    assert status.overstay_days == 1
    assert status.days_left == 0


def test_a_day_touched_by_two_stays_counts_once_for_the_cap():
    passages = [entry(0), exit_(9, 10), entry(9, 16), exit_(19)]
    status = stay_status(passages, RULES_CAP, at(20))
    assert status.period_days_used == 20


def test_small_cap_with_short_stays():
    rules = StayRules(max_stay_days=5, period_cap_days=10, period_days=30)
    passages = [*stay(0, 4), *stay(6, 10)]
    status = stay_status(passages, rules, at(12))
    assert status.period_days_used == 10
    assert not status.entry_allowed
    # Day 30: day 0 leaves the window [1, 30].
    assert not stay_status(passages, rules, at(29)).entry_allowed
    later = stay_status(passages, rules, at(30))
    assert later.entry_allowed
    assert later.new_stay_last_day == day(34)


def test_re_entry_the_same_day_after_the_cap_is_used_is_not_allowed():
    rules = StayRules(max_stay_days=10, period_cap_days=10, period_days=30)
    passages = [entry(0), exit_(9)]
    status = stay_status(passages, rules, at(9, 20))
    # Day 9 already counts; a stay beginning today adds no new day but the
    # next one would breach the cap: a same-day return is still allowed.
    assert status.period_days_used == 10
    assert status.entry_allowed
    assert status.new_stay_last_day == day(9)
    assert not stay_status(passages, rules, at(10)).entry_allowed


def test_cap_equal_to_the_stay_limit_in_a_long_period():
    rules = StayRules(max_stay_days=30, period_cap_days=30, period_days=365)
    passages = [*stay(0, 9), entry(100)]
    status = stay_status(passages, rules, at(100))
    assert status.must_leave_by == day(119)


# --- time zones -----------------------------------------------------------------------


DUSHANBE = StayRules(max_stay_days=30, timezone="Asia/Dushanbe")


def test_crossing_late_in_utc_is_the_next_day_in_dushanbe():
    crossed = datetime(2025, 3, 1, 23, 30, tzinfo=UTC)
    now = datetime(2025, 3, 2, 10, 0, tzinfo=UTC)
    local = stay_status([Passage(crossed, ENTRY)], DUSHANBE, now)
    assert local.entered_on == date(2025, 3, 2)
    assert local.days_used == 1
    in_utc = stay_status([Passage(crossed, ENTRY)], RULES_30, now)
    assert in_utc.entered_on == date(2025, 3, 1)
    assert in_utc.days_used == 2


def test_the_clock_turns_the_day_at_local_midnight():
    crossed = datetime(2025, 3, 2, 4, 0, tzinfo=UTC)
    # 18:59 UTC is 23:59 in Dushanbe: still day 30; 19:00 UTC is day 31.
    last_minute = stay_status(
        [Passage(crossed, ENTRY)], DUSHANBE, datetime(2025, 3, 31, 18, 59, tzinfo=UTC)
    )
    assert (last_minute.days_used, last_minute.over_limit) == (30, False)
    next_day = stay_status(
        [Passage(crossed, ENTRY)], DUSHANBE, datetime(2025, 3, 31, 19, 0, tzinfo=UTC)
    )
    assert (next_day.days_used, next_day.over_limit) == (31, True)
    assert next_day.today == date(2025, 4, 1)


def test_the_clock_and_crossings_may_use_any_offset():
    plus5 = timezone(timedelta(hours=5))
    crossed_local = datetime(2025, 3, 2, 4, 30, tzinfo=plus5)
    crossed_ny = crossed_local.astimezone(ZoneInfo("America/New_York"))
    now = datetime(2025, 3, 2, 15, 0, tzinfo=UTC)
    a = stay_status([Passage(crossed_local, ENTRY)], DUSHANBE, now)
    b = stay_status([Passage(crossed_ny, ENTRY)], DUSHANBE, now.astimezone(plus5))
    assert a == b
    assert a.entered_on == date(2025, 3, 2)


def test_days_are_calendar_days_across_daylight_saving_time():
    warsaw = StayRules(max_stay_days=3, timezone="Europe/Warsaw")
    zone = ZoneInfo("Europe/Warsaw")
    # Clocks go forward on 30 March 2025: that day is only 23 hours long.
    passages = [Passage(datetime(2025, 3, 29, 23, 30, tzinfo=zone), ENTRY)]
    status = stay_status(passages, warsaw, datetime(2025, 3, 31, 0, 30, tzinfo=zone))
    assert status.days_used == 3
    assert not status.over_limit
    later = stay_status(passages, warsaw, datetime(2025, 4, 1, 0, 0, 30, tzinfo=zone))
    assert later.over_limit


def test_period_window_is_counted_in_the_agreement_zone():
    rules = StayRules(max_stay_days=5, period_cap_days=5, period_days=10, timezone="Asia/Dushanbe")
    # 20:00 UTC is already the next day in Dushanbe.
    passages = [
        Passage(datetime(2025, 3, 1, 20, 0, tzinfo=UTC), ENTRY),
        Passage(datetime(2025, 3, 5, 20, 0, tzinfo=UTC), EXIT),
    ]
    status = stay_status(passages, rules, datetime(2025, 3, 6, 12, 0, tzinfo=UTC))
    assert status.period_days_used == 5  # 2..6 March, local
    assert status.entry_allowed  # a same-day return adds no day
    assert status.new_stay_last_day == date(2025, 3, 6)


# --- inconsistent histories -----------------------------------------------------------


def test_second_entry_while_inside_keeps_the_first_entry_day():
    passages = [entry(0), entry(10)]
    status = stay_status(passages, RULES_30, at(10))
    assert status.entered_on == day(0)
    assert status.days_used == 11


def test_second_entry_cannot_hide_an_overstay():
    passages = [entry(0), entry(25), exit_(40), entry(41)]
    status = stay_status(passages, RULES_CAP, at(41))
    # One stay from day 0 to day 40 (41 days), then a new stay.
    assert status.entered_on == day(41)
    assert status.period_days_used == 42


def test_exit_without_entry_ends_nothing():
    status = stay_status([exit_(0)], RULES_CAP, at(1))
    assert not status.inside
    assert status.period_days_used == 0
    assert status.entry_allowed


def test_exit_without_entry_before_a_real_stay_is_ignored():
    passages = [exit_(0), entry(5)]
    status = stay_status(passages, RULES_30, at(7))
    assert status.entered_on == day(5)
    assert status.days_used == 3


def test_double_exit_counts_the_first_one():
    passages = [entry(0), exit_(4), exit_(9)]
    status = stay_status(passages, RULES_CAP, at(10))
    assert not status.inside
    assert status.period_days_used == 5


def test_entry_and_exit_at_the_same_instant_read_entry_first():
    moment = at(3)
    for order in (
        [Passage(moment, ENTRY), Passage(moment, EXIT)],
        [Passage(moment, EXIT), Passage(moment, ENTRY)],
    ):
        status = stay_status(order, RULES_CAP, at(4))
        assert not status.inside
        assert status.period_days_used == 1


def test_crossings_after_now_are_ignored():
    passages = [*stay(0, 4), entry(10)]
    assert stay_status(passages, RULES_30, at(2)).days_used == 3
    assert not stay_status(passages, RULES_30, at(7)).inside
    assert stay_status(passages, RULES_30, at(10)).inside


def test_crossing_at_exactly_now_is_counted():
    assert stay_status([Passage(at(0), ENTRY)], RULES_30, at(0)).inside


def test_an_entry_left_open_for_years_is_one_long_overstay():
    status = stay_status([entry(0)], RULES_CAP, at(1000))
    assert status.days_used == 1001
    assert status.must_leave_by == day(89)
    assert status.overstay_days == 1000 - 89
    assert status.period_days_used == 180


# --- input order ----------------------------------------------------------------------


def test_unordered_input_gives_the_same_status():
    passages = [*stay(0, 29), *stay(40, 69), entry(75), exit_(76), entry(100)]
    expected = stay_status(passages, RULES_CAP, at(110))
    rng = random.Random(7)
    for _ in range(20):
        shuffled = passages[:]
        rng.shuffle(shuffled)
        assert stay_status(shuffled, RULES_CAP, at(110)) == expected
    assert stay_status(reversed(passages), RULES_CAP, at(110)) == expected


def test_passages_may_be_any_iterable_including_a_generator():
    status = stay_status((p for p in stay(0, 3)), RULES_30, at(5))
    assert not status.inside


# --- inputs ---------------------------------------------------------------------------


def test_direction_strings_are_accepted():
    passage = Passage(at(0), "entry")  # type: ignore[arg-type]
    assert passage.direction is ENTRY
    status = stay_status([passage], RULES_30, at(0))
    assert check_direction(status, "entry") == ALREADY_INSIDE  # type: ignore[arg-type]
    assert Direction("exit") is EXIT
    assert str(EXIT) == "exit"


def test_unknown_direction_is_rejected():
    with pytest.raises(ValueError):
        Passage(at(0), "sideways")  # type: ignore[arg-type]


def test_naive_times_are_rejected():
    with pytest.raises(ValueError):
        Passage(datetime(2025, 1, 1, 12, 0), ENTRY)
    with pytest.raises(ValueError):
        stay_status([], RULES_30, datetime(2025, 1, 1, 12, 0))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_stay_days": 0},
        {"max_stay_days": 30, "period_cap_days": 90},
        {"max_stay_days": 30, "period_days": 180},
        {"max_stay_days": 30, "period_cap_days": 0, "period_days": 180},
        {"max_stay_days": 30, "period_cap_days": 90, "period_days": 0},
        {"max_stay_days": 30, "timezone": "Mars/Olympus_Mons"},
        {"max_stay_days": 30, "timezone": "../etc/passwd"},
    ],
)
def test_invalid_rules_are_rejected(kwargs):
    with pytest.raises(ValueError):
        StayRules(**kwargs)


# --- check helpers --------------------------------------------------------------------


def test_check_crossing_reports_the_direction_problem_first():
    passages = [*stay(0, 29), *stay(40, 69), *stay(80, 109), entry(120)]
    inside_over = stay_status(passages, RULES_CAP, at(120))
    assert check_crossing(inside_over, ENTRY) == ALREADY_INSIDE
    outside_capped = stay_status(passages[:-1], RULES_CAP, at(120))
    assert check_crossing(outside_capped, EXIT) == NOT_INSIDE
    assert check_crossing(outside_capped, ENTRY) == STAY_LIMIT_EXCEEDED


# --- properties against a day-by-day oracle -------------------------------------------


def _oracle(
    passages: list[Passage], rules: StayRules, now: datetime
) -> tuple[set[date], date | None]:
    """Presence days and open entry day, by walking the history a different way."""
    zone = ZoneInfo(rules.timezone)
    events = sorted(
        (p for p in passages if p.at <= now), key=lambda p: (p.at, p.direction != ENTRY)
    )
    presence: set[date] = set()
    open_day: date | None = None
    for p in events:
        d = p.at.astimezone(zone).date()
        if p.direction == ENTRY and open_day is None:
            open_day = d
        elif p.direction == EXIT and open_day is not None:
            presence |= {open_day + timedelta(days=k) for k in range((d - open_day).days + 1)}
            open_day = None
    return presence, open_day


def _breaches(presence: set[date], upto: date, rules: StayRules) -> bool:
    """Any window ending on `upto` with more days than the cap."""
    assert rules.period_days is not None and rules.period_cap_days is not None
    start = upto - timedelta(days=rules.period_days - 1)
    return sum(1 for d in presence if start <= d <= upto) > rules.period_cap_days


histories = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=400), st.integers(0, 23), st.sampled_from([ENTRY, EXIT])
    ),
    max_size=30,
)
rules_strategy = st.one_of(
    st.builds(StayRules, max_stay_days=st.integers(1, 90)),
    st.integers(1, 60).flatmap(
        lambda cap: st.builds(
            StayRules,
            max_stay_days=st.integers(1, 90),
            period_cap_days=st.just(cap),
            period_days=st.integers(cap, 200),
            timezone=st.sampled_from(["UTC", "Asia/Dushanbe", "Europe/Warsaw"]),
        )
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    history=histories, rules=rules_strategy, now_day=st.integers(0, 420), seed=st.integers(0, 999)
)
def test_properties_hold_for_any_history(history, rules, now_day, seed):
    passages = [Passage(at(n, hour), direction) for n, hour, direction in history]
    now = at(now_day, 13)
    status = stay_status(passages, rules, now)

    shuffled = passages[:]
    random.Random(seed).shuffle(shuffled)
    assert stay_status(shuffled, rules, now) == status

    presence, open_day = _oracle(passages, rules, now)
    today = now.astimezone(ZoneInfo(rules.timezone)).date()
    assert status.today == today
    assert status.inside is (open_day is not None)
    assert status.entered_on == open_day
    assert status.max_stay_days == rules.max_stay_days
    assert proposed_direction(status) is (EXIT if status.inside else ENTRY)
    assert check_direction(status, proposed_direction(status)) is None

    if open_day is not None:
        presence |= {open_day + timedelta(days=k) for k in range((today - open_day).days + 1)}

    if rules.period_days is None:
        assert status.period_days_used is None
        # Shomodi: without a period cap a new entry is always allowed.
        assert status.entry_allowed
        assert status.new_stay_last_day == today + timedelta(days=rules.max_stay_days - 1)
    else:
        start = today - timedelta(days=rules.period_days - 1)
        assert status.period_days_used == sum(1 for d in presence if start <= d <= today)
        assert status.period_days_used <= rules.period_days

    if not status.inside:
        assert (status.days_used, status.must_leave_by, status.days_left) == (0, None, None)
        assert not status.over_limit and not status.near_limit and status.overstay_days == 0
    else:
        assert status.entered_on is not None and status.must_leave_by is not None
        assert status.days_left is not None
        assert status.days_used == (today - status.entered_on).days + 1
        assert status.must_leave_by <= status.entered_on + timedelta(days=rules.max_stay_days - 1)
        assert status.over_limit is (today > status.must_leave_by)
        assert status.overstay_days == max(0, (today - status.must_leave_by).days)
        assert status.days_left == max(0, (status.must_leave_by - today).days)
        assert status.near_limit is (not status.over_limit and status.days_left <= 3)
        if rules.period_days is None:
            assert status.must_leave_by == status.entered_on + timedelta(
                days=rules.max_stay_days - 1
            )
        else:
            # Staying on to must_leave_by breaches no window; one more day would,
            # unless the per-stay limit came first.
            before = {d for d in presence if d < status.entered_on}
            staying = {
                status.entered_on + timedelta(days=k)
                for k in range((status.must_leave_by - status.entered_on).days + 1)
            }
            assert not any(_breaches(before | staying, d, rules) for d in staying)
            if status.must_leave_by < status.entered_on + timedelta(days=rules.max_stay_days - 1):
                following = status.must_leave_by + timedelta(days=1)
                assert _breaches(before | staying | {following}, following, rules)

    if rules.period_days is not None:
        prior = {d for d in presence if d < today}
        assert status.entry_allowed is not _breaches(prior | {today}, today, rules)
        if status.entry_allowed:
            assert status.new_stay_last_day is not None
            new = {
                today + timedelta(days=k)
                for k in range((status.new_stay_last_day - today).days + 1)
            }
            assert not any(_breaches(prior | new, d, rules) for d in new)
        else:
            assert status.new_stay_last_day is None
    assert (check_stay_limit(status, ENTRY) is None) is status.entry_allowed
    assert (check_stay_limit(status, EXIT) is None) is not status.over_limit
