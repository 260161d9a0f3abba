"""Any command of the table, run the same way for every adapter: its options converted by their
declared type, then its handler; the agenda's commands are answered by the core."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

from bot.core import (
    ANSWERS,
    Field,
    OptionError,
    Reply,
    Status,
    TimeStyle,
    command_at,
    convert_options,
)
from bot.core.reply import NOT_RUNNING, error
from bot.storage import DatabaseLost

from .agenda import AgendaService
from .attendance import Attendance
from .caller import CONSOLE_CALLER, Caller
from .editing import AgendaEditor
from .feeds import Feeds
from .following import Follower
from .mirror_commands import MirrorCommands
from .subscriptions import ReminderCommands

Handler = Callable[[Caller, dict[str, Any], TimeStyle | None], Awaitable[Reply]]


class CommandRunner:
    """Runs any command of `bot.core.COMMANDS` by its path ("next", "calendar link") with its
    options as given (text from the console, values from Discord), and answers with a Reply."""

    def __init__(
        self,
        agenda: AgendaService,
        reminders: ReminderCommands | None = None,
        feeds: Feeds | None = None,
        editor: AgendaEditor | None = None,
        follower: Follower | None = None,
        mirror: MirrorCommands | None = None,
        attendance: Attendance | None = None,
    ) -> None:
        self.agenda = agenda
        self.reminders = reminders
        self.feeds = feeds
        self.editor = editor
        self.follower = follower
        self._handlers: dict[str, Handler] = {path: self._answer(path) for path in ANSWERS}
        if reminders is not None:
            self._handlers.update(_reminder_handlers(reminders))
        if feeds is not None:
            self._handlers.update(_feed_handlers(feeds))
        if editor is not None:
            self._handlers.update(_editor_handlers(editor))
        if follower is not None:
            self._handlers.update(_follower_handlers(follower))
        if mirror is not None:
            self._handlers.update(_mirror_handlers(mirror))
        if attendance is not None:
            self._handlers.update(_attendance_handlers(attendance, self._handlers["meeting"]))

    async def run(
        self,
        name: str,
        options: Mapping[str, object],
        caller: Caller = CONSOLE_CALLER,
        times: TimeStyle | None = None,
        *,
        preview: bool = False,
        expect: str | None = None,
    ) -> Reply:
        """`preview`: for an edit of the agenda, say what it would do without doing it;
        `expect`: confirming a preview, its stamp (nothing is saved if the meeting changed)."""
        spec = command_at(name)
        if spec is None:
            return ANSWERS["help"](self.agenda.asked(times), name)
        try:
            values = convert_options(spec, options)
        except OptionError as problem:
            return error("That option does not work", str(problem))
        handler = self._handlers.get(spec.path, _not_running)
        if spec.parent == "manage":
            values.update(preview=preview, expect=expect)
        try:
            return await handler(caller, values, times)
        except DatabaseLost as problem:
            return lost_reply(problem)

    def _answer(self, path: str) -> Handler:
        answer = ANSWERS[path]

        async def handle(caller: Caller, values: dict[str, Any], times: TimeStyle | None) -> Reply:
            return answer(self.agenda.asked(times), **values)

        return handle


def _reminder_handlers(commands: ReminderCommands) -> dict[str, Handler]:
    personal = commands.personal

    async def subscribe(who: Caller, values: dict[str, Any], times: TimeStyle | None) -> Reply:
        return await commands.subscribe(who, times=times, **values)

    async def unsubscribe(who: Caller, values: dict[str, Any], times: TimeStyle | None) -> Reply:
        return await commands.unsubscribe(who, **values)

    async def remind(who: Caller, values: dict[str, Any], times: TimeStyle | None) -> Reply:
        return await personal.remind(who, values.get("meeting", ""), values.get("when", ""), times)

    async def cancel(who: Caller, values: dict[str, Any], times: TimeStyle | None) -> Reply:
        return await personal.cancel(who, values.get("reminder", ""))

    async def overview(who: Caller, values: dict[str, Any], times: TimeStyle | None) -> Reply:
        return await commands.overview(who, values.get("show"), times)

    async def timezone(who: Caller, values: dict[str, Any], times: TimeStyle | None) -> Reply:
        return await commands.timezone(who, values.get("zone", ""), values.get("where"))

    return {
        "subscribe": subscribe,
        "unsubscribe": unsubscribe,
        "remind me": remind,
        "remind cancel": cancel,
        "reminders": overview,
        "timezone": timezone,
    }


def _editor_handlers(editor: AgendaEditor) -> dict[str, Handler]:
    async def add(who: Caller, values: dict[str, Any], times: TimeStyle | None) -> Reply:
        return await editor.add(who, times=times, **values)

    async def change(who: Caller, values: dict[str, Any], times: TimeStyle | None) -> Reply:
        return await editor.change(who, times=times, **values)

    def status(to: Status) -> Handler:
        async def handle(who: Caller, values: dict[str, Any], times: TimeStyle | None) -> Reply:
            return await editor.set_status(who, status=to, times=times, **values)

        return handle

    async def undo(who: Caller, values: dict[str, Any], times: TimeStyle | None) -> Reply:
        return await editor.undo(who, times=times, **values)

    return {
        "manage add": add,
        "manage change": change,
        "manage cancel": status(Status.CANCELLED),
        "manage postpone": status(Status.POSTPONED),
        "manage confirm": status(Status.CONFIRMED),
        "manage undo": undo,
    }


def _follower_handlers(follower: Follower) -> dict[str, Handler]:
    async def follow(who: Caller, values: dict[str, Any], times: TimeStyle | None) -> Reply:
        return await follower.follow(who, **values)

    async def unfollow(who: Caller, values: dict[str, Any], times: TimeStyle | None) -> Reply:
        return await follower.unfollow(who, **values)

    async def following(who: Caller, values: dict[str, Any], times: TimeStyle | None) -> Reply:
        return await follower.following()

    return {"follow": follow, "unfollow": unfollow, "following": following}


def _mirror_handlers(mirror: MirrorCommands) -> dict[str, Handler]:
    async def status(who: Caller, values: dict[str, Any], times: TimeStyle | None) -> Reply:
        return await mirror.status(who)

    async def switch_mirror(who: Caller, values: dict[str, Any], times: TimeStyle | None) -> Reply:
        return await mirror.mirror_events(who, **values)

    def switch(setting: str) -> Handler:
        async def handle(who: Caller, values: dict[str, Any], times: TimeStyle | None) -> Reply:
            return await mirror.switch(who, setting, values["state"])

        return handle

    return {
        "events status": status,
        "events mirror": switch_mirror,
        "events interested-subscribes": switch("interested-subscribes"),
        "events going-count": switch("going-count"),
    }


def _attendance_handlers(attendance: Attendance, meeting: Handler) -> dict[str, Handler]:
    async def attending(who: Caller, values: dict[str, Any], times: TimeStyle | None) -> Reply:
        return await attendance.attending(who, **values)

    async def attendees(who: Caller, values: dict[str, Any], times: TimeStyle | None) -> Reply:
        return await attendance.attendees(who, **values)

    async def meeting_going(who: Caller, values: dict[str, Any], times: TimeStyle | None) -> Reply:
        """/meeting, with how many of this server go where the server asked."""
        reply = await meeting(who, values, times)
        going = (
            "" if reply.is_error else await attendance.going_line(who, values.get("meeting", ""))
        )
        if not going:
            return reply
        return replace(reply, fields=(*reply.fields, Field("Going", going)))

    return {"attending": attending, "attendees": attendees, "meeting": meeting_going}


def _feed_handlers(feeds: Feeds) -> dict[str, Handler]:
    async def link(who: Caller, values: dict[str, Any], times: TimeStyle | None) -> Reply:
        return await feeds.link(who, values.get("scope"))

    async def revoke(who: Caller, values: dict[str, Any], times: TimeStyle | None) -> Reply:
        return await feeds.revoke(who)

    return {"calendar link": link, "calendar revoke": revoke}


async def _not_running(caller: Caller, values: dict[str, Any], times: TimeStyle | None) -> Reply:
    """A command that needs the reminders' database, where they are not running."""
    return NOT_RUNNING


def lost_reply(problem: DatabaseLost) -> Reply:
    """What a command that could not be saved answers: the bot is stopping, and says why."""
    text = str(problem)
    return error("Not saved: the database is gone", f"{text[:1].upper()}{text[1:]}.")
