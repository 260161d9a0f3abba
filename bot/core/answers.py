"""The agenda's commands answered: /agenda, /next, /meeting, /topics, /topic, /search, /calendar
file and /help, each a function of what it is asked from (the data set, now, how times are shown)
and its options, converted by their declared type (`commands.convert_options`).

`ANSWERS` maps each of these commands of the table to its function: the service runs them for
every adapter without knowing them one by one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from .calendar import MEDIA_TYPE, CalendarFile, calendar_name, scope_labels, write_calendar
from .commands import COMMANDS_BY_NAME, MAX_INPUT, OptionError
from .formatting import TimeStyle
from .histories import changes_reply, history_reply
from .library import Library
from .lookup import Resolution
from .model import Kind, Status
from .periods import FRAMES, Period, find_period
from .queries import AgendaFilter, Page
from .render import Renderer
from .reply import Attachment, Reply, error
from .search import Hit, SearchResult
from .text import clean_input, normalize, tokens
from .versions import VersionTable
from .when import parse_lead

E = TypeVar("E", bound=StrEnum)
CHANGES_SPAN = timedelta(days=7)  # what /changes shows without `since`


@dataclass(frozen=True, slots=True)
class Asked:
    """What a command is answered from: the agenda as known now (built when first needed),
    now, the adapter's way of showing times; and, where the service has them, every version of
    every meeting (lists at any instant without folding the agenda) and the whole agenda (its
    bodies and topics, for names)."""

    view: Library | Callable[[], Library]
    now: datetime
    times: TimeStyle
    versions: VersionTable | None = None
    whole: Library | None = None

    @property
    def library(self) -> Library:
        return self.view if isinstance(self.view, Library) else self.view()

    @property
    def names(self) -> Library:
        """Where bodies and topics are looked up by name: they do not change over time."""
        return self.whole or self.library

    @property
    def render(self) -> Renderer:
        return Renderer(self.library.agenda, self.times)


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
    command = _command_text(
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


def search(asked: Asked, query: str = "", page: int = 1) -> Reply:
    text = clean_input(query, MAX_INPUT)
    if not any(ch.isalnum() for ch in text):
        return error(
            "What should I look for?", "Give some words, for example `/search future of customs`."
        )
    asks_who, rest = _asks_who(text)
    period, words = find_period(rest, asked.now)
    if period is not None and not any(map(period.holds, asked.library.agenda.meetings.values())):
        period = None  # no meeting in it at all ("the 1999 protocol"): the date is just words
    soonest = _coming(asked, rest) if period is None else None
    if soonest is not None:
        result = soonest
    elif period is None:
        result = asked.library.search.search(rest)
    else:
        result = _in_period(asked, rest, period, words, asks_who)
    if asks_who:  # "who chaired ...": people first, then what else was found
        people = tuple(h for h in result.hits if h.kind == "person")
        others = tuple(h for h in result.hits if h.kind != "person")
        result = replace(result, query=text, hits=people + others)
    found = Page.of(result.hits, page)
    command = _command_text("search", query=text)
    within = period.label if period is not None else ""
    return asked.render.search(result, found, asked.now, command, within, bool(soonest))


def _asks_who(text: str) -> tuple[bool, str]:
    """Whether a question asks for people ("who chaired the PTC", "qui a présidé"), and the
    rest of it to search for."""
    first, _, rest = text.strip().partition(" ")
    if normalize(first) in _WHO and any(ch.isalnum() for ch in rest):
        return True, rest
    return False, text


_WHO = frozenset({"who", "whom", "qui"})
_NEXT = frozenset({"next", "upcoming", "prochain", "prochaine", "prochains", "prochaines"})


def _coming(asked: Asked, text: str) -> SearchResult | None:
    """ "next PTC": the meetings not yet over that have every other word, soonest first (those
    known by their month or year after those with a day). None if the question is not that,
    or nothing coming has every word."""
    typed = tokens(text)
    if not typed or typed[0] not in _NEXT:
        return None
    words = " ".join(w for w in typed[1:] if w not in FRAMES)  # "prochaine réunion du CTP"
    if not words:
        return None
    agenda = asked.library.agenda
    found = asked.library.search.search(words, limit=max(1, len(agenda.meetings)), every_word=True)
    coming = [
        agenda.meetings[h.id]
        for h in found.hits
        if h.kind == "meeting" and not agenda.meetings[h.id].when.has_ended(asked.now)
    ]
    if not coming:
        return None
    coming.sort(key=lambda m: (not m.when.precision.has_day, m.when.sort_key()))
    hits = tuple(Hit("meeting", m.id, 0.0) for m in coming)
    return SearchResult(text, found.terms, found.corrected, hits)


def _in_period(
    asked: Asked, text: str, period: Period, words: str, people: bool = False
) -> SearchResult:
    """The meetings of a period: those the other words find, best first; without other words,
    every meeting of the period, in order. With `people`, also who did something at them."""
    agenda = asked.library.agenda
    held = {m.id for m in agenda.meetings.values() if period.holds(m)}
    # Meetings whose days are known come first; one known by its month or year only may fall
    # in the period, and follows.
    vague = {i for i in held if not agenda.meetings[i].when.precision.has_day}
    if not any(ch.isalnum() for ch in words):
        ordered = [m.id for m in asked.library.index.scoped() if m.id in held]
        ordered.sort(key=lambda i: i in vague)
        return SearchResult(text, (), {}, tuple(Hit("meeting", i, 0.0) for i in ordered))
    everything = len(agenda.meetings) + len(agenda.topics) + len(agenda.people)
    found = asked.library.search.search(words, limit=max(1, everything))
    acted = {
        p.id for p in agenda.people.values() if people and any(r.meeting in held for r in p.roles)
    }
    hits = sorted(
        (
            h
            for h in found.hits
            if (h.kind == "meeting" and h.id in held) or (h.kind == "person" and h.id in acted)
        ),
        key=lambda h: h.kind == "meeting" and h.id in vague,
    )
    return SearchResult(text, found.terms, found.corrected, tuple(hits))


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
    "search": search,
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


def _command_text(name: str, **options: str | None) -> str:
    parts = [f"/{name}"]
    parts += [f"{key}:{value}" for key, value in options.items() if value]
    return " ".join(parts)


def _filename(body: str | None, topic: str | None) -> str:
    scope = "-".join(normalize(part).replace(" ", "-") for part in (body, topic) if part)
    return f"agenda-{scope}.ics" if scope else "agenda.ics"
