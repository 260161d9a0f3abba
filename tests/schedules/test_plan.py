"""The planner: table and property tests over DST changes, precisions and lead times."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedules.plan import FirePoint, Precision, Target, fire_instant, in_order, plan

BRUSSELS = ZoneInfo("Europe/Brussels")
D, H = timedelta(days=1), timedelta(hours=1)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def local(zone, *args):
    return datetime(*args, tzinfo=zone).astimezone(UTC)


@pytest.mark.parametrize(
    ("start", "lead", "due", "why"),
    [
        # All-day meeting on Monday 28 March 2016 in Brussels (CEST from 27 March 03:00).
        (local(BRUSSELS, 2016, 3, 28), D, local(BRUSSELS, 2016, 3, 27), "23 hours before"),
        (local(BRUSSELS, 2016, 3, 28), 7 * D, local(BRUSSELS, 2016, 3, 21), "7 calendar days"),
        # All-day meeting on Monday 31 October 2016 (CET from 30 October 03:00).
        (local(BRUSSELS, 2016, 10, 31), D, local(BRUSSELS, 2016, 10, 30), "25 hours before"),
        # Timed meeting at 10:00 on the day clocks go forward: the day before at 10:00 CET.
        (local(BRUSSELS, 2016, 3, 27, 10), D, utc(2016, 3, 26, 9), "same wall time"),
        # Hours are exact durations, DST or not.
        (local(BRUSSELS, 2016, 3, 27, 10), 2 * H, utc(2016, 3, 27, 6), "2 hours"),
        (local(BRUSSELS, 2016, 3, 27, 10), D + 12 * H, utc(2016, 3, 25, 21), "1d then 12h"),
        # A wall time that the day before skips (02:30 on 27 March) moves past the gap.
        (local(BRUSSELS, 2016, 3, 28, 2, 30), D, utc(2016, 3, 27, 1, 30), "gap"),
        # A wall time that the day before repeats (02:30 on 30 October) takes its first pass.
        (local(BRUSSELS, 2016, 10, 31, 2, 30), D, utc(2016, 10, 30, 0, 30), "fold"),
    ],
)
def test_fire_instants_across_dst(start, lead, due, why):
    assert fire_instant(start, lead, BRUSSELS) == due, why


@pytest.mark.parametrize(
    ("zone", "day", "due_utc"),
    [
        ("America/Cancun", (2016, 5, 11), utc(2016, 5, 10, 5)),  # UTC-5, west
        ("Africa/Nairobi", (2015, 12, 15), utc(2015, 12, 13, 21)),  # UTC+3, east
        ("Pacific/Auckland", (2016, 3, 5), utc(2016, 3, 3, 11)),  # UTC+13, far east
        ("America/Santo_Domingo", (2015, 12, 8), utc(2015, 12, 7, 4)),  # UTC-4
    ],
)
def test_one_day_before_is_the_venues_previous_day(zone, day, due_utc):
    start = local(ZoneInfo(zone), *day)
    assert fire_instant(start, D, ZoneInfo(zone)) == due_utc


MARCH_2 = utc(2016, 3, 1, 23)  # midnight in Brussels


def target(key="m", start=MARCH_2, precision=Precision.DAY, zone="Europe/Brussels"):
    return Target(key, start, precision, zone)


def test_plan_orders_fire_points_and_skips_the_past():
    targets = [target("late", utc(2016, 4, 1)), target("soon", utc(2016, 3, 10))]
    points = plan(targets, lambda t: [7 * D, D], now=utc(2016, 3, 5))
    assert [(p.key, p.lead) for p in points] == [
        ("soon", D),  # the 7-day point of "soon" (3 March) has passed
        ("late", 7 * D),
        ("late", D),
    ]
    assert points == sorted(points)


@pytest.mark.parametrize("precision", [Precision.ROUGH, Precision.NONE])
def test_no_fire_point_without_a_known_day(precision):
    assert plan([target(precision=precision)], lambda t: [D], now=utc(2000, 1, 1)) == []
    assert plan([target(start=None)], lambda t: [D], now=utc(2000, 1, 1)) == []


def test_exact_and_day_targets_are_planned():
    for precision in (Precision.EXACT, Precision.DAY):
        assert len(plan([target(precision=precision)], lambda t: [D], utc(2000, 1, 1))) == 1


def test_negative_leads_are_ignored_zero_is_the_start_and_duplicates_merge():
    points = plan([target()], lambda t: [timedelta(0), -D, D, D], now=utc(2000, 1, 1))
    assert [p.lead for p in points] == [D, timedelta(0)]
    assert points[1].at == MARCH_2


def test_fire_point_ids_are_stable_and_change_when_the_target_moves():
    point = FirePoint(utc(2016, 3, 1, 8), "ptc-211-212", D)
    assert point.id == "ptc-211-212|1440m|20160301T080000Z"
    moved = FirePoint(utc(2016, 3, 2, 8), "ptc-211-212", D)
    assert moved.id != point.id


zones = st.sampled_from(
    [
        "Europe/Brussels",
        "America/Cancun",
        "Africa/Nairobi",
        "Africa/Lome",
        "America/Santo_Domingo",
        "Pacific/Auckland",
        "America/New_York",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
    ]
)
leads = st.builds(
    lambda d, m: timedelta(days=d, minutes=m), st.integers(0, 60), st.integers(0, 1439)
).filter(lambda lead: lead > timedelta(0))
instants = st.datetimes(
    min_value=datetime(2015, 1, 1), max_value=datetime(2017, 12, 31), timezones=st.just(UTC)
)


@given(zones, instants, leads)
def test_fire_instants_are_before_the_start_by_about_the_lead(zone, start, lead):
    due = fire_instant(start, lead, ZoneInfo(zone))
    assert due.utcoffset() == timedelta(0)
    # Calendar days stretch or shrink by at most the DST shift (up to an hour; 30 min on Lord Howe).
    assert abs((start - due) - lead) <= timedelta(hours=1)
    assert due < start


@given(zones, instants, st.integers(1, 60))
def test_whole_day_leads_keep_the_venue_wall_time_unless_it_does_not_exist(zone, start, days):
    tz = ZoneInfo(zone)
    due = fire_instant(start, timedelta(days=days), tz)
    wall_start, wall_due = start.astimezone(tz), due.astimezone(tz)
    assert wall_due.date() == wall_start.date() - timedelta(days=days)
    if wall_due.time() != wall_start.time():  # only inside a DST gap, pushed past it
        assert wall_due.time() > wall_start.time()


@given(st.lists(st.tuples(zones, instants), max_size=20), st.lists(leads, max_size=4), instants)
def test_plan_is_deterministic_and_future_only(items, lead_list, now):
    targets = [Target(f"t{i}", start, Precision.DAY, zone) for i, (zone, start) in enumerate(items)]
    first = plan(targets, lambda t: lead_list, now)
    assert first == plan(list(reversed(targets)), lambda t: list(reversed(lead_list)), now)
    assert all(p.at > now for p in first)
    assert len({p.id for p in first}) == len(first)


@given(
    st.lists(
        st.builds(
            FirePoint,
            st.sampled_from(
                [
                    datetime(2025, 6, 1, tzinfo=UTC),
                    datetime(2025, 6, 1, 2, tzinfo=ZoneInfo("Europe/Brussels")),
                ]
            )
            | st.datetimes(timezones=st.just(UTC)),
            st.sampled_from(["a", "b", "ptc-1"]),
            st.sampled_from([timedelta(0), timedelta(days=1), timedelta(minutes=90)]),
        ),
        max_size=30,
    )
)
def test_fire_points_sorted_by_their_fields_come_in_their_own_order(points):
    # Planning sorts by in_order (read in C) rather than by the dataclass's comparisons.
    assert sorted(points, key=in_order) == sorted(points)
    assert [id(p) for p in sorted(points, key=in_order)] == [id(p) for p in sorted(points)]
