"""Validating parsed TOML documents into an Agenda: every problem at once, nothing half-loaded.

Reading the files is the caller's job (the core does no I/O); this module gets each file's name and
parsed content and either returns a complete Agenda or raises DataSetError listing every problem
with its file, entry and field.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from .chronicle import ReadMeeting, read_meeting_now, read_person, sources_of
from .entries import (
    BodyEntry,
    DatasetEntry,
    Entry,
    FeedEntry,
    MeetingEntry,
    PersonEntry,
    TopicEntry,
    explain,
)
from .following import feed_address
from .lookup import did_you_mean
from .model import (
    DEFAULT_LENGTH,
    Agenda,
    Body,
    Dataset,
    FeedSpec,
    Kind,
    Ladders,
    Person,
    Topic,
)
from .revisions import MeetingRecord, view_at
from .when import parse_lead


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
    "feed": FeedEntry,
    "person": PersonEntry,
}
_KNOWN_TOP_LEVEL = (*_TABLES, "ladders", "durations")


class _Builder:
    def __init__(self, problems: Iterable[Problem], release: bool = False) -> None:
        self.problems: list[Problem] = list(problems)
        self.release = release
        self.entries: dict[str, list[tuple[str, Any]]] = {table: [] for table in _TABLES}
        self.ladders: list[tuple[str, Mapping[str, Any]]] = []
        self.durations: list[tuple[str, Mapping[str, Any]]] = []
        self.ids: dict[str, set[str]] = {
            "body": set(),
            "meeting": set(),
            "topic": set(),
            "person": set(),
        }
        # Each table's ids in the order read, for `undo` (lists of strings: a tuple for each
        # entry of a large agenda would be left as free blocks the process keeps).
        self.named: dict[str, list[str]] = {table: [] for table in self.ids}

    def problem(self, file: str, entry: str, field: str, message: str) -> None:
        self.problems.append(Problem(file, entry, field, message))

    # -- structure -------------------------------------------------------------------------------

    def read_document(self, file: str, document: Mapping[str, Any], offset: int = 0) -> None:
        """`offset`: how many entries of its arrays of tables the file had before this part."""
        for key, value in document.items():
            if key not in _KNOWN_TOP_LEVEL:
                self.problem(
                    file, "", "", f"unknown table '{key}'{did_you_mean(key, _KNOWN_TOP_LEVEL)}"
                )
            elif key in ("ladders", "durations"):
                if isinstance(value, Mapping):
                    getattr(self, key).append((file, value))
                else:
                    self.problem(file, f"[{key}]", "", f"must be a table: [{key}]")
            elif key == "dataset":
                if isinstance(value, Mapping):
                    self.read_entry(file, "dataset", 0, value)
                else:
                    self.problem(file, "[dataset]", "", "must be a table: [dataset]")
            elif isinstance(value, list) and all(isinstance(item, Mapping) for item in value):
                for index, item in enumerate(value, start=offset):
                    self.read_entry(file, key, index, item)
                    if self.release:  # its entry holds what is needed of it
                        value[index - offset] = None
            else:
                self.problem(file, f"[[{key}]]", "", f"must be an array of tables: [[{key}]]")

    def read_entry(self, file: str, table: str, index: int, raw: Mapping[str, Any]) -> None:
        raw_id = raw.get("id")
        # Named only where a problem is told: most entries have none.
        if table in self.ids and isinstance(raw_id, str):
            if raw_id in self.ids[table]:
                label = _entry_label(table, index, raw_id)
                self.problem(file, label, "id", f"duplicate {table} id '{raw_id}'")
                return
            self.ids[table].add(raw_id)
            self.named[table].append(raw_id)
        model = _TABLES[table]
        if table == "dataset" and "sources_verified" in raw:
            self.problem(
                file,
                _entry_label(table, index, raw_id),
                "sources_verified",
                "a data set no longer stamps every source as verified; remove it, and give "
                "`verified = <date>` on each source someone has checked",
            )
            raw = {k: v for k, v in raw.items() if k != "sources_verified"}
        try:
            # A copy only of what is not a dict already: the model does not keep its input.
            entry = model.model_validate(raw if type(raw) is dict else dict(raw))
        except ValidationError as error:
            label = _entry_label(table, index, raw_id)
            for detail in error.errors():
                field, message = explain(detail, model)
                self.problem(file, label, field, message)
            return
        if isinstance(entry, MeetingEntry) and self.entries["dataset"]:
            # Read now, and the entry let go: the data set that gives a meeting its default
            # `known` is the first one read, whatever is read later.
            read = read_meeting_now(entry, self.entries["dataset"][0][1].updated)
            self.entries[table].append((file, read))
        else:
            self.entries[table].append((file, entry))

    # -- meaning ---------------------------------------------------------------------------------

    def reference(
        self, file: str, label: str, field: str, table: str, ids: Collection[str]
    ) -> None:
        if self.ids[table].issuperset(ids):  # as nearly always: one look in C
            return
        for ref in ids:
            if ref not in self.ids[table]:
                hint = did_you_mean(ref, sorted(self.ids[table]))
                self.problem(file, label, field, f"unknown {table} '{ref}'{hint}")

    def build_dataset(self) -> Dataset | None:
        if not self.entries["dataset"]:
            self.problem("(data directory)", "", "", "no [dataset] table in any file; add one")
            return None
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
        return dataset

    def build_bodies(self) -> dict[str, Body]:
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
                sources=sources_of(entry.sources),
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

    def build_meetings(self, dataset: Dataset | None) -> dict[str, MeetingRecord]:
        records: dict[str, MeetingRecord] = {}
        # Each entry is let go once its meeting is made: only the meetings are kept.
        entries, self.entries["meeting"] = self.entries["meeting"], []
        entries.reverse()
        while entries:
            file, entry = entries.pop()
            if not isinstance(entry, ReadMeeting):  # read before the data set
                entry = read_meeting_now(entry, dataset.updated if dataset else None)
            # Its references checked (to bodies and topics perhaps read after it), then the
            # problems reading it found.
            label = _entry_label("meeting", 0, entry.id)
            self.reference(file, label, "bodies", "body", entry.bodies)
            self.reference(file, label, "topics", "topic", entry.topics)
            for number, topics in entry.later_topics:
                self.reference(file, label, f"history[{number}].topics", "topic", topics)
            for field, message in entry.problems:
                self.problem(file, label, field, message)
            if entry.record is not None:
                records[entry.id] = entry.record
        return records

    def build_topics(self, dataset: Dataset | None) -> dict[str, Topic]:
        topics: dict[str, Topic] = {}
        for file, entry in self.entries["topic"]:
            label = _entry_label("topic", 0, entry.id)
            self.reference(file, label, "bodies", "body", entry.bodies)
            self.reference(file, label, "meetings", "meeting", entry.meetings)
            topics[entry.id] = Topic(
                id=entry.id,
                name=entry.name,
                summary=entry.summary,
                aliases=tuple(entry.aliases),
                keywords=tuple(entry.keywords),
                involved=tuple(entry.involved),
                bodies=tuple(entry.bodies),
                confidence=entry.confidence,
                listed=tuple(entry.meetings),
                updated=entry.updated or (dataset.updated if dataset else None),
                sources=sources_of(entry.sources),
            )
        return topics

    def build_people(self, records: Mapping[str, MeetingRecord]) -> dict[str, Person]:
        meetings = {meeting_id: record.latest for meeting_id, record in records.items()}
        people: dict[str, Person] = {}
        for file, entry in self.entries["person"]:
            label = _entry_label("person", 0, entry.id)
            for number, role in enumerate(entry.roles, start=1):
                self.reference(file, label, f"roles[{number}].meeting", "meeting", [role.meeting])
                if role.topic is not None:
                    self.reference(file, label, f"roles[{number}].topic", "topic", [role.topic])

            def report(field: str, message: str, file: str = file, label: str = label) -> None:
                self.problem(file, label, field, message)

            people[entry.id] = read_person(entry, meetings, report)
        return people

    def build_follows(self) -> tuple[FeedSpec, ...]:
        follows: dict[str, FeedSpec] = {}
        for index, (file, entry) in enumerate(self.entries["feed"]):
            label = _entry_label("feed", index, None)
            if entry.body is not None:
                self.reference(file, label, "body", "body", [entry.body])
            self.reference(file, label, "topics", "topic", entry.topics)
            address = feed_address(entry.url)
            if address is None:
                self.problem(
                    file, label, "url", "must be an https://, http:// or webcal:// address"
                )
            elif address in follows:
                self.problem(file, label, "url", "this calendar is listed twice")
            else:
                follows[address] = FeedSpec(address, entry.body, entry.kind, tuple(entry.topics))
        return tuple(follows.values())

    def build_ladders(self) -> Ladders:
        default = DEFAULT_LADDER
        by_kind: dict[Kind, tuple[timedelta, ...]] = {}
        for file, key, value in self._by_kind("ladders"):
            leads = self.leads(file, key, value)
            if leads is None:
                continue
            if key == "default":
                default = leads
            else:
                by_kind[Kind(key)] = leads
        length = DEFAULT_LENGTH
        lengths: dict[Kind, timedelta] = {}
        for file, key, value in self._by_kind("durations"):
            try:
                found = parse_lead(value) if isinstance(value, str) else None
            except ValueError as error:
                self.problem(file, "[durations]", key, str(error))
                continue
            if found is None or not found > timedelta(0):
                self.problem(file, "[durations]", key, 'must be a length such as "2h" or "1h30m"')
                continue
            if key == "default":
                length = found
            else:
                lengths[Kind(key)] = found
        return Ladders(default=default, by_kind=by_kind, length=length, lengths=lengths)

    def _by_kind(self, table: str) -> Iterable[tuple[str, str, object]]:
        """(file, kind or "default", value) of every entry of [ladders] or [durations]; an
        unknown kind is a problem."""
        kinds = [kind.value for kind in Kind]
        for file, entries in getattr(self, table):
            for key, value in entries.items():
                if key == "default" or key in kinds:
                    yield file, key, value
                    continue
                names = ["default", *kinds]
                self.problem(
                    file,
                    f"[{table}]",
                    key,
                    f"unknown kind of meeting{did_you_mean(key, names)}; "
                    f"use one of: {', '.join(names)}",
                )

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
    documents: Mapping[str, Mapping[str, Any]],
    problems: Iterable[Problem] = (),
    release: bool = False,
) -> Agenda:
    """Validate parsed documents (file name -> TOML content) into an Agenda.

    `problems` carries what the caller already found (files that did not parse), so that every
    problem is reported together. Raises DataSetError unless the whole data set is valid.
    `release`: the documents are the caller's to give up; each entry of an array of tables is
    replaced by None once read, so that a large agenda's parsed files are not all kept while
    its entries are made.
    """
    reader = AgendaReader(problems, release)
    for file in sorted(documents):
        reader.read(file, documents[file])
    return reader.agenda()


# What a file may hold many of, and may be read in parts: its entries are numbered on.
ARRAYS = frozenset(_TABLES) - {"dataset"}


class AgendaReader:
    """build_agenda with the documents given one at a time, in the order of their files' names,
    and a large file in parts (the keys before its first entry of an array in ARRAYS, that
    array's entries a part at a time, then the keys after): the entries of a part are read, and
    the part can be let go, before the next is parsed. The parsed form of a large file is many
    small objects, and the memory of those that are all alive at once stays with the process
    (at 100,000 meetings, over 100 MB of blocks left free). What `mark` saw can be restored by
    `undo` (a later part that does not parse: the file is then a problem as a whole)."""

    def __init__(self, problems: Iterable[Problem] = (), release: bool = True) -> None:
        self._builder = _Builder(problems, release)

    def read(self, file: str, document: Mapping[str, Any], offset: int = 0) -> None:
        self._builder.read_document(file, document, offset)

    def problem(self, problem: Problem) -> None:
        """What is wrong with a file as a whole (it is not UTF-8, or not TOML)."""
        self._builder.problems.append(problem)

    def mark(self) -> tuple[int, ...]:
        builder = self._builder
        found = (len(builder.problems), len(builder.ladders), len(builder.durations))
        counts = [len(entries) for entries in builder.entries.values()]
        return (*found, *counts, *(len(named) for named in builder.named.values()))

    def undo(self, mark: tuple[int, ...]) -> None:
        builder = self._builder
        del builder.problems[mark[0] :], builder.ladders[mark[1] :]
        del builder.durations[mark[2] :]
        counts = mark[3 + len(builder.entries) :]
        for (table, named), count in zip(builder.named.items(), counts, strict=True):
            builder.ids[table].difference_update(named[count:])
            del named[count:]
        for entries, count in zip(builder.entries.values(), mark[3:], strict=False):
            del entries[count:]

    def agenda(self) -> Agenda:
        """The Agenda of everything read; raises DataSetError unless it is all valid."""
        return _agenda(self._builder)


def _agenda(builder: _Builder) -> Agenda:
    dataset = builder.build_dataset()
    bodies = builder.build_bodies()
    records = builder.build_meetings(dataset)
    topics = builder.build_topics(dataset)
    people = builder.build_people(records)
    ladders = builder.build_ladders()
    follows = builder.build_follows()
    if builder.problems or dataset is None:
        # Grouped by file, in the order found within each file.
        raise DataSetError(sorted(builder.problems, key=lambda problem: problem.file))
    agenda = Agenda(
        dataset=dataset,
        bodies=bodies,
        meetings={},
        topics=dict(sorted(topics.items(), key=lambda item: item[1].name.casefold())),
        ladders=ladders,
        records=records,
        follows=follows,
        people=dict(sorted(people.items(), key=lambda item: item[1].name.casefold())),
    )
    return view_at(agenda, None)


def _entry_label(table: str, index: int, raw_id: object) -> str:
    if table == "dataset":
        return "[dataset]"
    if isinstance(raw_id, str) and raw_id:
        return f"{table} '{raw_id}'"
    return f"{table} #{index + 1}"
