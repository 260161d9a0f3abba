from datetime import UTC, datetime, timedelta

import pytest

from bot.core import FixedClock, LivingClock, SystemClock, parse_as_of

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
AS_OF = datetime(2015, 10, 23, tzinfo=UTC)


def test_fixed_clock_moves_only_when_told():
    clock = FixedClock(START)
    assert clock.now() == START
    clock.advance(timedelta(minutes=5))
    assert clock.now() == START + timedelta(minutes=5)


def test_clocks_refuse_naive_instants():
    with pytest.raises(ValueError, match="aware"):
        FixedClock(datetime(2016, 1, 1))


def test_system_clock_is_aware_utc():
    assert SystemClock().now().utcoffset() == timedelta(0)


def test_living_clock_starts_at_as_of_and_runs_on():
    real = FixedClock(START)
    clock = LivingClock(AS_OF, base=real)
    assert clock.now() == AS_OF
    real.advance(timedelta(hours=2))
    assert clock.now() == AS_OF + timedelta(hours=2)


def test_living_clock_speed_multiplies_elapsed_time():
    real = FixedClock(START)
    clock = LivingClock(AS_OF, speed=3600, base=real)
    real.advance(timedelta(seconds=2))
    assert clock.now() == AS_OF + timedelta(hours=2)


def test_living_clock_maps_agenda_instants_to_real_ones():
    real = FixedClock(START)
    clock = LivingClock(AS_OF, speed=60, base=real)
    assert clock.to_real(AS_OF + timedelta(hours=1)) == START + timedelta(minutes=1)


@pytest.mark.parametrize("speed", [0, -1, float("nan")])
def test_living_clock_refuses_a_speed_that_is_not_positive(speed):
    with pytest.raises(ValueError, match="positive"):
        LivingClock(AS_OF, speed=speed)


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2015-10-23", AS_OF),
        ("2015-10-23T09:30", datetime(2015, 10, 23, 9, 30, tzinfo=UTC)),
        ("2015-10-23T09:30+02:00", datetime(2015, 10, 23, 7, 30, tzinfo=UTC)),
    ],
)
def test_parse_as_of(text, instant):
    assert parse_as_of(text) == instant


@pytest.mark.parametrize("text", ["yesterday", "23/10/2015", "2015-13-01", ""])
def test_parse_as_of_says_what_to_type(text):
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_as_of(text)


@pytest.mark.parametrize("text", ["9999-12-31", "0001-01-01T00:30+09:00", "1899-12-31"])
def test_parse_as_of_refuses_dates_out_of_range_instead_of_overflowing(text):
    # Regression (issue 9): a date the time code cannot shift overflowed later, at start-up.
    with pytest.raises(ValueError, match="outside the years 1900 to 2200"):
        parse_as_of(text)
