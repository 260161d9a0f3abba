"""Revisions as plain data (JSON in the database) and back, and dates as people type them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from .model import Kind, Origin, Revision, Source, Status
from .spans import typed_value, when_of
from .when import Precision, When, repeated, resolve_zone

_TUPLES = ("bodies", "sessions", "topics", "aliases")
_TEXTS = ("title", "venue", "summary", "confidence", "outcome")


def typed_dates(when: When) -> tuple[str, str | None]:
    """A date as an editor types it ("2016-03-02 10:00", "2016-03-02", "2016-11", "2016",
    "TBA"), its start and its end (None without one)."""
    first, last = when.first_day, when.last_day
    if when.precision is Precision.TBA or first is None or last is None:
        return "TBA", None
    if when.precision is Precision.YEAR:
        return f"{first.year:04d}", None
    if when.precision is Precision.MONTH:
        return f"{first:%Y-%m}", None
    if when.precision is Precision.DAY:
        return first.isoformat(), last.isoformat() if last != first else None
    assert when.start_utc is not None and when.end_utc is not None
    start = _typed_time(when.start_utc, when.zone)
    end = _typed_time(when.end_utc, when.zone) if when.end_time is not None else None
    return start, end


def _typed_time(instant: datetime, zone: ZoneInfo) -> str:
    """A local time; with its offset where the wall time happens twice, to say which."""
    local = instant.astimezone(zone)
    offset = local.strftime("%z") if repeated(local.replace(tzinfo=None), zone) else ""
    return f"{local:%Y-%m-%d %H:%M}" + (f"{offset[:3]}:{offset[3:]}" if offset else "")


def when_typed(start: str | None, end: str | None, zone: str) -> When:
    """The date an editor typed, read by the rules of the data files. Raises ValueError (or
    spans.DateFieldError, a ValueError) saying what to write instead."""
    return when_of(typed_value(start or ""), typed_value(end) if end else None, resolve_zone(zone))


def sets_to_data(sets: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, value in sets.items():
        if name == "when":
            start, end = typed_dates(value)
            data["when"] = {"start": start, "end": end, "timezone": value.zone.key}
        elif name in ("kind", "status"):
            data[name] = value.value
        elif name in _TUPLES:
            data[name] = list(value)
        else:
            data[name] = value
    return data


def shape_problem(sets: object, sources: object) -> str | None:
    """What in a stored revision's JSON no version of the bot writes, or None. Fields this
    version does not know are not judged: a newer version may have written them."""
    if not isinstance(sets, dict):
        return "its sets are not a JSON object"
    for name, value in sets.items():
        if name == "when":
            if not (
                isinstance(value, dict)
                and isinstance(value.get("timezone"), str)
                and all(isinstance(value.get(end), str | None) for end in ("start", "end"))
            ):
                return "'when' is not an object of texts with a time zone"
        elif name in ("kind", "status", *_TEXTS) and not isinstance(value, str):
            return f"{name!r} is not a text"
        elif name in _TUPLES:
            item = int if name == "sessions" else str
            if not isinstance(value, list) or not all(
                isinstance(one, item) and not isinstance(one, bool) for one in value
            ):
                return f"{name!r} is not a list of {'numbers' if item is int else 'texts'}"
    if not isinstance(sources, list) or not all(
        isinstance(source, dict) and all(isinstance(v, str) for v in source.values())
        for source in sources
    ):
        return "its sources are not a list of objects of texts"
    return None


def sets_from_data(data: dict[str, Any]) -> dict[str, Any]:
    sets: dict[str, Any] = {}
    for name, value in data.items():
        if name == "when":
            sets["when"] = when_typed(value.get("start"), value.get("end"), value["timezone"])
        elif name == "kind":
            sets["kind"] = Kind(value)
        elif name == "status":
            sets["status"] = Status(value)
        elif name in _TUPLES:
            sets[name] = tuple(value)
        elif name in _TEXTS:
            sets[name] = str(value)
    return sets


def sources_to_data(sources: tuple[Source, ...]) -> list[dict[str, str]]:
    return [{"title": s.title, "url": s.url} for s in sources]


def sources_from_data(data: list[dict[str, str]]) -> tuple[Source, ...]:
    return tuple(Source(item["title"], item["url"]) for item in data)


def stored_revision(
    known: int,
    sets: dict[str, Any],
    sources: list[dict[str, str]],
    by: str,
    why: str,
    origin: str,
    ident: str,
) -> Revision:
    """A revision from the database's columns (JSON already read)."""
    return Revision(
        known=datetime.fromtimestamp(known, UTC),
        sets=sets_from_data(sets),
        sources=sources_from_data(sources),
        by=by,
        why=why,
        origin=Origin(origin),
        ident=ident,
    )
