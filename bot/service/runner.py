"""Text options in, a reply out: how the console and `python -m bot ask` run any command."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.core import Reply, TimeStyle
from bot.core.reply import error
from bot.core.text import whole_number
from bot.storage import DatabaseLost

from .agenda import AgendaService, OptionError
from .caller import CONSOLE_CALLER, Caller
from .subscriptions import ReminderCommands

if TYPE_CHECKING:
    from .feeds import Feeds

_TRUE = {"yes", "y", "true", "1", "on"}
_FALSE = {"no", "n", "false", "0", "off"}
REMINDER_COMMANDS = frozenset(
    {"subscribe", "unsubscribe", "remind me", "remind cancel", "reminders", "timezone"}
)
FEED_COMMANDS = frozenset({"calendar link", "calendar revoke"})


class CommandRunner:
    def __init__(self, agenda: AgendaService, reminders: ReminderCommands | None = None) -> None:
        self.agenda = agenda
        self.reminders = reminders
        self.feeds: Feeds | None = None  # set when the web server serves feeds

    async def run(
        self,
        name: str,
        options: Mapping[str, str],
        caller: Caller = CONSOLE_CALLER,
        times: TimeStyle | None = None,
    ) -> Reply:
        try:
            if name in REMINDER_COMMANDS:
                return await self._reminder(name, options, caller, times)
            if name in FEED_COMMANDS:
                if self.feeds is None:
                    return error(
                        "Calendar feeds are not served here",
                        "Start the bot (`python -m bot`) with its web server on "
                        "(`WEB_PORT`); meanwhile `/calendar` gives a file.",
                    )
                if name == "calendar link":
                    return await self.feeds.link(caller, options.get("scope"))
                return await self.feeds.revoke(caller)
            return self._agenda(name, options, times)
        except OptionError as problem:
            return error("That option does not work", str(problem))
        except DatabaseLost as problem:
            return lost_reply(problem)

    def _agenda(self, name: str, options: Mapping[str, str], times: TimeStyle | None) -> Reply:
        agenda = self.agenda
        page = _page(options.get("page"))
        if name == "agenda":
            return agenda.agenda_list(
                options.get("body"),
                options.get("kind"),
                options.get("topic"),
                options.get("status"),
                _bool(options.get("past"), "past"),
                page,
                times,
            )
        if name == "next":
            return agenda.next_meeting(options.get("body"), times)
        if name == "meeting":
            return agenda.meeting(options.get("meeting", ""), times)
        if name == "topics":
            return agenda.topics(page)
        if name == "topic":
            return agenda.topic(options.get("topic", ""), times)
        if name == "search":
            return agenda.search(options.get("query", ""), page, times)
        if name in ("calendar", "calendar file"):
            return agenda.calendar(
                options.get("body"), options.get("topic"), _bool(options.get("alarms"), "alarms")
            )
        return agenda.help(options.get("command") if name == "help" else name)

    async def _reminder(
        self, name: str, options: Mapping[str, str], caller: Caller, times: TimeStyle | None
    ) -> Reply:
        commands = self.reminders
        if commands is None:
            return error(
                "Reminders are not running here",
                "Start the bot (`python -m bot`) to subscribe and get reminders.",
            )
        if name == "subscribe":
            return await commands.subscribe(
                caller, options.get("scope"), options.get("lead"), options.get("target"), times
            )
        if name == "unsubscribe":
            return await commands.unsubscribe(caller, options.get("scope"), options.get("target"))
        if name == "remind me":
            return await commands.personal.remind(
                caller, options.get("meeting", ""), options.get("when", ""), times
            )
        if name == "remind cancel":
            return await commands.personal.cancel(caller, options.get("reminder", ""))
        if name == "reminders":
            return await commands.overview(caller, options.get("show"), times)
        return await commands.timezone(caller, options.get("zone", ""), options.get("where"))


def lost_reply(problem: DatabaseLost) -> Reply:
    """What a command that could not be saved answers: the bot is stopping, and says why."""
    text = str(problem)
    return error("Not saved: the database is gone", f"{text[:1].upper()}{text[1:]}.")


def _bool(text: str | None, name: str) -> bool:
    if text is None:
        return False
    value = text.strip().casefold()
    if value in _TRUE or value == "":
        return True
    if value in _FALSE:
        return False
    raise OptionError(f"{name}: '{text.strip()[:40]}' is not yes or no; write `{name}:yes`")


def _page(text: str | None) -> int:
    if text is None:
        return 1
    number = whole_number(text, 1, 10_000)
    if number is None:
        raise OptionError(f"page: '{text.strip()[:40]}' is not a page number; write `page:2`")
    return number
