from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core import (
    LocalTimeError,
    Precision,
    UnknownZoneError,
    When,
    format_lead,
    parse_lead,
    resolve_zone,
)
from bot.core.when import day_start, localize

BRUSSELS = ZoneInfo("Europe/Brussels")
CANCUN = ZoneInfo("America/Cancun")
NAIROBI = ZoneInfo("Africa/Nairobi")


@pytest.mark.parametrize(
    ("zone", "day", "start_utc"),
    [
        (BRUSSELS, date(2016, 3, 2), datetime(2016, 3, 1, 23, 0, tzinfo=UTC)),  # CET
        (BRUSSELS, date(2015, 10, 14), datetime(2015, 10, 13, 22, 0, tzinfo=UTC)),  # CEST
        (CANCUN, date(2016, 5, 11), datetime(2016, 5, 11, 5, 0, tzinfo=UTC)),  # UTC-5, no DST
        (NAIROBI, date(2015, 12, 15), datetime(2015, 12, 14, 21, 0, tzinfo=UTC)),
        (ZoneInfo("Africa/Lome"), date(2015, 11, 17), datetime(2015, 11, 17, 0, 0, tzinfo=UTC)),
    ],
)
def test_a_day_starts_at_local_midnight_of_the_venue(zone, day, start_utc):
    when = When.days(day, None, zone)
    assert when.start_utc == start_utc
    assert when.end_utc == start_utc + timedelta(days=1)


def test_a_day_span_covers_its_last_day_inclusive():
    when = When.days(date(2016, 3, 2), date(2016, 3, 3), BRUSSELS)
    assert when.precision is Precision.DAY
    assert when.end_utc == datetime(2016, 3, 3, 23, 0, tzinfo=UTC)


def test_a_day_across_the_spring_change_is_23_hours_long():
    when = When.days(date(2016, 3, 27), None, BRUSSELS)
    assert when.end_utc - when.start_utc == timedelta(hours=23)


def test_exact_times_are_venue_wall_time():
    when = When.exact(datetime(2016, 3, 2, 10, 0), datetime(2016, 3, 2, 17, 0), BRUSSELS)
    assert when.start_utc == datetime(2016, 3, 2, 9, 0, tzinfo=UTC)
    assert when.end_utc == datetime(2016, 3, 2, 16, 0, tzinfo=UTC)
    assert when.start_local == datetime(2016, 3, 2, 10, 0, tzinfo=BRUSSELS)


def test_exact_time_without_end_is_an_instant():
    when = When.exact(datetime(2016, 3, 2, 10, 0), None, BRUSSELS)
    assert when.end_utc == when.start_utc
    assert when.end_time is None


def test_month_and_year_spans():
    month = When.month(2016, 2, BRUSSELS)
    assert (month.first_day, month.last_day) == (date(2016, 2, 1), date(2016, 2, 29))
    year = When.year(2016, BRUSSELS)
    assert year.end_utc == datetime(2016, 12, 31, 23, 0, tzinfo=UTC)
    assert not month.precision.has_day and not year.precision.has_day


def test_tba_has_no_instants_and_sorts_last():
    tba = When.tba(BRUSSELS)
    assert tba.start_utc is None and tba.end_utc is None and not tba.is_dated
    assert not tba.has_ended(datetime(2999, 1, 1, tzinfo=UTC))
    assert tba.sort_key() > When.year(2100, BRUSSELS).sort_key()


def test_finer_precision_sorts_first_among_equal_starts():
    day = When.days(date(2016, 11, 1), None, ZoneInfo("UTC"))
    month = When.month(2016, 11, ZoneInfo("UTC"))
    assert day.sort_key() < month.sort_key()


@pytest.mark.parametrize(
    ("wall", "message"),
    [
        (datetime(2016, 3, 27, 2, 30), "does not exist"),  # Brussels spring gap
        (datetime(2016, 10, 30, 2, 30), "happens twice"),  # Brussels autumn fold
    ],
)
def test_nonexistent_and_ambiguous_wall_times_are_rejected(wall, message):
    with pytest.raises(LocalTimeError, match=message):
        localize(wall, BRUSSELS)
    with pytest.raises(LocalTimeError, match=message):
        When.exact(wall, None, BRUSSELS)


def test_an_end_before_the_start_is_rejected():
    with pytest.raises(ValueError, match="before"):
        When.exact(datetime(2016, 3, 2, 10), datetime(2016, 3, 2, 9), BRUSSELS)
    with pytest.raises(ValueError, match="before"):
        When.days(date(2016, 3, 2), date(2016, 3, 1), BRUSSELS)


def test_a_day_whose_midnight_is_skipped_starts_when_the_gap_ends():
    # Santiago de Chile moved clocks from 00:00 to 01:00 on 2016-08-14.
    santiago = ZoneInfo("America/Santiago")
    start = day_start(date(2016, 8, 14), santiago)
    assert start.astimezone(santiago).time() == time(1, 0)


def test_unknown_zone_suggests_the_closest_names():
    with pytest.raises(UnknownZoneError) as raised:
        resolve_zone("Europe/Brusels")
    assert "Europe/Brussels" in raised.value.suggestions
    assert "did you mean 'Europe/Brussels'" in str(raised.value)
    assert resolve_zone(" Europe/Brussels ") == BRUSSELS


@pytest.mark.parametrize("name", ["", "   ", "../../etc/passwd", "Not/AZone"])
def test_impossible_zone_names_are_unknown(name):
    with pytest.raises(UnknownZoneError):
        resolve_zone(name)


@pytest.mark.parametrize(
    ("text", "lead"),
    [
        ("7d", timedelta(days=7)),
        ("2h", timedelta(hours=2)),
        ("90m", timedelta(minutes=90)),
        ("1w", timedelta(weeks=1)),
        ("1d12h", timedelta(days=1, hours=12)),
        (" 30D ", timedelta(days=30)),
    ],
)
def test_lead_times(text, lead):
    assert parse_lead(text) == lead


@pytest.mark.parametrize("text", ["", "7", "d", "7x", "-1d", "0d", "367d", "1d 2", "7dd"])
def test_bad_lead_times_say_what_to_write(text):
    with pytest.raises(ValueError, match=r"lead time|at most"):
        parse_lead(text)


@given(st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=366)))
def test_lead_times_round_trip(lead):
    whole = timedelta(minutes=int(lead.total_seconds() // 60))
    assert parse_lead(format_lead(whole)) == whole


@pytest.mark.parametrize("text", ["9999-12-31 23:00", "0001-01-01 00:30", "1899-12-31"])
def test_a_remind_date_out_of_range_says_so_instead_of_overflowing(text):
    # Regression (issue 9, as for the data files): /remind when:9999-12-31 23:00 in New York
    # answered "Sorry, that went wrong" (OverflowError converting to UTC).
    from bot.core.reminding import parse_remind_when

    with pytest.raises(ValueError, match="is outside the years 1900 to 2200; give a date"):
        parse_remind_when(text, ZoneInfo("America/New_York"))
