"""Dates in what people type: "March 2016", "December", "in 2016", "next week", "mars 2016".

A search finds the words as words and the dates as a period; `now` is an argument, so "next
week" means the week after the clock's."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .model import Meeting
from .text import tokens
from .when import FIRST_YEAR, LAST_YEAR

MONTHS = {
    **{name.lower(): n for n, name in enumerate(calendar.month_name) if name},
    **{name.lower(): n for n, name in enumerate(calendar.month_abbr) if name},
    "sept": 9,
    # French (accents are folded by `tokens`).
    **{
        name: n
        for n, name in enumerate(
            (
                "",
                "janvier",
                "fevrier",
                "mars",
                "avril",
                "mai",
                "juin",
                "juillet",
                "aout",
                "septembre",
                "octobre",
                "novembre",
                "decembre",
            )
        )
        if name
    },
}
# Words that only frame a date ("what's on in March", "réunions en mars"): dropped with it.
FRAMES = frozenset(
    {"in", "on", "during", "what", "whats", "s", "en", "au", "cours", "de", "du", "quelles"}
    | {"meeting", "meetings", "event", "events", "agenda", "reunion", "reunions", "happening"}
)
RELATIVE = {
    ("this", "week"): "this week",
    ("next", "week"): "next week",
    ("this", "month"): "this month",
    ("next", "month"): "next month",
    ("semaine", "prochaine"): "next week",
    ("mois", "prochain"): "next month",
}
_SINGLE = {"today": "today", "tomorrow": "tomorrow", "aujourd": "today", "demain": "tomorrow"}
# "may" is also a word ("what may come"): a month only beside a year.
_ONLY_WITH_YEAR = frozenset({"may", "mar", "jun", "jan", "dec", "oct", "nov", "sep", "aug"})


@dataclass(frozen=True, slots=True)
class Period:
    first: date
    last: date  # inclusive
    label: str
    relative: bool = False  # named from today ("next week"): a period even with nothing in it

    def holds(self, meeting: Meeting) -> bool:
        """Whether the meeting's days (as far as they are known) fall in the period."""
        when = meeting.when
        if when.first_day is None or when.last_day is None:
            return False
        return when.first_day <= self.last and when.last_day >= self.first


def find_period(query: str, now: datetime) -> tuple[Period | None, str]:
    """The period a query names, if any, and the query's other words."""
    words = tokens(query)
    today = now.date()
    for index in range(len(words) - 1):
        pair = (words[index], words[index + 1])
        if pair in RELATIVE:
            period = _relative(RELATIVE[pair], today)
            return period, _rest(words, index, index + 2)
    for index, word in enumerate(words):
        if word in _SINGLE:
            return _relative(_SINGLE[word], today), _rest(words, index, index + 1)
        month = MONTHS.get(word)
        year = _year(words[index + 1]) if index + 1 < len(words) else None
        if month is not None and year is not None:
            return _month(year, month), _rest(words, index, index + 2)
        if month is not None and word not in _ONLY_WITH_YEAR:
            year = today.year if month >= today.month else today.year + 1  # the next one
            return _month(year, month), _rest(words, index, index + 1)
        year = _year(word)
        if year is not None:
            return Period(date(year, 1, 1), date(year, 12, 31), str(year)), _rest(
                words, index, index + 1
            )
    return None, query


def _year(word: str) -> int | None:
    if len(word) == 4 and word.isdigit() and FIRST_YEAR <= int(word) <= LAST_YEAR:
        return int(word)
    return None


def _month(year: int, month: int) -> Period:
    last = calendar.monthrange(year, month)[1]
    return Period(
        date(year, month, 1), date(year, month, last), f"{calendar.month_name[month]} {year}"
    )


def _relative(name: str, today: date) -> Period:
    """A period named from today, labelled with its dates ("next month (November 2015)")."""
    if name in ("today", "tomorrow"):
        day = today + timedelta(days=1 if name == "tomorrow" else 0)
        return Period(day, day, f"{name} ({day:%a} {day.day} {day:%b %Y})", relative=True)
    if name in ("this week", "next week"):
        monday = today - timedelta(days=today.weekday())
        if name == "next week":
            monday += timedelta(days=7)
        label = f"{name} (from Mon {monday.day} {monday:%b %Y})"
        return Period(monday, monday + timedelta(days=6), label, relative=True)
    first = today.replace(day=1)
    if name == "next month":
        first = (first + timedelta(days=32)).replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    label = f"{name} ({calendar.month_name[first.month]} {first.year})"
    return Period(first, last, label, relative=True)


def _rest(words: list[str], start: int, end: int) -> str:
    """The query's words but the date's and the little words that framed it."""
    return " ".join(w for w in words[:start] + words[end:] if w not in FRAMES)
