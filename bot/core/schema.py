"""Validating parsed TOML documents into an Agenda: every problem at once, nothing half-loaded.

Reading the files is the caller's job (the core does no I/O); this module gets each file's name and
parsed content and either returns a complete Agenda or raises DataSetError listing every problem
with its file, entry and field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from . import when as dates
from .entries import (
    BodyEntry,
    DatasetEntry,
    Entry,
    MeetingEntry,
    SourceEntry,
    TopicEntry,
    explain,
)
from .lookup import did_you_mean
from .model import Agenda, Body, Dataset, Kind, Ladders, Meeting, Source, Status, Topic
from .when import LocalTimeError, Precision, UnknownZoneError, When, parse_lead, resolve_zone


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.entry}" if self.entry else self.file
        if self.field:
            where += f", field '{self.field}'"
        return f"{where}: {self.message}"


class DataSetError(Exception):
    """The data set is not usable; `problems` lists every reason."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the data set:\n{lines}")


DEFAULT_LADDER: tuple[timedelta, ...] = (timedelta(days=1),)
_TABLES: dict[str, type[Entry]] = {
    "dataset": DatasetEntry,
    "body": BodyEntry,
    "meeting": MeetingEntry,
    "topic": TopicEntry,
}
_KNOWN_TOP_LEVEL = (*_TABLES, "ladders")
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")  # ASCII digits, as int() reads them
_YEAR = re.compile(r"^([0-9]{4})$")


