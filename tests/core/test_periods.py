"""Dates in what people type (bot.core.periods), read against a fixed day."""

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.periods import find_period

NOW = datetime(2015, 10, 23, 12, tzinfo=UTC)  # a Friday


@pytest.mark.parametrize(
    ("query", "first", "last", "rest"),
    [
        ("what's on in March 2016", date(2016, 3, 1), date(2016, 3, 31), ""),
        ("PTC mars 2016", date(2016, 3, 1), date(2016, 3, 31), "ptc"),
        ("Policy Committee December", date(2015, 12, 1), date(2015, 12, 31), "policy committee"),
        ("council June", date(2016, 6, 1), date(2016, 6, 30), "council"),  # the next June
        ("October", date(2015, 10, 1), date(2015, 10, 31), ""),  # this one, not yet over
        ("workshops in 2016", date(2016, 1, 1), date(2016, 12, 31), "workshops"),
        ("next week", date(2015, 10, 26), date(2015, 11, 1), ""),
        ("la semaine prochaine", date(2015, 10, 26), date(2015, 11, 1), "la"),
        ("this month", date(2015, 10, 1), date(2015, 10, 31), ""),
        ("tomorrow", date(2015, 10, 24), date(2015, 10, 24), ""),
        ("May 2015 workshop", date(2015, 5, 1), date(2015, 5, 31), "workshop"),
    ],
)
def test_periods(query, first, last, rest):
    period, words = find_period(query, NOW)
    assert period is not None
    assert (period.first, period.last, words) == (first, last, rest)


@pytest.mark.parametrize(
    "query", ["PTC 211", "what may come next", "kyoto convention", "session 2", "3d printing"]
)
def test_no_period_where_there_is_none(query):
    assert find_period(query, NOW) == (None, query)


@given(st.text(max_size=80))
def test_any_text_gives_a_period_or_none_and_never_fails(text):
    period, _ = find_period(text, NOW)
    assert period is None or period.first <= period.last
