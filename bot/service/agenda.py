"""The one service API: every adapter calls these methods and shows the Reply it gets."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from bot.core import (
    COMMANDS_BY_NAME,
    MAX_INPUT,
    MEDIA_TYPE,
    Agenda,
    AgendaFilter,
    AgendaIndex,
    Attachment,
    CalendarFile,
    Clock,
    Completion,
    Kind,
    Library,
    Page,
    PlainTimes,
    Renderer,
    Reply,
    Resolution,
    Status,
    TimeStyle,
    calendar_name,
    clean_input,
    normalize,
    scope_labels,
    write_calendar,
)
from bot.core.reply import error
from bot.core.when import suggest_zones

E = TypeVar("E", bound=StrEnum)
AUTOCOMPLETE_LIMIT = 25


class OptionError(ValueError):
    """An option value that cannot be used; the message says what to type instead."""


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

    def _renderer(self, times: TimeStyle | None) -> Renderer:
        return Renderer(self._loaded.agenda, times or self.times)

    # -- commands --------------------------------------------------------------------------------

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
        render = self._renderer(times)
        try:
            where = AgendaFilter(
                body=self._body_id(body),
                kind=_choice(Kind, kind, "kind"),
                topic=self._topic_id(topic),
                status=_choice(Status, status, "status"),
            )
        except _Unresolved as missing:
            return render.unresolved(missing.what, missing.resolution, f"/{missing.what}")
        except OptionError as problem:
            return error("That filter does not work", str(problem))
        now = self.clock.now()
        index = self._loaded.index
        found = index.past(now, where, page) if past else index.upcoming(now, where, page)
        command = _command_text(
            "agenda", body=body, kind=kind, topic=topic, status=status, past="yes" if past else None
        )
        return render.agenda_list(found, where, past, now, command)

    def next_meeting(self, body: str | None = None, times: TimeStyle | None = None) -> Reply:
        render = self._renderer(times)
        try:
            body_id = self._body_id(body)
        except _Unresolved as missing:
            return render.unresolved(missing.what, missing.resolution, "/next")
        now = self.clock.now()
        return render.next_meeting(self._loaded.index.next(now, body_id), body_id, now)

    def meeting(self, query: str, times: TimeStyle | None = None) -> Reply:
        render = self._renderer(times)
        text = clean_input(query, MAX_INPUT)
        if not text:
            return error("Which meeting?", "Give a name, for example `/meeting PTC 211`.")
        now = self.clock.now()
        resolution = self._loaded.index.find_meeting(text, now)
        if resolution.found is None:
            return render.unresolved("meeting", resolution, "/meeting")
        meetings = self._loaded.agenda.meetings
        others = [meetings[i] for i in resolution.suggestions[:3]]
        return render.meeting(meetings[resolution.found], now, others)

    def topics(self, page: int = 1) -> Reply:
        return self._renderer(None).topics(self._loaded.index.topics_page(page))

    def topic(self, query: str, times: TimeStyle | None = None) -> Reply:
        render = self._renderer(times)
        text = clean_input(query, MAX_INPUT)
        if not text:
            return error(
                "Which topic?",
                "Give a name, for example `/topic 3d printing`; `/topics` lists them all.",
            )
        resolution = self._loaded.index.find_topic(text)
        if resolution.found is None:
            return render.unresolved("topic", resolution, "/topic")
        return render.topic(self._loaded.agenda.topics[resolution.found], self.clock.now())

    def search(self, query: str, page: int = 1, times: TimeStyle | None = None) -> Reply:
        render = self._renderer(times)
        text = clean_input(query, MAX_INPUT)
        if not any(ch.isalnum() for ch in text):
            return error(
                "What should I look for?",
                "Give some words, for example `/search future of customs`.",
            )
        result = self._loaded.search.search(text)
        found = Page.of(result.hits, page)
        return render.search(result, found, self.clock.now(), _command_text("search", query=text))

    def export_calendar(
        self, body: str | None = None, topic: str | None = None, alarms: bool = False
    ) -> CalendarFile | Reply:
        """The calendar file, or a Reply explaining why the filter does not work."""
        try:
            body_id = self._body_id(body)
            topic_id = self._topic_id(topic)
        except _Unresolved as missing:
            return self._renderer(None).unresolved(missing.what, missing.resolution, "/calendar")
        agenda = self._loaded.agenda
        meetings = self._loaded.index.scoped(body_id, topic_id)
        name = calendar_name(agenda, scope_labels(agenda, body_id, topic_id))
        return write_calendar(agenda, meetings, name=name, alarms=alarms)

    def calendar(
        self, body: str | None = None, topic: str | None = None, alarms: bool = False
    ) -> Reply:
        exported = self.export_calendar(body, topic, alarms)
        if isinstance(exported, Reply):
            return exported
        if not exported.included:
            return error(
                "No meeting to put in a calendar",
                "Nothing with a known day matches; try `/calendar` without filters.",
            )
        parts = [f"{len(exported.included)} meetings"]
        if alarms:
            parts.append("with reminders from the reminder ladder")
        text = " ".join(parts) + ". Import the file into any calendar application."
        if exported.left_out:
            text += (
                "\nLeft out, no day known yet: "
                + ", ".join(m.title for m in exported.left_out)
                + "."
            )
        return Reply(
            title="Calendar",
            body=text,
            attachment=Attachment(_filename(body, topic), exported.content, MEDIA_TYPE),
        )

    def help(self, command: str | None = None) -> Reply:
        render = self._renderer(None)
        if not command:
            return render.help()
        name = command.strip().lstrip("/").casefold()
        spec = COMMANDS_BY_NAME.get(name)
        if spec is None:
            return error(
                f"There is no /{clean_input(name, 40)} command",
                "Type `/help` for the list of commands.",
            )
        return render.help(spec)

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

    # -- resolving names -------------------------------------------------------------------------

    def _body_id(self, text: str | None) -> str | None:
        cleaned = clean_input(text or "", MAX_INPUT)
        if not cleaned or normalize(cleaned) == "all":
            return None
        resolution = self._loaded.index.find_body(cleaned)
        if resolution.found is None:
            raise _Unresolved("body", resolution)
        return resolution.found

    def _topic_id(self, text: str | None) -> str | None:
        cleaned = clean_input(text or "", MAX_INPUT)
        if not cleaned:
            return None
        resolution = self._loaded.index.find_topic(cleaned)
        if resolution.found is None:
            raise _Unresolved("topic", resolution)
        return resolution.found


class _Unresolved(Exception):
    def __init__(self, what: str, resolution: Resolution) -> None:
        super().__init__(what)
        self.what = what
        self.resolution = resolution


def _choice(enum: type[E], text: str | None, name: str) -> E | None:
    if text is None or not text.strip():
        return None
    key = normalize(text).replace(" ", "-")
    for member in enum:
        if member.value == key:
            return member
    choices = ", ".join(member.value for member in enum)
    raise OptionError(
        f"'{clean_input(text, 40)}' is not a {name}; use one of: {choices} "
        f"(for example `{name}:{next(iter(enum)).value}`)"
    )


def _command_text(name: str, **options: str | None) -> str:
    parts = [f"/{name}"]
    parts += [f"{key}:{value}" for key, value in options.items() if value]
    return " ".join(parts)


def _filename(body: str | None, topic: str | None) -> str:
    scope = "-".join(normalize(part).replace(" ", "-") for part in (body, topic) if part)
    return f"agenda-{scope}.ics" if scope else "agenda.ics"


def _cut(label: str, limit: int = 100) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