class _Builder:
    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        self.entries: dict[str, list[tuple[str, Any]]] = {table: [] for table in _TABLES}
        self.ladders: list[tuple[str, Mapping[str, Any]]] = []
        self.ids: dict[str, set[str]] = {"body": set(), "meeting": set(), "topic": set()}

    def problem(self, file: str, entry: str, field: str, message: str) -> None:
        self.problems.append(Problem(file, entry, field, message))

    # -- structure -------------------------------------------------------------------------------

    def read_document(self, file: str, document: Mapping[str, Any]) -> None:
        for key, value in document.items():
            if key not in _KNOWN_TOP_LEVEL:
                self.problem(
                    file, "", "", f"unknown table '{key}'{did_you_mean(key, _KNOWN_TOP_LEVEL)}"
                )
            elif key == "ladders":
                if isinstance(value, Mapping):
                    self.ladders.append((file, value))
                else:
                    self.problem(file, "[ladders]", "", "must be a table: [ladders]")
            elif key == "dataset":
                if isinstance(value, Mapping):
                    self.read_entry(file, "dataset", 0, value)
                else:
                    self.problem(file, "[dataset]", "", "must be a table: [dataset]")
            elif isinstance(value, list) and all(isinstance(item, Mapping) for item in value):
                for index, item in enumerate(value):
                    self.read_entry(file, key, index, item)
            else:
                self.problem(file, f"[[{key}]]", "", f"must be an array of tables: [[{key}]]")

    def read_entry(self, file: str, table: str, index: int, raw: Mapping[str, Any]) -> None:
        raw_id = raw.get("id")
        label = _entry_label(table, index, raw_id)
        if table in self.ids and isinstance(raw_id, str):
            if raw_id in self.ids[table]:
                self.problem(file, label, "id", f"duplicate {table} id '{raw_id}'")
                return
            self.ids[table].add(raw_id)
        model = _TABLES[table]
        try:
            entry = model.model_validate(dict(raw))
        except ValidationError as error:
            for detail in error.errors():
                field, message = explain(detail, model)
                self.problem(file, label, field, message)
            return
        self.entries[table].append((file, entry))

    # -- meaning ---------------------------------------------------------------------------------

    def reference(self, file: str, label: str, field: str, table: str, ids: Iterable[str]) -> None:
        for ref in ids:
            if ref not in self.ids[table]:
                hint = did_you_mean(ref, sorted(self.ids[table]))
                self.problem(file, label, field, f"unknown {table} '{ref}'{hint}")

    def build_dataset(self) -> tuple[DatasetEntry | None, Dataset | None]:
        if not self.entries["dataset"]:
            self.problem("(data directory)", "", "", "no [dataset] table in any file; add one")
            return None, None
        for file, _ in self.entries["dataset"][1:]:
            self.problem(
                file,
                "[dataset]",
                "",
                f"a second [dataset]; the first is in {self.entries['dataset'][0][0]}",
            )
        entry = self.entries["dataset"][0][1]
        dataset = Dataset(
            name=entry.name,
            organisation=entry.organisation,
            description=entry.description,
            as_of=entry.as_of,
            updated=entry.updated,
            uid_domain=entry.uid_domain,
        )
        return entry, dataset

    def build_bodies(self, verified: date | None) -> dict[str, Body]:
        bodies: dict[str, Body] = {}
        for file, entry in self.entries["body"]:
            label = _entry_label("body", 0, entry.id)
            if entry.parent is not None:
                self.reference(file, label, "parent", "body", [entry.parent])
            bodies[entry.id] = Body(
                id=entry.id,
                name=entry.name,
                acronym=entry.acronym,
                aliases=tuple(entry.aliases),
                parent=entry.parent,
                external=entry.external,
                summary=entry.summary,
                sources=_sources(entry.sources, verified),
            )
        files = {entry.id: file for file, entry in self.entries["body"]}
        for body in bodies.values():
            seen = {body.id}
            parent = body.parent
            while parent is not None and parent in bodies:
                if parent in seen:
                    self.problem(
                        files[body.id],
                        _entry_label("body", 0, body.id),
                        "parent",
                        "bodies report to each other in a circle",
                    )
                    break
                seen.add(parent)
                parent = bodies[parent].parent
        return bodies

    def build_meetings(self, dataset: Dataset | None, verified: date | None) -> list[Meeting]:
        meetings = []
        for file, entry in self.entries["meeting"]:
            label = _entry_label("meeting", 0, entry.id)
            self.reference(file, label, "bodies", "body", entry.bodies)
            self.reference(file, label, "topics", "topic", entry.topics)
            when = self.when(file, label, entry)
            if when is None:
                continue
            if entry.status is Status.HELD and when.precision is Precision.TBA:
                self.problem(
                    file,
                    label,
                    "status",
                    "a held meeting happened: give at least its year in 'start'",
                )
            meetings.append(
                Meeting(
                    id=entry.id,
                    title=entry.title,
                    bodies=tuple(entry.bodies),
                    kind=entry.kind,
                    when=when,
                    status=entry.status,
                    venue=entry.venue or "",
                    sessions=tuple(entry.sessions),
                    topics=tuple(entry.topics),
                    aliases=tuple(entry.aliases),
                    summary=entry.summary,
                    confidence=entry.confidence,
                    revision=entry.revision,
                    updated=entry.updated or (dataset.updated if dataset else None),
                    sources=_sources(entry.sources, verified),
                )
            )
        meetings.sort(key=lambda m: (m.when.sort_key(), m.title, m.id))
        return meetings

    def when(self, file: str, label: str, entry: MeetingEntry) -> When | None:
        try:
            zone = resolve_zone(entry.timezone)
        except UnknownZoneError as error:
            self.problem(file, label, "timezone", str(error))
            return None
        try:
            return _when(entry.start, entry.end, zone)
        except _FieldError as error:
            self.problem(file, label, error.field, str(error))
        except LocalTimeError as error:
            self.problem(file, label, "start", str(error))
        return None

    def build_topics(
        self, meetings: list[Meeting], dataset: Dataset | None, verified: date | None
    ) -> dict[str, Topic]:
        by_topic: dict[str, list[str]] = {}
        for meeting in meetings:
            for topic_id in meeting.topics:
                by_topic.setdefault(topic_id, []).append(meeting.id)
        order = {meeting.id: index for index, meeting in enumerate(meetings)}
        topics: dict[str, Topic] = {}
        for file, entry in self.entries["topic"]:
            label = _entry_label("topic", 0, entry.id)
            self.reference(file, label, "bodies", "body", entry.bodies)
            self.reference(file, label, "meetings", "meeting", entry.meetings)
            related = set(by_topic.get(entry.id, [])) | {m for m in entry.meetings if m in order}
            topics[entry.id] = Topic(
                id=entry.id,
                name=entry.name,
                summary=entry.summary,
                aliases=tuple(entry.aliases),
                keywords=tuple(entry.keywords),
                involved=tuple(entry.involved),
                bodies=tuple(entry.bodies),
                meetings=tuple(sorted(related, key=order.__getitem__)),
                confidence=entry.confidence,
                updated=entry.updated or (dataset.updated if dataset else None),
                sources=_sources(entry.sources, verified),
            )
        return topics

    def build_ladders(self) -> Ladders:
        default = DEFAULT_LADDER
        by_kind: dict[Kind, tuple[timedelta, ...]] = {}
        kinds = {kind.value: kind for kind in Kind}
        for file, table in self.ladders:
            for key, value in table.items():
                if key != "default" and key not in kinds:
                    names = ["default", *kinds]
                    self.problem(
                        file,
                        "[ladders]",
                        key,
                        f"unknown kind of meeting{did_you_mean(key, names)}; "
                        f"use one of: {', '.join(names)}",
                    )
                    continue
                leads = self.leads(file, key, value)
                if leads is None:
                    continue
                if key == "default":
                    default = leads
                else:
                    by_kind[kinds[key]] = leads
        return Ladders(default=default, by_kind=by_kind)

    def leads(self, file: str, key: str, value: object) -> tuple[timedelta, ...] | None:
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            self.problem(
                file, "[ladders]", key, 'must be a list of lead times such as ["7d", "1d"]'
            )
            return None
        leads = []
        for text in value:
            try:
                leads.append(parse_lead(text))
            except ValueError as error:
                self.problem(file, "[ladders]", key, str(error))
                return None
        if len(set(leads)) != len(leads):
            self.problem(file, "[ladders]", key, "the same lead time is listed twice")
            return None
        return tuple(sorted(leads, reverse=True))


