"""A server's Events list kept in step with the agenda (/events): the port through which the
service reaches Discord's scheduled events, and the mirror that plans and applies the steps.

Only the process that sends the reminders keeps the mirrors in step; any process answers the
commands and the Interested presses."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.core import Reply, clean_input
from bot.core import server_events as words
from bot.core.mirroring import (
    DEFAULT_COUNT,
    GUILD_EVENT_CAP,
    Adopt,
    Close,
    Create,
    Delete,
    Dismiss,
    Edit,
    EventShape,
    EventStatus,
    Forget,
    Link,
    RemoteEvent,
    Step,
    event_shape,
    plan,
    window,
)
from bot.core.text import whole_number
from bot.storage import MirrorRow, ServerEvents

from .agenda import AgendaService
from .caller import Caller
from .naming import body_named
from .subscriptions import ReminderCommands
from .waiting import any_set

log = logging.getLogger(__name__)
LOOK_AGAIN = 3600.0  # seconds: the mirror looks at the clock at least hourly
_SPLIT = re.compile(r"\s*[,;]\s*")
SWITCH = ("on", "off")


class BoardError(Exception):
    """Discord refused or could not be reached. `permission`: the bot lacks Manage Events (the
    mirror stops until an admin turns it on again); `gone`: the event no longer exists;
    `refused`: Discord will not take what was sent (retrying it the same is pointless)."""

    def __init__(
        self, message: str, *, permission: bool = False, gone: bool = False, refused: bool = False
    ) -> None:
        super().__init__(message)
        self.permission = permission
        self.gone = gone
        self.refused = refused


class EventBoard(Protocol):
    """A server's scheduled events, as the Discord adapter reaches them (over REST)."""

    async def listed(self, guild_id: str) -> list[RemoteEvent]: ...

    async def create(self, guild_id: str, shape: EventShape) -> str: ...

    async def edit(
        self,
        guild_id: str,
        event_id: str,
        shape: EventShape | None = None,
        status: EventStatus | None = None,
    ) -> None: ...

    async def delete(self, guild_id: str, event_id: str) -> None: ...

    async def interested(self, guild_id: str, event_id: str) -> list[str]: ...

    async def tell(self, channel_id: str, text: str) -> None: ...


@dataclass
class Synced:
    """What one pass over a server's events did."""

    created: int = 0
    changed: int = 0
    deleted: int = 0
    left_out: int = 0
    others: int = 0  # scheduled events of the server that are not the agenda's
    problem: str = ""
    refused: list[str] = field(default_factory=list)  # why Discord refused events, if it did


