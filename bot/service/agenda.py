"""The agenda as loaded: its commands (answered by the core) and autocomplete."""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from bot.core import (
    COMMANDS_BY_NAME,
    MAX_INPUT,
    Agenda,
    AgendaIndex,
    Asked,
    Body,
    CalendarFile,
    Clock,
    Completion,
    Library,
    OptionError,
    PlainTimes,
    Reply,
    Revision,
    TimeStyle,
    answers,
    clean_input,
    searching,
)
from bot.core.revisions import epochs, view_at, with_revisions
from bot.core.versions import VersionTable
from bot.core.when import suggest_zones

AUTOCOMPLETE_LIMIT = 25
_BEFORE_ANYTHING = datetime.min.replace(tzinfo=UTC)
log = logging.getLogger(__name__)
__all__ = ["AUTOCOMPLETE_LIMIT", "AgendaService", "OptionError"]


class AgendaService:
    """The agenda as known now, and its commands (/agenda, /next, /meeting, /topics, /topic,
    /search, /calendar, /help) and autocomplete, answered from it and its indexes.

    The agenda is made of the data files' revisions and those of editors and followed calendars
    (`set_revisions`); at any instant it is the fold of the revisions known by then, built once
    per instant at which something became known (and kept for the last few such instants)."""

    VIEWS_KEPT = 8

    def __init__(
        self, agenda: Agenda | Library, clock: Clock, times: TimeStyle | None = None
    ) -> None:
        self.clock = clock
        self.times: TimeStyle = times or PlainTimes()
        self._base = agenda.agenda if isinstance(agenda, Library) else agenda
        self._added: Mapping[str, Sequence[Revision]] = {}
        self._bodies: Mapping[str, Body] = {}
        self._combine(agenda if isinstance(agenda, Library) else None)

    def _combine(self, built: Library | None = None) -> None:
        base = self._base
        if any(body_id not in base.bodies for body_id in self._bodies):
            base = replace(base, bodies={**self._bodies, **base.bodies})
            built = None
        combined, problems = with_revisions(base, self._added)
        for problem in problems:
            log.warning("a revision in the database does not fit the agenda: %s", problem)
        # Readers see the old or the new state, never a mix: each is replaced whole.
        self._everything = built if built is not None else Library.build(combined, searched=False)
        self._epochs = epochs(combined)
        self._views: OrderedDict[int, Library] = OrderedDict()
        self._versions: VersionTable | None = None  # built when a list first needs it

    @property
    def agenda(self) -> Agenda:
        """The agenda as known now."""
        return self.library().agenda

    @property
    def index(self) -> AgendaIndex:
        return self.library().index

    @property
    def everything(self) -> Agenda:
        """The agenda with every revision, known now or later (for /history, export-data)."""
        return self._everything.agenda

    def library(self, now: datetime | None = None) -> Library:
        """The agenda as known at `now` (the clock's), with its indexes."""
        position = bisect_right(self._epochs, now or self.clock.now())
        if position == len(self._epochs):
            return self._everything
        view = self._views.get(position)
        if view is None:
            instant = self._epochs[position - 1] if position else _BEFORE_ANYTHING
            view = Library.build(view_at(self._everything.agenda, instant), searched=False)
            self._views[position] = view
            while len(self._views) > self.VIEWS_KEPT:
                self._views.popitem(last=False)
        else:
            self._views.move_to_end(position)
        return view

    def next_change(self, now: datetime) -> datetime | None:
        """The next instant after `now` at which something becomes known."""
        position = bisect_right(self._epochs, now)
        return self._epochs[position] if position < len(self._epochs) else None

    def replace_agenda(self, agenda: Agenda | Library) -> None:
        """Swap in a new data set (the data files changed)."""
        self._base = agenda.agenda if isinstance(agenda, Library) else agenda
        self._combine(agenda if isinstance(agenda, Library) and not self._added else None)

    def set_revisions(self, added: Mapping[str, Sequence[Revision]]) -> None:
        """The revisions kept in the database (editors', followed calendars'), by meeting."""
        if not added and not self._added:
            # None, as before (every start without edits): the agenda built from the data
            # files stays, with its indexes (the search index read from the cache among them).
            return
        self._added = added
        self._combine(None if added else Library.build(self._base, searched=False))

    def set_bodies(self, bodies: Mapping[str, Body]) -> None:
        """Bodies made for followed calendars (those of the data files win)."""
        if bodies != self._bodies:
            self._bodies = bodies
            self._combine(None)

    def asked(self, times: TimeStyle | None = None) -> Asked:
        """What the agenda's commands are answered from, now: the agenda as known now is
        folded only if a command needs more than a list (lists come from every version)."""
        now = self.clock.now()
        if self._versions is None:
            agenda = self._everything.agenda
            listed = {t.id: set(t.listed) for t in agenda.topics.values()}
            self._versions = VersionTable(agenda.records, listed)
        return Asked(
            lambda: self.library(now), now, times or self.times, self._versions, self._everything
        )

    # -- commands (the core answers them: bot.core.answers) ---------------------------------------

    def agenda_list(
        self,
        body: str | None = None,
        kind: str | None = None,
        topic: str | None = None,
        status: str | None = None,
        past: bool = False,
        page: int = 1,
        times: TimeStyle | None = None,
    ) -> Reply:
        return answers.agenda(self.asked(times), body, kind, topic, status, past, page)

    def next_meeting(self, body: str | None = None, times: TimeStyle | None = None) -> Reply:
        return answers.next_meeting(self.asked(times), body)

    def meeting(self, query: str, times: TimeStyle | None = None) -> Reply:
        return answers.meeting(self.asked(times), query)

    def topics(self, page: int = 1) -> Reply:
        return answers.topics(self.asked(), page)

    def topic(self, query: str, times: TimeStyle | None = None) -> Reply:
        return answers.topic(self.asked(times), query)

    def who(self, person: str, times: TimeStyle | None = None) -> Reply:
        return answers.who(self.asked(times), person)

    def search(self, query: str, page: int = 1, times: TimeStyle | None = None) -> Reply:
        return searching.search(self.asked(times), query, page)

    def export_calendar(
        self, body: str | None = None, topic: str | None = None, alarms: bool = False
    ) -> CalendarFile | Reply:
        """The calendar file, or a Reply explaining why the filter does not work."""
        return answers.calendar_file(self.asked(), body, topic, alarms)

    def calendar(
        self, body: str | None = None, topic: str | None = None, alarms: bool = False
    ) -> Reply:
        return answers.calendar(self.asked(), body, topic, alarms)

    def help(self, command: str | None = None) -> Reply:
        return answers.help_reply(self.asked(), command)

    # -- autocomplete ----------------------------------------------------------------------------

    def complete(
        self, what: Completion, typed: str, limit: int = AUTOCOMPLETE_LIMIT
    ) -> list[tuple[str, str]]:
        """Choices (label, value) for a partly typed name: alias- and typo-tolerant, best first."""
        loaded = self.library()
        text = clean_input(typed, MAX_INPUT)
        if what is Completion.COMMAND:
            return [(f"/{n}", n) for n in COMMANDS_BY_NAME if n.startswith(text.lstrip("/"))]
        if what is Completion.MEETING:
            if not text:
                upcoming = loaded.index.upcoming(self.clock.now(), size=limit).items
                return [(_cut(m.title), m.id) for m in upcoming]
            ranked = loaded.index.meetings.rank(text, limit)
            return [(_cut(loaded.agenda.meetings[r.id].title), r.id) for r in ranked]
        if what is Completion.REMINDER:
            return []  # one's own reminders: ReminderCommands.personal.complete knows the caller
        if what is Completion.ZONE:
            return [(zone, zone) for zone in suggest_zones(text or "UTC", limit)]
        if what is Completion.SCOPE:
            choices = [("all", "all")] if "all".startswith(text.casefold()) else []
            if text:
                for kind, index, names in (
                    (
                        "body",
                        loaded.index.bodies,
                        {b.id: b.label for b in loaded.agenda.bodies.values()},
                    ),
                    (
                        "topic",
                        loaded.index.topics,
                        {t.id: t.name for t in loaded.agenda.topics.values()},
                    ),
                    (
                        "meeting",
                        loaded.index.meetings,
                        {m.id: m.title for m in loaded.agenda.meetings.values()},
                    ),
                ):
                    choices += [
                        (_cut(f"{names[r.id]} ({kind})"), r.id) for r in index.rank(text, 8)
                    ]
            return choices[:limit]
        if what is Completion.PERSON:
            people = loaded.agenda.people
            if not text:
                return [(_cut(p.label), p.id) for p in people.values()][:limit]
            return [(_cut(people[r.id].label), r.id) for r in loaded.index.people.rank(text, limit)]
        if what is Completion.BODY:
            if not text:
                return [(_cut(b.label), b.id) for b in loaded.agenda.bodies.values()][:limit]
            ranked = loaded.index.bodies.rank(text, limit)
            return [(_cut(loaded.agenda.bodies[r.id].label), r.id) for r in ranked]
        if not text:
            return [(_cut(t.name), t.id) for t in loaded.agenda.topics.values()][:limit]
        ranked = loaded.index.topics.rank(text, limit)
        return [(_cut(loaded.agenda.topics[r.id].name), r.id) for r in ranked]


def _cut(label: str, limit: int = 100) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
