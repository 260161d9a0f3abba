"""The agenda's commands answered: /agenda, /next, /meeting, /topics, /topic, /who, /calendar
file, /help, /history and /changes (and /search, from `searching`), each a function of what it is
asked from (the data set, now, how times are shown) and its options, converted by their declared
type (`commands.convert_options`).

`ANSWERS` maps each of these commands of the table to its function: the service runs them for
every adapter without knowing them one by one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from . import searching
from .asked import Asked, command_text
from .calendar import MEDIA_TYPE, CalendarFile, calendar_name, scope_labels, write_calendar
from .commands import COMMANDS_BY_NAME, MAX_INPUT, OptionError
from .histories import changes_reply, history_reply
from .library import Library
from .lookup import Resolution
from .model import Kind, Status
from .queries import AgendaFilter
from .render import Renderer
from .reply import Attachment, Reply, error
from .text import clean_input, normalize
from .when import parse_lead

E = TypeVar("E", bound=StrEnum)
CHANGES_SPAN = timedelta(days=7)  # what /changes shows without `since`


def agenda(
    asked: Asked,
    body: str | None = None,
    kind: str | None = None,
    topic: str | None = None,
    status: str | None = None,
    past: bool = False,
    page: int = 1,
) -> Reply:
    names = asked.names
    render = Renderer(names.agenda, asked.times)
    try:
        where = AgendaFilter(
            body=_body_id(names, body),
            kind=_choice(Kind, kind, "kind"),
            topic=_topic_id(names, topic),
            status=_choice(Status, status, "status"),
        )
    except _Unresolved as missing:
        return render.unresolved(missing.what, missing.resolution, f"/{missing.what}")
    except OptionError as problem:
        return error("That filter does not work", str(problem))
    now = asked.now
    lists = asked.versions or asked.library.index
    found = lists.past(now, where, page) if past else lists.upcoming(now, where, page)
    command = command_text(
        "agenda", body=body, kind=kind, topic=topic, status=status, past="yes" if past else None
    )
    return render.agenda_list(found, where, past, now, command)


def next_meeting(asked: Asked, body: str | None = None) -> Reply:
    try:
        body_id = _body_id(asked.names, body)
    except _Unresolved as missing:
        return asked.render.unresolved(missing.what, missing.resolution, "/next")
    found = asked.library.index.next(asked.now, body_id)
    return asked.render.next_meeting(found, body_id, asked.now)


def meeting(asked: Asked, meeting: str = "") -> Reply:
    text = clean_input(meeting, MAX_INPUT)
    if not text:
        return error("Which meeting?", "Give a name, for example `/meeting PTC 211`.")
    resolution = asked.library.index.find_meeting(text, asked.now)
    if resolution.found is None:
        return asked.render.unresolved("meeting", resolution, "/meeting")
    meetings = asked.library.agenda.meetings
    others = [meetings[i] for i in resolution.suggestions[:3]]
    return asked.render.meeting(meetings[resolution.found], asked.now, others)


def topics(asked: Asked, page: int = 1) -> Reply:
    return asked.render.topics(asked.library.index.topics_page(page))


def topic(asked: Asked, topic: str = "") -> Reply:
    text = clean_input(topic, MAX_INPUT)
    if not text:
        return error(
            "Which topic?",
            "Give a name, for example `/topic 3d printing`; `/topics` lists them all.",
        )
    resolution = asked.library.index.find_topic(text)
    if resolution.found is None:
        return asked.render.unresolved("topic", resolution, "/topic")
    return asked.render.topic(asked.library.agenda.topics[resolution.found], asked.now)


def who(asked: Asked, person: str = "") -> Reply:
    text = clean_input(person, MAX_INPUT)
    if not text:
        return error("Who?", "Give a name, for example `/who Van Kuik`.")
    resolution = asked.library.index.find_person(text)
    if resolution.found is None:
        return asked.render.unresolved("person", resolution, "/who")
    return asked.render.person(asked.library.agenda.people[resolution.found])


def calendar_file(
    asked: Asked, body: str | None = None, topic: str | None = None, alarms: bool = False
) -> CalendarFile | Reply:
    """The calendar file, or a Reply explaining why the filter does not work."""
    try:
        body_id = _body_id(asked.names, body)
        topic_id = _topic_id(asked.names, topic)
    except _Unresolved as missing:
        return asked.render.unresolved(missing.what, missing.resolution, "/calendar")
    agenda = asked.library.agenda
    meetings = asked.library.index.scoped(body_id, topic_id)
    name = calendar_name(agenda, scope_labels(agenda, body_id, topic_id))
    return write_calendar(agenda, meetings, name=name, alarms=alarms)


def calendar(
    asked: Asked, body: str | None = None, topic: str | None = None, alarms: bool = False
) -> Reply:
    exported = calendar_file(asked, body, topic, alarms)
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
        text += "\nLeft out, no day known yet: " + ", ".join(m.title for m in exported.left_out)
        text += "."
    return Reply(
        title="Calendar",
        body=text,
        attachment=Attachment(_filename(body, topic), exported.content, MEDIA_TYPE),
    )


def help_reply(asked: Asked, command: str | None = None) -> Reply:
    if not command:
        return asked.render.help()
    name = command.strip().lstrip("/").casefold()
    spec = COMMANDS_BY_NAME.get(name)
    if spec is None:
        return error(
            f"There is no /{clean_input(name, 40)} command",
            "Type `/help` for the list of commands.",
        )
    return asked.render.help(spec)


def history(asked: Asked, meeting: str = "", page: int = 1) -> Reply:
    text = clean_input(meeting, MAX_INPUT)
    if not text:
        return error("Which meeting?", "Give a name, for example `/history PTC 211`.")
    resolution = asked.library.index.find_meeting(text, asked.now)
    if resolution.found is None:
        return asked.render.unresolved("meeting", resolution, "/history")
    found = asked.library.agenda.meetings[resolution.found]
    return history_reply(asked.library.agenda, found, page, asked.times, asked.now)


def changes(asked: Asked, since: str | None = None, page: int = 1) -> Reply:
    try:
        start = _since(since, asked.now)
    except ValueError as problem:
        return error("Since when?", str(problem))
    found = [
        (meeting, index)
        for meeting in asked.library.agenda.meetings.values()
        for index, revision in enumerate(meeting.history)
        if start <= revision.known <= asked.now
    ]
    found.sort(key=lambda item: (item[0].history[item[1]].known, item[0].id), reverse=True)
    return changes_reply(asked.library.agenda, found, start, asked.now, page, asked.times)


def _since(text: str | None, now: datetime) -> datetime:
    """A date ("2016-03-01", from its start, UTC) or a span back from now ("30d", "2w")."""
    value = clean_input(text or "", 40)
    if not value:
        return now - CHANGES_SPAN
    try:
        return datetime.combine(date.fromisoformat(value), time(0), tzinfo=UTC)
    except ValueError:
        pass
    try:
        return now - parse_lead(value)
    except ValueError:
        raise ValueError(
            f"'{value}' is neither a date nor a span; write `since:2016-03-01` or `since:30d`"
        ) from None


ANSWERS: dict[str, Callable[..., Any]] = {
    "agenda": agenda,
    "next": next_meeting,
    "meeting": meeting,
    "topics": topics,
    "topic": topic,
    "who": who,
    "search": searching.search,
    "calendar file": calendar,
    "help": help_reply,
    "history": history,
    "changes": changes,
}


# -- resolving names -----------------------------------------------------------------------------


class _Unresolved(Exception):
    def __init__(self, what: str, resolution: Resolution) -> None:
        super().__init__(what)
        self.what = what
        self.resolution = resolution


def _body_id(library: Library, text: str | None) -> str | None:
    cleaned = clean_input(text or "", MAX_INPUT)
    if not cleaned or normalize(cleaned) == "all":
        return None
    resolution = library.index.find_body(cleaned)
    if resolution.found is None:
        raise _Unresolved("body", resolution)
    return resolution.found


def _topic_id(library: Library, text: str | None) -> str | None:
    cleaned = clean_input(text or "", MAX_INPUT)
    if not cleaned:
        return None
    resolution = library.index.find_topic(cleaned)
    if resolution.found is None:
        raise _Unresolved("topic", resolution)
    return resolution.found


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


def _filename(body: str | None, topic: str | None) -> str:
    scope = "-".join(normalize(part).replace(" ", "-") for part in (body, topic) if part)
    return f"agenda-{scope}.ics" if scope else "agenda.ics"
