"""The bot's commands, declared once: the console parses by this table, the Discord cogs are
checked against it, and /help is written from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from .mirroring import DEFAULT_COUNT
from .model import Kind, Status
from .text import whole_number


class OptionType(StrEnum):
    TEXT = "text"
    BOOL = "yes/no"
    PAGE = "page number"
    CHOICE = "choice"


class Completion(StrEnum):
    """What an option is completed from (Discord autocomplete, console hints)."""

    MEETING = "meeting"
    BODY = "body"
    TOPIC = "topic"
    PERSON = "person"
    COMMAND = "command"
    SCOPE = "scope"  # a body, a topic or a meeting
    ZONE = "zone"
    REMINDER = "reminder"  # one of the caller's own reminders


@dataclass(frozen=True, slots=True)
class OptionSpec:
    name: str
    description: str
    type: OptionType = OptionType.TEXT
    required: bool = False
    choices: tuple[str, ...] = ()
    completion: Completion | None = None


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    description: str
    options: tuple[OptionSpec, ...] = ()
    examples: tuple[str, ...] = ()
    # The option that text without a `name:` prefix fills (`/topic 3d printing`).
    main: str | None = None
    # A command with subcommands (`/calendar link`) runs `default` when none is named.
    subcommands: tuple[CommandSpec, ...] = ()
    default: str | None = None
    parent: str | None = None

    def option(self, name: str) -> OptionSpec | None:
        return next((o for o in self.options if o.name == name), None)

    def subcommand(self, name: str) -> CommandSpec | None:
        return next((c for c in self.subcommands if c.name == name), None)

    @property
    def path(self) -> str:
        """ "calendar link" for a subcommand, "next" for a command."""
        return f"{self.parent} {self.name}" if self.parent else self.name

    @property
    def usage(self) -> str:
        if self.subcommands:
            return " | ".join(sub.usage for sub in self.subcommands)
        parts = [f"/{self.path}"]
        for option in self.options:
            shown = f"<{option.name}>" if option.name == self.main else f"{option.name}:…"
            parts.append(shown if option.required else f"[{shown}]")
        return " ".join(parts)


KINDS = tuple(kind.value for kind in Kind)
STATUSES = tuple(status.value for status in Status)
TARGETS = ("me", "here", "channel")

_BODY = OptionSpec(
    "body", "a body: name, acronym or alias (PTC, Policy Commission)", completion=Completion.BODY
)
_TOPIC = OptionSpec("topic", "a topic (3D printing, API/PNR, RKC)", completion=Completion.TOPIC)
_PAGE = OptionSpec("page", "which page of the list", OptionType.PAGE)
_START = 'when: 2016-03-09, 2016-03-09 10:00, a month 2016-11, a year 2016, or "TBA"'
_END = "the last day, or the end time (with a day or a time in start)"
_SOURCE = "where this comes from: an http(s) address"
_REASON = OptionSpec("reason", "why, in a few words")
_ZONE = OptionSpec(
    "timezone", "the venue's IANA zone (Europe/Brussels)", completion=Completion.ZONE
)
_EDIT_MEETING = OptionSpec("meeting", "the meeting", required=True, completion=Completion.MEETING)
_EDIT_SOURCE = OptionSpec("source", _SOURCE)
_FEED_URL = OptionSpec(
    "url", "the calendar's address (https://, http:// or webcal://)", required=True
)
_STATE = OptionSpec("state", "on or off", OptionType.CHOICE, True, ("on", "off"))
ATTENDANCE_ANSWERS = ("yes", "no", "maybe")
_EDIT_BODY = OptionSpec("body", "the body it belongs to", required=True, completion=Completion.BODY)

COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(
        "agenda",
        "List upcoming meetings (or past ones), filtered by body, kind, topic or status",
        (
            _BODY,
            OptionSpec("kind", "kind of meeting", OptionType.CHOICE, choices=KINDS),
            _TOPIC,
            OptionSpec("status", "status of the meeting", OptionType.CHOICE, choices=STATUSES),
            OptionSpec("past", "show meetings that have ended, most recent first", OptionType.BOOL),
            _PAGE,
        ),
        ("/agenda", "/agenda body:PTC", "/agenda kind:workshop past:yes", "/agenda topic:tfa"),
        main="body",
    ),
    CommandSpec(
        "next",
        "The meeting under way or coming next",
        (_BODY,),
        ("/next", "/next body:Policy Commission"),
        main="body",
    ),
    CommandSpec(
        "meeting",
        "One meeting: dates, venue, status, topics and sources",
        (
            OptionSpec(
                "meeting",
                'id, title, alias or "<body> <session>"',
                required=True,
                completion=Completion.MEETING,
            ),
        ),
        ("/meeting PTC 211", "/meeting policy committee", "/meeting AEO conference"),
        main="meeting",
    ),
    CommandSpec(
        "topics",
        "Every topic the meetings deal with",
        (_PAGE,),
        ("/topics", "/topics page:2"),
    ),
    CommandSpec(
        "topic",
        "One topic: what it is, who is involved, its meetings and sources",
        (
            OptionSpec(
                "topic",
                "name or alias; typos are forgiven",
                required=True,
                completion=Completion.TOPIC,
            ),
        ),
        ("/topic 3d printing", "/topic PNR", "/topic kyoto"),
        main="topic",
    ),
    CommandSpec(
        "who",
        "Someone the meetings name: who they are and what they chaired, opened or presented",
        (
            OptionSpec(
                "person",
                "a name, another spelling, or a delegation's country; typos are forgiven",
                required=True,
                completion=Completion.PERSON,
            ),
        ),
        ("/who Van Kuik", "/who Zhangzhu Gao", "/who China"),
        main="person",
    ),
    CommandSpec(
        "search",
        "Search meetings, topics and people, best matches first",
        (OptionSpec("query", "words to look for", required=True), _PAGE),
        ("/search future of customs", "/search brokers korea"),
        main="query",
    ),
    CommandSpec(
        "calendar",
        "The agenda as an iCalendar file, or the address of a feed that stays up to date",
        subcommands=(
            CommandSpec(
                "file",
                "The agenda as an iCalendar (.ics) file for any calendar application",
                (
                    _BODY,
                    _TOPIC,
                    OptionSpec("alarms", "add reminders from the reminder ladder", OptionType.BOOL),
                ),
                ("/calendar", "/calendar body:PTC alarms:yes", "/calendar topic:digital customs"),
                main="body",
                parent="calendar",
            ),
            CommandSpec(
                "link",
                "The address of a calendar feed: all, a body's, a topic's, or yours (me)",
                (
                    OptionSpec(
                        "scope",
                        "all (the default), a body, a topic, or me (your own feed)",
                        completion=Completion.SCOPE,
                    ),
                ),
                ("/calendar link", "/calendar link PTC", "/calendar link me"),
                main="scope",
                parent="calendar",
            ),
            CommandSpec(
                "revoke",
                "Turn off the addresses of your personal calendar feed",
                (),
                ("/calendar revoke",),
                parent="calendar",
            ),
        ),
        default="file",
    ),
    CommandSpec(
        "subscribe",
        "Get reminders before meetings: all of them, or one body's, topic's or meeting's",
        (
            OptionSpec(
                "scope",
                "all (the default), or a body, topic or meeting",
                completion=Completion.SCOPE,
            ),
            OptionSpec("lead", "when, instead of the ladder: 7d,1d,2h"),
            OptionSpec(
                "target",
                "me: a direct message; here: this channel, mentioning you; channel: this channel",
                OptionType.CHOICE,
                choices=TARGETS,
            ),
        ),
        ("/subscribe", "/subscribe PTC lead:7d,1d", "/subscribe 3d printing target:here"),
        main="scope",
    ),
    CommandSpec(
        "unsubscribe",
        "Stop reminders: all of yours, or those for one body, topic or meeting",
        (
            OptionSpec(
                "scope",
                "all (the default), or a body, topic or meeting",
                completion=Completion.SCOPE,
            ),
            OptionSpec(
                "target",
                "me, here or channel, as when you subscribed",
                OptionType.CHOICE,
                choices=TARGETS,
            ),
        ),
        ("/unsubscribe", "/unsubscribe PTC", "/unsubscribe target:channel"),
        main="scope",
    ),
    CommandSpec(
        "remind",
        "A one-off reminder for you about one meeting, or take one back",
        subcommands=(
            CommandSpec(
                "me",
                "A one-off reminder for you about one meeting",
                (
                    OptionSpec(
                        "meeting", "the meeting", required=True, completion=Completion.MEETING
                    ),
                    OptionSpec(
                        "when",
                        "2d before, 3h before, or a date and time: 2016-03-01 09:00",
                        required=True,
                    ),
                ),
                ("/remind PTC 211 when:2d before", "/remind me AEO conference when:2016-05-01"),
                main="meeting",
                parent="remind",
            ),
            CommandSpec(
                "cancel",
                "Take back one of your reminders, by the number /reminders shows",
                (
                    OptionSpec(
                        "reminder",
                        "its number, as /reminders shows it",
                        required=True,
                        completion=Completion.REMINDER,
                    ),
                ),
                ("/remind cancel 3",),
                main="reminder",
                parent="remind",
            ),
        ),
        default="me",
    ),
    CommandSpec(
        "reminders",
        "Your reminders and this channel's, with the next times; or the delivery log",
        (
            OptionSpec(
                "show",
                "upcoming (the default) or log",
                OptionType.CHOICE,
                choices=("upcoming", "log"),
            ),
        ),
        ("/reminders", "/reminders log"),
        main="show",
    ),
    CommandSpec(
        "timezone",
        "Set your time zone (or the server's default) for the times you type",
        (
            OptionSpec(
                "zone",
                "an IANA zone: Europe/Brussels, America/Cancun",
                required=True,
                completion=Completion.ZONE,
            ),
            OptionSpec(
                "where",
                "me (the default) or server (needs Manage Server)",
                OptionType.CHOICE,
                choices=("me", "server"),
            ),
        ),
        ("/timezone Europe/Brussels", "/timezone America/Cancun where:server"),
        main="zone",
    ),
    CommandSpec(
        "history",
        "Every change to one meeting: when it became known, what changed, the source",
        (
            OptionSpec("meeting", "the meeting", required=True, completion=Completion.MEETING),
            _PAGE,
        ),
        ("/history PTC 211", "/history policy commission"),
        main="meeting",
    ),
    CommandSpec(
        "changes",
        "What changed in the agenda recently (the last 7 days, or since a date)",
        (OptionSpec("since", "a date (2016-03-01) or a span back (30d)"), _PAGE),
        ("/changes", "/changes since:2016-01-01", "/changes since:30d"),
        main="since",
    ),
    CommandSpec(
        "manage",
        "Change the agenda (editors only): add, move, cancel, postpone, confirm, undo",
        subcommands=(
            CommandSpec(
                "add",
                "Add a meeting to the agenda",
                (
                    OptionSpec("title", "its title", required=True),
                    _EDIT_BODY,
                    OptionSpec("kind", "kind of meeting", OptionType.CHOICE, True, KINDS),
                    OptionSpec("start", _START, required=True),
                    OptionSpec("source", _SOURCE, required=True),
                    OptionSpec("end", _END),
                    OptionSpec("venue", "where it is held"),
                    _ZONE,
                    OptionSpec("topics", "topics, separated by commas"),
                    OptionSpec(
                        "status",
                        "its status (planned by default)",
                        OptionType.CHOICE,
                        choices=STATUSES,
                    ),
                    _REASON,
                ),
                (
                    "/manage add title:TFA Committee, 1st Meeting body:TFA Working Group "
                    "kind:session start:2017-05 source:https://example.org",
                ),
                main="title",
                parent="manage",
            ),
            CommandSpec(
                "change",
                "Change a meeting's date, venue, status, title or topics",
                (
                    _EDIT_MEETING,
                    OptionSpec("source", _SOURCE, required=True),
                    OptionSpec("reason", "why it changed, in a few words", required=True),
                    OptionSpec("start", _START),
                    OptionSpec("end", _END),
                    OptionSpec("venue", "the new venue"),
                    _ZONE,
                    OptionSpec("status", "the new status", OptionType.CHOICE, choices=STATUSES),
                    OptionSpec("title", "the new title"),
                    OptionSpec("topics", "the new topics, separated by commas"),
                ),
                (
                    "/manage change PTC 211 start:2016-03-09 end:2016-03-11 "
                    "source:https://example.org reason:moved a week",
                ),
                main="meeting",
                parent="manage",
            ),
            CommandSpec(
                "cancel",
                "Cancel a meeting",
                (_EDIT_MEETING, OptionSpec("reason", "why", required=True), _EDIT_SOURCE),
                ("/manage cancel PTC 211 reason:called off",),
                main="meeting",
                parent="manage",
            ),
            CommandSpec(
                "postpone",
                "Postpone a meeting (no new date yet)",
                (_EDIT_MEETING, OptionSpec("reason", "why", required=True), _EDIT_SOURCE),
                ("/manage postpone PTC 211 reason:no quorum",),
                main="meeting",
                parent="manage",
            ),
            CommandSpec(
                "confirm",
                "Confirm a meeting (or bring back a postponed one)",
                (_EDIT_MEETING, _REASON, _EDIT_SOURCE),
                ("/manage confirm PTC 211",),
                main="meeting",
                parent="manage",
            ),
            CommandSpec(
                "undo",
                "Undo the latest edit of a meeting",
                (_EDIT_MEETING,),
                ("/manage undo PTC 211",),
                main="meeting",
                parent="manage",
            ),
        ),
    ),
    CommandSpec(
        "follow",
        "Follow another organisation's calendar (iCalendar): its events join the agenda",
        (
            _FEED_URL,
            OptionSpec(
                "body",
                "the body its meetings belong to (else one named after the calendar)",
                completion=Completion.BODY,
            ),
            OptionSpec("kind", "kind of meeting (session)", OptionType.CHOICE, choices=KINDS),
            OptionSpec("topics", "topics of its meetings, separated by commas"),
        ),
        (
            "/follow https://indico.example.org/category/3/events.ics body:PTC",
            "/follow webcal://example.org/board.ics kind:workshop topics:tfa",
        ),
        main="url",
    ),
    CommandSpec(
        "unfollow",
        "Stop following a calendar; the meetings it brought stay as last read",
        (_FEED_URL,),
        ("/unfollow https://indico.example.org/category/3/events.ics",),
        main="url",
    ),
    CommandSpec(
        "following",
        "The calendars the agenda follows: last and next reading, events, errors",
        (),
        ("/following",),
    ),
    CommandSpec(
        "events",
        "The agenda in this server's Events list (Manage Server): mirror, Interested, counts",
        subcommands=(
            CommandSpec(
                "status",
                "What this server's events show, and what went wrong",
                (),
                ("/events status",),
                parent="events",
            ),
            CommandSpec(
                "mirror",
                "Keep the next meetings as the server's scheduled events, or stop",
                (
                    _STATE,
                    OptionSpec("count", f"how many meetings (1-100, {DEFAULT_COUNT} by default)"),
                    OptionSpec("bodies", "only these bodies, separated by commas (PTC, Council)"),
                ),
                (
                    "/events mirror on",
                    "/events mirror on count:10 bodies:PTC",
                    "/events mirror off",
                ),
                main="state",
                parent="events",
            ),
            CommandSpec(
                "interested-subscribes",
                "Pressing Interested on an event subscribes to its meeting's reminders (DM)",
                (_STATE,),
                ("/events interested-subscribes on",),
                main="state",
                parent="events",
            ),
            CommandSpec(
                "going-count",
                "Show how many of this server go, in /meeting and on the web page",
                (_STATE,),
                ("/events going-count on",),
                main="state",
                parent="events",
            ),
        ),
        default="status",
    ),
    CommandSpec(
        "attending",
        "Say whether you go to a meeting (for planning a delegation)",
        (
            OptionSpec("meeting", "the meeting", required=True, completion=Completion.MEETING),
            OptionSpec(
                "answer", "yes, no or maybe (yes)", OptionType.CHOICE, choices=ATTENDANCE_ANSWERS
            ),
        ),
        ("/attending PTC 211", "/attending PTC 211 answer:maybe"),
        main="meeting",
    ),
    CommandSpec(
        "attendees",
        "Who in this server goes to a meeting, and who is interested on its event",
        (OptionSpec("meeting", "the meeting", required=True, completion=Completion.MEETING),),
        ("/attendees PTC 211",),
        main="meeting",
    ),
    CommandSpec(
        "help",
        "What the bot can do, or how to use one command",
        (OptionSpec("command", "a command name", completion=Completion.COMMAND),),
        ("/help", "/help agenda"),
        main="command",
    ),
)

COMMANDS_BY_NAME = {command.name: command for command in COMMANDS}
MAX_INPUT = 200  # characters of one option value; longer text is cut, never an error


def command_at(path: str) -> CommandSpec | None:
    """The command ("next") or subcommand ("calendar link") a path names; a command with
    subcommands named alone stands for its default one ("calendar" is "calendar file")."""
    name, _, sub = path.strip().partition(" ")
    command = COMMANDS_BY_NAME.get(name)
    if command is None or not command.subcommands:
        return None if sub else command
    return command.subcommand(sub or command.default or "")


class OptionError(ValueError):
    """An option value that cannot be used; the message says what to type instead."""


_TRUE = frozenset({"yes", "y", "true", "1", "on", ""})
_FALSE = frozenset({"no", "n", "false", "0", "off"})
PAGES = 10_000  # the highest page number anyone may ask for


def convert_options(spec: CommandSpec, given: Mapping[str, object]) -> dict[str, object]:
    """The options of `spec` in `given` (text from the console, values from Discord), each as
    its declared type: yes/no as a bool, a page as an int, text as text. Others are ignored.
    Raises OptionError saying what to write instead."""
    values: dict[str, object] = {}
    for option in spec.options:
        value = given.get(option.name)
        if value is not None:
            values[option.name] = _convert(option, value)
    return values


def _convert(option: OptionSpec, value: object) -> object:
    name = option.name
    if option.type is OptionType.BOOL:
        if isinstance(value, bool):
            return value
        text = str(value).strip()
        if text.casefold() in _TRUE:
            return True
        if text.casefold() in _FALSE:
            return False
        raise OptionError(f"{name}: '{text[:40]}' is not yes or no; write `{name}:yes`")
    if option.type is OptionType.PAGE:
        number = value if isinstance(value, int) and not isinstance(value, bool) else None
        if number is None or not 1 <= number <= PAGES:
            number = whole_number(str(value), 1, PAGES)
        if number is None:
            shown = str(value).strip()[:40]
            raise OptionError(f"{name}: '{shown}' is not a page number; write `{name}:2`")
        return number
    return str(value)
