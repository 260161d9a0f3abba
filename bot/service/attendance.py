"""/attending and /attendees: who in a server goes to a meeting, for planning a delegation; and
the count of those going, where a server asked for it (/events going-count)."""

from __future__ import annotations

from collections import Counter

from bot.core import Meeting, Reply, clean_input
from bot.core import server_events as words
from bot.core.commands import ATTENDANCE_ANSWERS
from bot.storage import ServerEvents

from .agenda import AgendaService
from .caller import Caller
from .mirroring import Mirror

CONSOLE_SERVER = ""  # the console is one server of one member


class Attendance:
    def __init__(self, agenda: AgendaService, events: ServerEvents, mirror: Mirror) -> None:
        self.agenda = agenda
        self.events = events
        self.mirror = mirror

    def _meeting(self, text: str) -> Meeting | Reply:
        query = clean_input(text, 200)
        resolution = self.agenda.index.find_meeting(query, self.agenda.clock.now())
        if resolution.found is None:
            return self.agenda.meeting(query or " ")  # says what matched instead
        return self.agenda.agenda.meetings[resolution.found]

    async def attending(self, caller: Caller, meeting: str, answer: str | None = None) -> Reply:
        said = words.choice_of(answer or "yes", ATTENDANCE_ANSWERS, "answer")
        if isinstance(said, Reply):
            return said
        found = self._meeting(meeting)
        if isinstance(found, Reply):
            return found
        server = caller.guild_id or CONSOLE_SERVER
        now = int(self.agenda.clock.now().timestamp())
        await self.events.attend(server, found.id, caller.owner, said, now)
        answers = await self.events.attendance(server, found.id)
        return words.attending_reply(found, said, sum(a == "yes" for _, a in answers))

    async def attendees(self, caller: Caller, meeting: str) -> Reply:
        found = self._meeting(meeting)
        if isinstance(found, Reply):
            return found
        server = caller.guild_id or CONSOLE_SERVER
        answers = await self.events.attendance(server, found.id)
        interested: list[str] = []
        if caller.guild_id is not None:
            users = await self.mirror.interested_in(caller.guild_id, found.id)
            interested = [f"discord:{user}" for user in users]
        return words.attendees_reply(found, answers, interested)

    async def going_line(self, caller: Caller, meeting: str) -> str:
        """ "3 of this server go" for /meeting, where the server asked; else ""."""
        if caller.guild_id is None:
            return ""
        if not (await self.events.settings(caller.guild_id)).going_count:
            return ""
        found = self._meeting(meeting)
        if isinstance(found, Reply):
            return ""
        going = await self.events.going([caller.guild_id])
        return words.going_text(going.get((caller.guild_id, found.id), 0), found.id)

    async def going(self) -> Counter[str]:
        """Meeting -> how many go, summed over the servers that show the count (web page)."""
        counts: Counter[str] = Counter()
        for (_, meeting_id), count in (
            await self.events.going(await self.events.counting())
        ).items():
            counts[meeting_id] += count
        return counts
