"""A server's Events list kept in step with the agenda: each pass lists the server's events,
asks the core for the steps (`bot.core.mirroring.plan`) and applies them through the board.

Only the process that sends the reminders keeps the mirrors in step (a second process answers
/events by saving the settings, which the sender reads within a minute); any process handles
the Interested presses. Per server, passes and presses take turns."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.core import server_events as words
from bot.core.mirroring import (
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
    Step,
    event_shape,
    plan,
    window,
)
from bot.storage import MirrorRow, ServerEvents

from .agenda import AgendaService
from .board import BoardError, EventBoard, Gone, unless_gone
from .subscriptions import ReminderCommands
from .waiting import any_set

log = logging.getLogger(__name__)
LOOK_AGAIN = 3600.0  # seconds: the mirror looks at the clock at least hourly
SETTINGS_POLL = 60.0  # and at the servers' settings (saved by another process) every minute
LEAD_IN = timedelta(minutes=1)  # an event under way is made starting this soon, then started


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
    starts or ends, when an event is deleted by hand, and when a server's settings change."""

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
        self.leading = leading
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._poked = asyncio.Event()
        self._stopping = asyncio.Event()
        self._interest_checked: set[str] = set()
        # Shapes Discord refused (a start in the past, say): not sent again until they change.
        self._refused: dict[tuple[str, str], tuple[EventShape, str]] = {}

    def refused_in(self, guild: str) -> list[str]:
        return [why for (g, _), (_, why) in self._refused.items() if g == guild]

    def forget_refusals(self, guild: str) -> None:
        self._refused = {k: v for k, v in self._refused.items() if k[0] != guild}

    # -- Interested, from the gateway ------------------------------------------------------------

    async def interest(self, guild_id: str, event_id: str, user_id: str, added: bool) -> None:
        """A member pressed Interested on an event (or took it back)."""
        async with self._locks[guild_id]:  # not in the middle of a pass's catching up
            row = await self.events.settings(guild_id)
            if not row.interested:
                return
            meeting_id = await self.events.meeting_of(guild_id, event_id)
            if meeting_id is None:
                return
            if added:
                await self._interested(guild_id, meeting_id, event_id, user_id)
            else:
                await self._not_interested(guild_id, meeting_id, user_id)

    async def _interested(self, guild: str, meeting_id: str, event_id: str, user: str) -> None:
        made = await self.members.subscribe_member(f"discord:{user}", guild, meeting_id)
        await self.events.add_interest(guild, meeting_id, event_id, user, made)

    async def _not_interested(self, guild: str, meeting_id: str, user: str) -> None:
        made = await self.events.remove_interest(guild, meeting_id, user)
        if not made:
            return
        if await self.events.interested_anywhere(meeting_id, user):
            await self.events.hand_over(meeting_id, user)  # still interested in another server
        else:
            await self.members.unsubscribe_member(f"discord:{user}", meeting_id)

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

    def check_interest_again(self, guild: str) -> None:
        self._interest_checked.discard(guild)

    async def _check_interest(self, guild: str) -> None:
        """Subscriptions in line with who is interested now (presses missed while away). Only
        the presses on each meeting's current event are compared: one made on an earlier event
        of the meeting (deleted, made again) is not taken as taken back."""
        assert self.board is not None
        for meeting_id, link in (await self._links(guild)).items():
            if link.dismissed:
                continue
            now = set(await self.board.interested(guild, link.event_id))
            known = await self.events.interested(guild, meeting_id, link.event_id)
            for user in sorted(now - set(known)):
                await self._interested(guild, meeting_id, link.event_id, user)
            for user in sorted(set(known) - now):
                await self._not_interested(guild, meeting_id, user)
        self._interest_checked.add(guild)

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
        clock = self.agenda.clock
        due: datetime | None = None  # the next start or end a mirror shows; None: look now
        while not self._stopping.is_set():
            now = clock.now()
            if self.leading() and (
                due is None or now >= due or self._poked.is_set() or await self._settings_changed()
            ):
                self._poked.clear()
                rows: list[MirrorRow] = []
                try:
                    rows = await self.sync_all()
                except Exception:
                    log.exception("keeping the servers' events in step failed")
                due = self._next_boundary(rows, now)
            wait = SETTINGS_POLL
            if due is not None:
                wait = min(wait, (clock.to_real(due) - clock.to_real(clock.now())).total_seconds())
            await any_set(self._stopping, self._poked, seconds=max(0.0, wait))

    async def _settings_changed(self) -> bool:
        try:
            return await self.events.changed_elsewhere()
        except Exception:
            log.exception("reading the servers' event settings failed")
            return False

    def _next_boundary(self, rows: Iterable[MirrorRow], now: datetime) -> datetime:
        """When a meeting that a mirror shows starts or ends (its event changes then); an hour
        from now at the latest."""
        meetings = self.agenda.agenda.meetings.values()
        shown = {m.id: m for row in rows for m in window(meetings, now, row.count, row.body_ids)}
        upcoming = [
            instant
            for meeting in shown.values()
            for instant in (meeting.when.start_utc, meeting.when.end_utc)
            if instant is not None and instant > now
        ]
        return min([now + timedelta(seconds=LOOK_AGAIN), *upcoming])

    async def sync_all(self) -> list[MirrorRow]:
        """A pass over every server whose mirror is on; the settings it went by."""
        rows = [row for row in await self.events.mirroring() if not row.problem]
        for row in rows:  # a row with a problem was told once; an admin turns it on again
            await self.sync(row.guild_id)
        return rows

    async def sync(self, guild: str, *, tell: bool = True) -> Synced:
        """One server's events in line with the agenda now, by its settings as they are when
        its turn comes. `tell`: a problem that stops the mirror is said in the channel it was
        turned on in (commands answer it instead)."""
        assert self.board is not None
        synced = Synced()
        async with self._locks[guild]:
            row = await self.events.settings(guild)
            if not row.mirror or row.problem:
                return synced  # turned off (or stopped) while waiting for its turn
            try:
                await self._sync(row, synced)
            except BoardError as problem:
                if not problem.permission:
                    log.warning("server %s: events not kept in step: %s", guild, problem)
                    synced.problem = (
                        f"Discord could not be reached ({problem}); trying again later."
                    )
                    return synced
                synced.problem = words.MISSING_PERMISSION
                await self.events.save_settings(guild, problem=synced.problem)
                log.warning("server %s: %s", guild, synced.problem)
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
        planned = plan(
            [shape for shape in wanted if shape is not None],
            lambda meeting_id: self._shape(meeting_id, now),
            await self._links(guild),
            listed,
        )
        synced.left_out = planned.left_out
        for step in planned.steps:
            await self._apply(guild, step, synced, now)
        if not row.interested:
            self._interest_checked.discard(guild)  # turned on again later: catch up then
        elif guild not in self._interest_checked:
            await self._check_interest(guild)

    async def _links(self, guild: str) -> dict[str, Link]:
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

    async def _apply(self, guild: str, step: Step, synced: Synced, now: datetime) -> None:
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
                    with contextlib.suppress(Gone):
                        await unless_gone(board.delete(guild, event_id))
                    synced.deleted += 1
                case Close(meeting_id, event_id, statuses):
                    for status in statuses:
                        with contextlib.suppress(Gone):
                            await unless_gone(board.edit(guild, event_id, status=status))
                    await events.unlink(guild, meeting_id)
                    synced.changed += 1
                case Edit(event_id, shape, status):
                    if self._was_refused(guild, shape):
                        return
                    try:
                        await unless_gone(board.edit(guild, event_id, shape, status))
                    except Gone:
                        await events.dismiss(guild, shape.meeting_id)
                        return
                    synced.changed += 1
                case Create(shape):
                    if not self._was_refused(guild, shape):
                        await self._create(guild, shape, now)
                        synced.created += 1
        except BoardError as problem:
            if not problem.refused:
                raise
            if isinstance(step, Create | Edit):
                self._refused[(guild, step.shape.meeting_id)] = (step.shape, str(problem))
            synced.refused.append(str(problem))
            log.warning("server %s: Discord refused %s: %s", guild, step, problem)

    async def _create(self, guild: str, shape: EventShape, now: datetime) -> None:
        """Discord makes no event that starts in the past: one for a meeting under way starts
        a minute from now, and is started at once (an event under way keeps its start)."""
        assert self.board is not None
        under_way = shape.start <= now
        made = replace(shape, start=now + LEAD_IN) if under_way else shape
        event_id = await self.board.create(guild, made)
        await self.events.link(guild, shape.meeting_id, event_id)
        if under_way:
            await self.board.edit(guild, event_id, status=EventStatus.ACTIVE)

    def _was_refused(self, guild: str, shape: EventShape) -> bool:
        refused = self._refused.get((guild, shape.meeting_id))
        if refused is not None and refused[0] == shape:
            return True
        self._refused.pop((guild, shape.meeting_id), None)
        return False

    async def stop_mirror(self, guild: str) -> tuple[int, str]:
        """Every event of ours deleted, then the links forgotten (Interested subscriptions
        stay): (events deleted, the problem that kept some, or "")."""
        assert self.board is not None
        deleted = 0
        async with self._locks[guild]:
            await self.events.save_settings(guild, mirror=False, problem="")
            try:
                for event in await self.board.listed(guild):
                    if event.ours and not event.status.is_final:
                        with contextlib.suppress(Gone):
                            await unless_gone(self.board.delete(guild, event.id))
                        deleted += 1
            except BoardError as problem:  # the links stay, for `/events mirror off` again
                reason = words.MISSING_PERMISSION if problem.permission else str(problem)
                return deleted, reason
            await self.events.unlink(guild)
        return deleted, ""
