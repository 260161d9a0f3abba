"""An agenda written back out as data files (`python -m bot export-data`): every revision, the
data files' and the editors' alike, in the format of data/README.md, so that `check` accepts the
directory and loading it gives the same agenda."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from .model import Agenda, Body, Origin, Person, Revision, Role, Source, Topic
from .revisions import MeetingRecord
from .when import Precision, When, format_lead, repeated

Value = str | int | bool | date | datetime | list[Any] | dict[str, Any]
_PLAIN = ("title", "kind", "venue", "status", "summary", "confidence", "outcome")
_LISTS = ("bodies", "sessions", "topics", "aliases")
_CLEARABLE = frozenset({"summary", "confidence", "outcome"})


def data_files(agenda: Agenda) -> dict[str, str]:
    """File name -> TOML text, one kind of entry per file as in the bundled set."""
    dataset = agenda.dataset
    head: dict[str, Value | None] = {
        "name": dataset.name,
        "organisation": dataset.organisation,
        "description": dataset.description,
        "as_of": dataset.as_of,
        "updated": dataset.updated,
        "uid_domain": dataset.uid_domain,
    }
    ladders: dict[str, Value | None] = {"default": [format_lead(x) for x in agenda.ladders.default]}
    ladders |= {
        kind.value: [format_lead(x) for x in leads]
        for kind, leads in agenda.ladders.by_kind.items()
    }
    durations: dict[str, Value | None] = {"default": format_lead(agenda.ladders.length)}
    durations |= {k.value: format_lead(x) for k, x in agenda.ladders.lengths.items()}
    files = {
        "agenda.toml": _table("dataset", head),
        "bodies.toml": "".join(_entry("body", _body(b)) for b in agenda.bodies.values()),
        "topics.toml": "".join(_entry("topic", _topic(t)) for t in agenda.topics.values()),
        "meetings.toml": "".join(_meeting(r) for r in _chronological(agenda.records.values())),
        "ladders.toml": _table("ladders", ladders) + "\n" + _table("durations", durations),
    }
    if agenda.people:
        files["people.toml"] = "".join(_person(p) for p in agenda.people.values())
    if agenda.follows:
        files["feeds.toml"] = "".join(
            _entry(
                "feed",
                {
                    "url": feed.url,
                    "body": feed.body or "",
                    "kind": feed.kind.value,
                    "topics": list(feed.topics),
                },
            )
            for feed in agenda.follows
        )
    return files


def when_values(when: When) -> dict[str, Value]:
    """A date as the data files write it: start (and end) at its precision, and the zone."""
    values: dict[str, Value] = {"timezone": when.zone.key}
    first, last = when.first_day, when.last_day
    if when.precision is Precision.TBA or first is None or last is None:
        values["start"] = "TBA"
    elif when.precision is Precision.YEAR:
        values["start"] = f"{first.year:04d}"
    elif when.precision is Precision.MONTH:
        values["start"] = f"{first:%Y-%m}"
    elif when.precision is Precision.DAY:
        values["start"] = first
        if last != first:
            values["end"] = last
    else:
        assert when.start_utc is not None and when.end_utc is not None
        values["start"] = _local_time(when.start_utc, when.zone)
        if when.end_time is not None:
            values["end"] = _local_time(when.end_utc, when.zone)
    return values


def _local_time(instant: datetime, zone: ZoneInfo) -> datetime:
    """The venue's wall time; the instant itself where that wall time happens twice."""
    wall = instant.astimezone(zone).replace(tzinfo=None)
    return instant if repeated(wall, zone) else wall


def _meeting(record: MeetingRecord) -> str:
    first, *later = record.revisions
    entry: dict[str, Value] = {"id": record.id, **_sets(first.sets)}
    entry["announced"] = first.known
    if record.base:
        entry["revision"] = record.base
    entry["sources"] = _sources(first.sources)
    entry |= _authorship(first)
    text = _entry("meeting", entry)
    for revision in later:
        text += _history(revision)
    return text


def _history(revision: Revision) -> str:
    entry: dict[str, Value] = {"known": revision.known, **_sets(revision.sets)}
    entry["sources"] = _sources(revision.sources)
    entry |= _authorship(revision)
    # A revision that empties a text or a list says so: "" or [] is its new value, not
    # "unchanged".
    emptied = {name for name in revision.sets if name in _CLEARABLE or name in _LISTS}
    return "[[meeting.history]]\n" + _pairs(entry, emptied) + "\n"


def _authorship(revision: Revision) -> dict[str, Value]:
    origin = {"origin": revision.origin.value} if revision.origin is not Origin.DATA else {}
    return {"note": revision.why, "by": revision.by, **origin}


def _sets(sets: Any) -> dict[str, Value]:
    values: dict[str, Value] = {}
    for name, value in sets.items():
        if name == "when":
            values.update(when_values(value))
        elif name in _LISTS:
            values[name] = list(value)
        elif name in _PLAIN:
            values[name] = getattr(value, "value", value)
    return values


def _body(body: Body) -> dict[str, Value]:
    return {
        "id": body.id,
        "name": body.name,
        "acronym": body.acronym or "",
        "aliases": list(body.aliases),
        "parent": body.parent or "",
        "external": body.external,
        "summary": body.summary,
        "sources": _sources(body.sources),
    }


def _topic(topic: Topic) -> dict[str, Value]:
    return {
        "id": topic.id,
        "name": topic.name,
        "summary": topic.summary,
        "aliases": list(topic.aliases),
        "keywords": list(topic.keywords),
        "involved": list(topic.involved),
        "bodies": list(topic.bodies),
        "meetings": list(topic.listed),
        "confidence": topic.confidence,
        "updated": topic.updated or "",
        "sources": _sources(topic.sources),
    }


def _person(person: Person) -> str:
    head: dict[str, Value | None] = {
        "id": person.id,
        "name": person.name,
        "aliases": list(person.aliases),
        "country": person.country,
        "delegation": person.delegation or None,
        "summary": person.summary,
        "sources": _sources(person.sources),
    }
    return _entry("person", head) + "".join(_role(role) for role in person.roles)


def _role(role: Role) -> str:
    values: dict[str, Value | None] = {
        "did": role.did,
        "what": role.what,
        "meeting": role.meeting,
        "topic": role.topic,
        "position": role.position,
        "known": role.known,  # None (left out) where the files gave none: the meeting's end
        "confidence": role.confidence,
        "sources": _sources(role.sources),
    }
    return "[[person.roles]]\n" + _pairs(values) + "\n"


def _sources(sources: Sequence[Source]) -> list[Any]:
    return [
        {"title": s.title, "url": s.url, **({"verified": s.verified} if s.verified else {})}
        for s in sources
    ]


def _chronological(records: Iterable[MeetingRecord]) -> list[MeetingRecord]:
    return sorted(records, key=lambda r: (r.latest.when.sort_key(), r.id))


# -- TOML --------------------------------------------------------------------------------------


def _table(name: str, values: Mapping[str, Value | None]) -> str:
    return f"[{name}]\n" + _pairs(values) + "\n"


def _entry(name: str, values: Mapping[str, Value | None]) -> str:
    return f"[[{name}]]\n" + _pairs(values) + "\n"


def _pairs(
    values: Mapping[str, Value | None], keep: set[str] | frozenset[str] = frozenset()
) -> str:
    """Empty values are left out (every field written here has that default), but `keep`."""
    return "".join(
        f"{key} = {_value(value)}\n"
        for key, value in values.items()
        if value is not None and (key in keep or value not in ("", []))
    )


def _value(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.isoformat(timespec="seconds")
        return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + " }"
    return _string(str(value))


def _string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'
