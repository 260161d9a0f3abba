"""What a reader asks of the agenda page, without a script: the zone to show times in (`?tz=`,
then remembered in a cookie), a filter (body, kind, topic, words), and which page of the past."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo, available_timezones

from aiohttp import web

from bot.core import (
    AgendaFilter,
    Kind,
    Meeting,
    PlainTimes,
    Precision,
    UnknownZoneError,
    clean_input,
    resolve_zone,
)
from bot.core.formatting import place
from bot.core.text import tokens, whole_number

ZONE_COOKIE = "tz"
ZONE_KEPT = timedelta(days=365)
# Without a zone chosen: venue time and UTC, which is called UTC and not "your time".
UTC_TIMES = PlainTimes(ZoneInfo("UTC"), reader_label="")
GOOGLE = "https://calendar.google.com/calendar/render"
_ZONES = frozenset(available_timezones()) - {"localtime", "Factory"}


@dataclass(frozen=True)
class Reader:
    times: PlainTimes
    zone: str = ""  # the zone chosen ("" for UTC)
    remember: str | None = None  # the cookie to set ("" to clear it); None: leave it
    problem: str = ""


def reader_of(request: web.Request) -> Reader:
    """The zone asked for in the address, else the one remembered, else UTC. A zone that is
    not one of the IANA names (a typo, "localtime") is said, and the remembered one kept."""
    asked = request.query.get(ZONE_COOKIE)
    kept = _zone(request.cookies.get(ZONE_COOKIE, ""))
    if asked is None:
        if kept is None:  # none, or not a zone: forget it
            return Reader(UTC_TIMES, remember="" if ZONE_COOKIE in request.cookies else None)
        return _reading(kept, None)
    text = clean_input(asked, 60)
    if not text or text.upper() == "UTC":
        return Reader(UTC_TIMES, remember="")
    zone = _zone(text)
    if zone is None:
        problem = f"'{text}' is not a time zone; use a name such as Europe/Brussels."
        reading = _reading(kept, None) if kept is not None else Reader(UTC_TIMES)
        return replace(reading, problem=problem)
    return _reading(zone, zone.key)


def _zone(text: str) -> ZoneInfo | None:
    name = clean_input(text, 60)
    if not name or name.upper() == "UTC":
        return None
    try:
        zone = resolve_zone(name)
    except UnknownZoneError:
        return None
    return zone if zone.key in _ZONES else None


def _reading(zone: ZoneInfo, remember: str | None) -> Reader:
    return Reader(PlainTimes(zone, reader_label=f"({place(zone)} time)"), zone.key, remember)


def remember(response: web.Response, reader: Reader) -> web.Response:
    """The cookie set or cleared as the reader asked; the page depends on it (Vary)."""
    response.headers["Vary"] = "Cookie"
    if reader.remember == "":
        response.del_cookie(ZONE_COOKIE, path="/")
    elif reader.remember is not None:
        response.set_cookie(
            ZONE_COOKIE,
            reader.remember,
            max_age=int(ZONE_KEPT.total_seconds()),
            path="/",
            samesite="Lax",
            httponly=True,
        )
    return response


@dataclass(frozen=True)
class Filter:
    body: str = ""
    kind: str = ""
    topic: str = ""
    words: str = ""
    past_page: int = 1
    problems: tuple[str, ...] = field(default=())

    @property
    def active(self) -> bool:
        return bool(self.body or self.kind or self.topic or self.words)

    @property
    def where(self) -> AgendaFilter:
        return AgendaFilter(
            self.body or None, Kind(self.kind) if self.kind else None, self.topic or None
        )

    def address(self, **changes: object) -> str:
        """This filter's address on the agenda page, with `changes` (past=2)."""
        values = {"body": self.body, "kind": self.kind, "topic": self.topic, "q": self.words}
        values |= {key: str(value) for key, value in changes.items()}
        kept = {key: value for key, value in values.items() if value}
        return "/?" + urlencode(kept) if kept else "/"


def filter_of(request: web.Request, bodies: set[str], topics: set[str]) -> Filter:
    """The filter in the address; a value that names nothing is left out, and said."""
    query = request.query
    problems = []
    body = query.get("body", "")
    if body and body not in bodies:
        problems.append(f"No body has the id '{clean_input(body, 40)}'.")
        body = ""
    kind = query.get("kind", "")
    if kind and kind not in {k.value for k in Kind}:
        problems.append(f"'{clean_input(kind, 40)}' is not a kind of meeting.")
        kind = ""
    topic = query.get("topic", "")
    if topic and topic not in topics:
        problems.append(f"No topic has the id '{clean_input(topic, 40)}'.")
        topic = ""
    page = whole_number(query.get("past", "1"), 1, 10_000) or 1
    words = clean_input(query.get("q", ""), 200)
    if words and not tokens(words):
        problems.append("Those words have nothing to look for: use letters or numbers.")
        words = ""
    return Filter(body, kind, topic, words, page, tuple(problems))


def google_link(meeting: Meeting, page: str | None, length: timedelta) -> str | None:
    """An "add to Google Calendar" address for a dated meeting (its page in the details); one
    known by its start only lasts `length`, as in the calendar files."""
    when = meeting.when
    if when.start_utc is None or when.end_utc is None or not when.precision.has_day:
        return None
    if when.precision is Precision.DAY:
        assert when.first_day is not None and when.last_day is not None
        last = when.last_day + timedelta(days=1)
        dates = f"{when.first_day:%Y%m%d}/{last:%Y%m%d}"
    else:
        end = when.end_utc if when.end_utc > when.start_utc else when.start_utc + length
        dates = f"{when.start_utc:%Y%m%dT%H%M%SZ}/{end:%Y%m%dT%H%M%SZ}"
    details = meeting.summary[:500]
    if page:
        details = f"{details}\n\n{page}".strip()
    values = {"action": "TEMPLATE", "text": meeting.title, "dates": dates, "details": details}
    if meeting.venue:
        values["location"] = meeting.venue
    return f"{GOOGLE}?{urlencode(values, quote_via=quote)}"