def build_agenda(
    documents: Mapping[str, Mapping[str, Any]], problems: Iterable[Problem] = ()
) -> Agenda:
    """Validate parsed documents (file name -> TOML content) into an Agenda.

    `problems` carries what the caller already found (files that did not parse), so that every
    problem is reported together. Raises DataSetError unless the whole data set is valid.
    """
    builder = _Builder(problems)
    for file in sorted(documents):
        builder.read_document(file, documents[file])
    dataset_entry, dataset = builder.build_dataset()
    verified = dataset_entry.sources_verified if dataset_entry else None
    bodies = builder.build_bodies(verified)
    meetings = builder.build_meetings(dataset, verified)
    topics = builder.build_topics(meetings, dataset, verified)
    ladders = builder.build_ladders()
    if builder.problems or dataset is None:
        # Grouped by file, in the order found within each file.
        raise DataSetError(sorted(builder.problems, key=lambda problem: problem.file))
    return Agenda(
        dataset=dataset,
        bodies=bodies,
        meetings={meeting.id: meeting for meeting in meetings},
        topics=dict(sorted(topics.items(), key=lambda item: item[1].name.casefold())),
        ladders=ladders,
    )


class _FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _when(start: object, end: object, zone: ZoneInfo) -> When:
    if start is None or (isinstance(start, str) and start.strip().upper() == "TBA"):
        if end is not None:
            raise _FieldError("end", "an end is only allowed with a day or a time in 'start'")
        return When.tba(zone)
    if isinstance(start, datetime):
        if start.tzinfo is not None:
            raise _FieldError(
                "start",
                "give the venue's local time without an offset "
                "(2016-03-02T10:00:00) and the zone in 'timezone'",
            )
        if end is not None and not (isinstance(end, datetime) and end.tzinfo is None):
            raise _FieldError("end", "with a time in 'start', 'end' must be a local date-time too")
        try:
            return When.exact(start, end if isinstance(end, datetime) else None, zone)
        except LocalTimeError as error:
            raise _FieldError("start" if _bad_wall(start, zone) else "end", str(error)) from None
        except ValueError as error:
            raise _FieldError("end", str(error)) from None
    if isinstance(start, date):
        if end is not None and (not isinstance(end, date) or isinstance(end, datetime)):
            raise _FieldError("end", "with a day in 'start', 'end' must be a date (the last day)")
        try:
            return When.days(start, end, zone)
        except ValueError as error:
            raise _FieldError("end", str(error)) from None
    if end is not None:
        raise _FieldError("end", "an end is only allowed with a day or a time in 'start'")
    text = str(start).strip()
    if isinstance(start, int) and not isinstance(start, bool):
        text = str(start)
    match = _YEAR.match(text) or _MONTH.match(text)
    if match and (problem := dates.year_problem(int(match[1]), f"'{start}'")):
        raise _FieldError("start", problem)
    if match := _YEAR.match(text):
        return When.year(int(match[1]), zone)
    if (match := _MONTH.match(text)) and 1 <= int(match[2]) <= 12:
        return When.month(int(match[1]), int(match[2]), zone)
    raise _FieldError(
        "start",
        f"'{start}' is not a date; write a date (2016-03-02), a local time (2016-03-02T10:00:00), "
        'a month ("2016-11"), a year ("2016") or "TBA"',
    )


def _bad_wall(wall: datetime, zone: ZoneInfo) -> bool:
    try:
        When.exact(wall, None, zone)
    except LocalTimeError:
        return True
    return False


def _sources(entries: list[SourceEntry], verified: date | None) -> tuple[Source, ...]:
    return tuple(Source(s.title, s.url, s.verified or verified) for s in entries)


def _entry_label(table: str, index: int, raw_id: object) -> str:
    if table == "dataset":
        return "[dataset]"
    if isinstance(raw_id, str) and raw_id:
        return f"{table} '{raw_id}'"
    return f"{table} #{index + 1}"
