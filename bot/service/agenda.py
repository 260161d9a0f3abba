"""The agenda as loaded: its commands (answered by the core) and autocomplete."""

from __future__ import annotations

from bot.core import (
    COMMANDS_BY_NAME,
    MAX_INPUT,
    Agenda,
    AgendaIndex,
    Asked,
    CalendarFile,
    Clock,
    Completion,
    Library,
    OptionError,
    PlainTimes,
    Reply,
    TimeStyle,
    answers,
    clean_input,
)
from bot.core.when import suggest_zones

AUTOCOMPLETE_LIMIT = 25
__all__ = ["AUTOCOMPLETE_LIMIT", "AgendaService", "OptionError"]


class AgendaService:
    """The agenda's commands (/agenda, /next, /meeting, /topics, /topic, /search, /calendar,
    /help) and autocomplete, answered from the loaded data set and its indexes."""

    def __init__(
        self, agenda: Agenda | Library, clock: Clock, times: TimeStyle | None = None
    ) -> None:
        self._loaded = agenda if isinstance(agenda, Library) else Library.build(agenda)
        self.clock = clock
        self.times: TimeStyle = times or PlainTimes()

    @property
    def agenda(self) -> Agenda:
        return self._loaded.agenda

    @property
    def index(self) -> AgendaIndex:
        return self._loaded.index

    def replace_agenda(self, agenda: Agenda | Library) -> None:
        """Swap in a new data set; readers see the old or the new one, never a mix."""
        self._loaded = agenda if isinstance(agenda, Library) else Library.build(agenda)

    def asked(self, times: TimeStyle | None = None) -> Asked:
        """What the agenda's commands are answered from, now."""
        return Asked(self._loaded, self.clock.now(), times or self.times)

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

    def search(self, query: str, page: int = 1, times: TimeStyle | None = None) -> Reply:
        return answers.search(self.asked(times), query, page)

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
        loaded = self._loaded
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