class Mirror:
    """Keeps each server's mirror in step: at start, when the agenda changes, when a meeting
    starts or ends, and when an event is deleted by hand."""

    def __init__(
        self,
        agenda: AgendaService,
        events: ServerEvents,
        members: ReminderCommands,
        board: EventBoard | None,
        leading: Callable[[], bool],
    ) -> None:
        self.agenda = agenda
        self.events = events
        self.members = members
        self.board = board
        self._leading = leading
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._poked = asyncio.Event()
        self._stopping = asyncio.Event()
        self._interest_checked: set[str] = set()
        # Shapes Discord refused (a start in the past, say): not sent again until they change.
        self._refused: dict[tuple[str, str], tuple[EventShape, str]] = {}

    # -- commands ----------------------------------------------------------------------------------

    async def status(self, caller: Caller) -> Reply:
        if caller.guild_id is None:
            return words.SERVER_ONLY
        row = await self.events.settings(caller.guild_id)
        links = await self.events.links(caller.guild_id)
        refused = [why for (g, _), (_, why) in self._refused.items() if g == caller.guild_id]
        problem = row.problem or (
            f"Discord refused {len(refused)} event(s): {refused[0]}" if refused else ""
        )
        return words.status_reply(
            words.MirrorState(
                row.mirror,
                row.count,
                tuple(self._labels(row.body_ids)),
                row.interested,
                row.going_count,
                sum(not link.dismissed for link in links.values()),
                sum(link.dismissed for link in links.values()),
                problem,
            )
        )

    async def mirror(
        self, caller: Caller, state: str, count: str | None = None, bodies: str | None = None
    ) -> Reply:
        refused = self._refuse(caller)
        if refused is not None:
            return refused
        assert caller.guild_id is not None and self.board is not None
        guild = caller.guild_id
        said = words.choice_of(state, SWITCH, "state")
        if isinstance(said, Reply):
            return said
        if said == "off":
            deleted = await self._stop_mirror(guild)
            return words.mirror_off_reply(deleted)
        asked = whole_number(count.strip(), 1, GUILD_EVENT_CAP) if count else DEFAULT_COUNT
        if asked is None:
            return words.bad_count(count or "")
        body_ids: list[str] = []
        for name in _SPLIT.split(clean_input(bodies or "", 400)):
            if name:
                found = body_named(self.agenda, name)
                if isinstance(found, Reply):
                    return words.bad_body(name)
                body_ids.append(found)
        row = await self.events.save_settings(
            guild,
            mirror=True,
            count=asked,
            bodies=",".join(dict.fromkeys(body_ids)),
            channel_id=caller.channel_id or "",
            problem="",
        )
        await self.events.clear_dismissed(guild)  # turned on again: bring every event back
        self._refused = {k: v for k, v in self._refused.items() if k[0] != guild}
        synced = await self.sync(row, tell=False)
        allowed = min(asked, GUILD_EVENT_CAP - synced.others)
        scope = ", ".join(self._labels(row.body_ids)) or "every body"
        return words.mirror_reply(
            allowed,
            asked,
            scope,
            synced.created,
            synced.changed,
            synced.left_out,
            synced.problem,
            synced.refused,
        )

    async def switch(self, caller: Caller, setting: str, state: str) -> Reply:
        """/events interested-subscribes and /events going-count."""
        if caller.guild_id is None:
            return words.SERVER_ONLY
        if not caller.can_manage:
            return words.NEEDS_MANAGE
        said = words.choice_of(state, SWITCH, "state")
        if isinstance(said, Reply):
            return said
        on = said == "on"
        column = {"interested-subscribes": "interested", "going-count": "going_count"}[setting]
        row = await self.events.save_settings(caller.guild_id, **{column: on})
        if column == "interested" and on and row.mirror and self.board is not None:
            self._interest_checked.discard(caller.guild_id)
            await self.sync(row, tell=False)  # those already interested are subscribed now
        return words.switch_reply(setting, on)

    def _labels(self, body_ids: tuple[str, ...]) -> list[str]:
        bodies = self.agenda.agenda.bodies
        return [bodies[b].label if b in bodies else b for b in body_ids]

    def _refuse(self, caller: Caller) -> Reply | None:
        if caller.guild_id is None:
            return words.SERVER_ONLY
        if not caller.can_manage:
            return words.NEEDS_MANAGE
        if self.board is None:
            return words.NO_BOARD
        return None

    # -- Interested, from the gateway ------------------------------------------------------------

    async def interest(self, guild_id: str, event_id: str, user_id: str, added: bool) -> None:
        """A member pressed Interested on an event (or took it back)."""
        row = await self.events.settings(guild_id)
        if not row.interested:
            return
        meeting_id = await self.events.meeting_of(guild_id, event_id)
        if meeting_id is None:
            return
        if added:
            await self._interested(guild_id, meeting_id, user_id)
        else:
            await self._not_interested(guild_id, meeting_id, user_id)

    async def _interested(self, guild_id: str, meeting_id: str, user_id: str) -> None:
        made = await self.members.subscribe_member(f"discord:{user_id}", guild_id, meeting_id)
        await self.events.add_interest(guild_id, meeting_id, user_id, made)

    async def _not_interested(self, guild_id: str, meeting_id: str, user_id: str) -> None:
        if await self.events.remove_interest(guild_id, meeting_id, user_id):
            await self.members.unsubscribe_member(f"discord:{user_id}", meeting_id)

    async def interested_in(self, guild_id: str, meeting_id: str) -> list[str]:
        """Who is interested on the meeting's event in this server (user ids), if it has one."""
        link = (await self.events.links(guild_id)).get(meeting_id)
        if self.board is None or link is None or link.dismissed:
            return []
        try:
            return await self.board.interested(guild_id, link.event_id)
        except BoardError as problem:
            log.warning("could not list who is interested on event %s: %s", link.event_id, problem)
            return []

    async def _check_interest(self, guild_id: str, links: dict[str, Link]) -> None:
        """Subscriptions in line with who is interested now (presses missed while away)."""
        assert self.board is not None
        for meeting_id, link in links.items():
            if link.dismissed:
                continue
            now = set(await self.board.interested(guild_id, link.event_id))
            known = await self.events.interested(guild_id, meeting_id)
            for user in sorted(now - set(known)):
                await self._interested(guild_id, meeting_id, user)
            for user in sorted(set(known) - now):
                await self._not_interested(guild_id, meeting_id, user)
        self._interest_checked.add(guild_id)

    # -- keeping in step -------------------------------------------------------------------------

    def poke(self) -> None:
        """The agenda changed, or an event was deleted by hand: look again soon."""
        self._poked.set()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """While the bot runs: every mirror in step whenever something may have changed."""
        if self.board is None:
            return  # the console: no server to show events in
        while not self._stopping.is_set():
            self._poked.clear()
            if self._leading():
                try:
                    await self.sync_all()
                except Exception:
                    log.exception("keeping the servers' events in step failed")
            await any_set(self._stopping, self._poked, seconds=self._next_boundary())

    def _next_boundary(self) -> float:
        """Seconds until a meeting of the agenda starts or ends (its event changes then)."""
        clock = self.agenda.clock
        now = clock.now()
        upcoming = [
            instant
            for meeting in window(self.agenda.agenda.meetings.values(), now, GUILD_EVENT_CAP)
            for instant in (meeting.when.start_utc, meeting.when.end_utc)
            if instant is not None and instant > now
        ]
        if not upcoming:
            return LOOK_AGAIN
        due = (clock.to_real(min(upcoming)) - clock.to_real(now)).total_seconds()
        return min(LOOK_AGAIN, max(0.0, due))

    async def sync_all(self) -> None:
        for row in await self.events.mirroring():
            if row.problem:
                continue  # told once; an admin turns the mirror on again once it is fixed
            await self.sync(row)

    async def sync(self, row: MirrorRow, *, tell: bool = True) -> Synced:
        """One server's events in line with the agenda now. `tell`: a problem that stops the
        mirror is said in the channel it was turned on in (commands answer it instead)."""
        assert self.board is not None
        synced = Synced()
        async with self._locks[row.guild_id]:
            try:
                await self._sync(row, synced)
            except BoardError as problem:
                if not problem.permission:
                    log.warning("server %s: events not kept in step: %s", row.guild_id, problem)
                    synced.problem = (
                        f"Discord could not be reached ({problem}); trying again later."
                    )
                    return synced
                synced.problem = words.MISSING_PERMISSION
                await self.events.save_settings(row.guild_id, problem=synced.problem)
                log.warning("server %s: %s", row.guild_id, synced.problem)
                if tell and row.channel_id:
                    with contextlib.suppress(BoardError):
                        await self.board.tell(row.channel_id, synced.problem)
        return synced

    async def _sync(self, row: MirrorRow, synced: Synced) -> None:
        assert self.board is not None
        guild = row.guild_id
        now = self.agenda.clock.now()
        listed = {event.id: event for event in await self.board.listed(guild)}
        synced.others = sum(1 for e in listed.values() if not e.ours and not e.status.is_final)
        shown = window(self.agenda.agenda.meetings.values(), now, row.count, row.body_ids)
        wanted = [self._shape(m.id, now) for m in shown]
        links = await self._current_links(guild)
        planned = plan(
            [shape for shape in wanted if shape is not None],
            lambda meeting_id: self._shape(meeting_id, now),
            links,
            listed,
        )
        synced.left_out = planned.left_out
        for step in planned.steps:
            await self._apply(guild, step, synced)
        if row.interested and guild not in self._interest_checked:
            await self._check_interest(guild, await self._current_links(guild))

    async def _current_links(self, guild: str) -> dict[str, Link]:
        return {
            m: Link(r.event_id, r.dismissed) for m, r in (await self.events.links(guild)).items()
        }

    def _shape(self, meeting_id: str, now: datetime) -> EventShape | None:
        agenda = self.agenda.agenda
        meeting = agenda.meetings.get(meeting_id)
        if meeting is None or not meeting.when.precision.has_day:
            return None
        names = [agenda.bodies[b].label for b in meeting.bodies if b in agenda.bodies]
        return event_shape(meeting, now, names, agenda.ladders.length_of(meeting.kind))

    async def _apply(self, guild: str, step: Step, synced: Synced) -> None:
        assert self.board is not None
        board, events = self.board, self.events
        try:
            match step:
                case Adopt(meeting_id, event_id):
                    await events.link(guild, meeting_id, event_id)
                case Dismiss(meeting_id):
                    await events.dismiss(guild, meeting_id)
                    log.info("server %s: the event of %s was deleted by hand", guild, meeting_id)
                case Forget(meeting_id):
                    await events.unlink(guild, meeting_id)
                case Delete(event_id, meeting_id):
                    if meeting_id is not None:  # forgotten first: a crash leaves an orphan,
                        await events.unlink(guild, meeting_id)  # which is adopted or deleted
                    with contextlib.suppress(_Gone):
                        await _unless_gone(board.delete(guild, event_id))
                    synced.deleted += 1
                case Close(meeting_id, event_id, statuses):
                    for status in statuses:
                        with contextlib.suppress(_Gone):
                            await _unless_gone(board.edit(guild, event_id, status=status))
                    await events.unlink(guild, meeting_id)
                    synced.changed += 1
                case Edit(event_id, shape, status):
                    if self._was_refused(guild, shape):
                        return
                    try:
                        await _unless_gone(board.edit(guild, event_id, shape, status))
                    except _Gone:
                        await events.dismiss(guild, shape.meeting_id)
                        return
                    synced.changed += 1
                case Create(shape):
                    if self._was_refused(guild, shape):
                        return
                    event_id = await board.create(guild, shape)
                    await events.link(guild, shape.meeting_id, event_id)
                    synced.created += 1
        except BoardError as problem:
            if not problem.refused:
                raise
            if isinstance(step, Create | Edit):
                self._refused[(guild, step.shape.meeting_id)] = (step.shape, str(problem))
            synced.refused.append(str(problem))
            log.warning("server %s: Discord refused %s: %s", guild, step, problem)

    def _was_refused(self, guild: str, shape: EventShape) -> bool:
        refused = self._refused.get((guild, shape.meeting_id))
        if refused is not None and refused[0] == shape:
            return True
        self._refused.pop((guild, shape.meeting_id), None)
        return False

    async def _stop_mirror(self, guild: str) -> int:
        """Every event of ours deleted, the links forgotten (Interested subscriptions stay)."""
        assert self.board is not None
        deleted = 0
        async with self._locks[guild]:
            await self.events.save_settings(guild, mirror=False, problem="")
            with contextlib.suppress(BoardError):
                for event in await self.board.listed(guild):
                    if event.ours and not event.status.is_final:
                        with contextlib.suppress(_Gone):
                            await _unless_gone(self.board.delete(guild, event.id))
                        deleted += 1
            await self.events.unlink(guild)
        return deleted


class _Gone(Exception):
    pass


async def _unless_gone(call: Awaitable[None]) -> None:
    """Await a board call; an event that no longer exists raises `_Gone`."""
    try:
        await call
    except BoardError as problem:
        if problem.gone:
            raise _Gone from problem
        raise
