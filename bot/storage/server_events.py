"""Servers' scheduled events in the database: each server's settings, which event mirrors which
meeting, who is interested on them, and who goes (/attending)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.sql import Executable

from .models import Attendance, EventInterest, EventMirror, MirroredEvent
from .store import raise_counter, read_counter

MIRRORS = "mirrors"  # the counter of servers' settings: another process sees them change


@dataclass(frozen=True, slots=True)
class MirrorRow:
    guild_id: str
    mirror: bool = False
    count: int = 20
    bodies: str = ""
    channel_id: str = ""
    interested: bool = False
    going_count: bool = False
    problem: str = ""

    @property
    def body_ids(self) -> tuple[str, ...]:
        return tuple(b for b in self.bodies.split(",") if b)


_FIELDS = tuple(f.name for f in fields(MirrorRow))


@dataclass(frozen=True, slots=True)
class LinkRow:
    event_id: str
    dismissed: bool


class ServerEvents:
    """Settings (/events), links meeting -> event, interest and attendance, per server."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.seen = 0  # the settings' counter as this process last read it

    async def changed_elsewhere(self) -> bool:
        """Whether settings were saved since `mirroring` last read them (by any process)."""
        async with self._sessions() as session:
            return await read_counter(session, MIRRORS) != self.seen

    # -- settings --------------------------------------------------------------------------------

    async def settings(self, guild_id: str) -> MirrorRow:
        async with self._sessions() as session:
            row = await session.get(EventMirror, guild_id)
            return _mirror_row(row) if row is not None else MirrorRow(guild_id)

    async def mirroring(self) -> list[MirrorRow]:
        """The servers whose mirror is on."""
        async with self._sessions() as session:
            self.seen = await read_counter(session, MIRRORS)
            rows = await session.scalars(
                select(EventMirror).where(EventMirror.mirror).order_by(EventMirror.guild_id)
            )
            return [_mirror_row(row) for row in rows]

    async def save_settings(self, guild_id: str, **changes: Any) -> MirrorRow:
        unknown = set(changes) - set(_FIELDS[1:])
        if unknown:
            raise ValueError(f"not a setting of a server's events: {sorted(unknown)}")
        async with self._sessions() as session:
            row = await session.get(EventMirror, guild_id)
            if row is None:
                defaults = MirrorRow(guild_id)
                row = EventMirror(**{name: getattr(defaults, name) for name in _FIELDS})
                session.add(row)
            for name, value in changes.items():
                setattr(row, name, value)
            try:
                await session.flush()
                await raise_counter(session, MIRRORS)
                await session.commit()
            except IntegrityError:  # saved at the same moment elsewhere: change that one
                await session.rollback()
                return await self.save_settings(guild_id, **changes)
            return _mirror_row(row)

    async def counting(self) -> list[str]:
        """The servers that show how many of them go."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(EventMirror.guild_id).where(EventMirror.going_count)
            )
            return list(rows)

    # -- which event mirrors which meeting -------------------------------------------------------

    async def links(self, guild_id: str) -> dict[str, LinkRow]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(MirroredEvent.meeting_id, MirroredEvent.event_id, MirroredEvent.dismissed)
                .where(MirroredEvent.guild_id == guild_id)
                .order_by(MirroredEvent.meeting_id)
            )
            return {meeting: LinkRow(event, dismissed) for meeting, event, dismissed in rows}

    async def link(self, guild_id: str, meeting_id: str, event_id: str) -> None:
        row = MirroredEvent(
            guild_id=guild_id, meeting_id=meeting_id, event_id=event_id, dismissed=False
        )
        await self._put(row)

    async def dismiss(self, guild_id: str, meeting_id: str) -> None:
        await self._run(
            update(MirroredEvent)
            .where(MirroredEvent.guild_id == guild_id, MirroredEvent.meeting_id == meeting_id)
            .values(dismissed=True)
        )

    async def unlink(self, guild_id: str, meeting_id: str | None = None) -> None:
        """Forget one meeting's event, or (None) every one of the server's, dismissed too."""
        conditions = [MirroredEvent.guild_id == guild_id]
        if meeting_id is not None:
            conditions.append(MirroredEvent.meeting_id == meeting_id)
        await self._run(delete(MirroredEvent).where(*conditions))

    async def clear_dismissed(self, guild_id: str) -> None:
        async with self._sessions() as session:
            await session.execute(
                delete(MirroredEvent).where(
                    MirroredEvent.guild_id == guild_id, MirroredEvent.dismissed
                )
            )
            await raise_counter(session, MIRRORS)
            await session.commit()

    async def meeting_of(self, guild_id: str, event_id: str) -> str | None:
        async with self._sessions() as session:
            found: str | None = await session.scalar(
                select(MirroredEvent.meeting_id).where(
                    MirroredEvent.guild_id == guild_id, MirroredEvent.event_id == event_id
                )
            )
            return found

    # -- interest ----------------------------------------------------------------------------------

    async def interested(self, guild_id: str, meeting_id: str, event_id: str) -> dict[str, bool]:
        """Who pressed Interested on this event of the meeting: user id -> whether that made
        their subscription. (Presses on an earlier event of the meeting are not asked back.)"""
        async with self._sessions() as session:
            rows = await session.execute(
                select(EventInterest.user_id, EventInterest.subscribed).where(
                    EventInterest.guild_id == guild_id,
                    EventInterest.meeting_id == meeting_id,
                    EventInterest.event_id == event_id,
                )
            )
            return {user: subscribed for user, subscribed in rows}

    async def add_interest(
        self, guild_id: str, meeting_id: str, event_id: str, user_id: str, subscribed: bool
    ) -> None:
        """A press on `event_id`; a subscription made by an earlier press stays its own."""
        async with self._sessions() as session:
            earlier = await session.get(EventInterest, (guild_id, meeting_id, user_id))
            subscribed = subscribed or (earlier is not None and earlier.subscribed)
        row = EventInterest(
            guild_id=guild_id,
            meeting_id=meeting_id,
            user_id=user_id,
            event_id=event_id,
            subscribed=subscribed,
        )
        await self._put(row)

    async def hand_over(self, meeting_id: str, user_id: str) -> None:
        """The subscription a press made now belongs to the member's other presses on the
        meeting (in other servers): the last one taken back removes it."""
        await self._run(
            update(EventInterest)
            .where(EventInterest.meeting_id == meeting_id, EventInterest.user_id == user_id)
            .values(subscribed=True)
        )

    async def interested_anywhere(self, meeting_id: str, user_id: str) -> bool:
        """Whether the member is interested on the meeting's event in any server."""
        async with self._sessions() as session:
            found = await session.scalar(
                select(func.count()).where(
                    EventInterest.meeting_id == meeting_id, EventInterest.user_id == user_id
                )
            )
            return bool(found)

    async def remove_interest(self, guild_id: str, meeting_id: str, user_id: str) -> bool | None:
        """Whether the removed interest had made a subscription; None if there was none."""
        key = (guild_id, meeting_id, user_id)
        async with self._sessions() as session:
            row = await session.get(EventInterest, key)
            if row is None:
                return None
            subscribed = row.subscribed
            await session.delete(row)
            await session.commit()
            return subscribed

    # -- attendance --------------------------------------------------------------------------------

    async def attend(
        self, guild_id: str, meeting_id: str, owner: str, answer: str, now: int
    ) -> None:
        row = Attendance(
            guild_id=guild_id, meeting_id=meeting_id, owner=owner, answer=answer, updated=now
        )
        await self._put(row)

    async def attendance(self, guild_id: str, meeting_id: str) -> list[tuple[str, str]]:
        """(owner, answer), in the order they answered."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(Attendance.owner, Attendance.answer)
                .where(Attendance.guild_id == guild_id, Attendance.meeting_id == meeting_id)
                .order_by(Attendance.updated, Attendance.owner)
            )
            return [(owner, answer) for owner, answer in rows]

    async def going(self, guild_ids: list[str]) -> dict[tuple[str, str], int]:
        """(server, meeting) -> how many go, for these servers."""
        if not guild_ids:
            return {}
        async with self._sessions() as session:
            rows = await session.execute(
                select(Attendance.guild_id, Attendance.meeting_id, func.count())
                .where(Attendance.guild_id.in_(guild_ids), Attendance.answer == "yes")
                .group_by(Attendance.guild_id, Attendance.meeting_id)
            )
            return {(guild, meeting): count for guild, meeting, count in rows}

    async def _run(self, statement: Executable) -> None:
        async with self._sessions() as session:
            await session.execute(statement)
            await session.commit()

    async def _put(self, row: EventInterest | Attendance | MirroredEvent) -> None:
        """Insert the row, or replace the one with its key; written twice at the same moment
        elsewhere, the other one stands."""
        async with self._sessions() as session:
            await session.merge(row)
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()


def _mirror_row(row: EventMirror) -> MirrorRow:
    return MirrorRow(*(getattr(row, name) for name in _FIELDS))
