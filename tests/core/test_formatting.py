"""Dates as the answers write them: the names looked up are those strftime writes."""

from __future__ import annotations

from datetime import date, timedelta

from bot.core.formatting import date_long, day_text, span_text


def strftime_span(first: date, last: date) -> str:
    """As it was written with strftime."""
    if first == last:
        return f"{first:%a} {first.day} {first:%b %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first:%a} {first.day} – {last:%a} {last.day} {last:%b %Y}"
    if first.year == last.year:
        return f"{first:%a} {first.day} {first:%b} – {last:%a} {last.day} {last:%b %Y}"
    return f"{first:%a} {first.day} {first:%b %Y} – {last:%a} {last.day} {last:%b %Y}"


def test_days_and_spans_are_written_as_strftime_writes_them():
    start = date(2019, 12, 20)
    for offset in range(0, 800, 3):
        first = start + timedelta(days=offset)
        assert day_text(first) == f"{first:%a} {first.day} {first:%b %Y}"
        assert date_long(first) == f"{first.day} {first:%B %Y}"
        for length in (0, 1, 4, 13, 40):
            last = first + timedelta(days=length)
            assert span_text(first, last) == strftime_span(first, last), (first, last)
