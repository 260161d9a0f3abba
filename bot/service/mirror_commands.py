"""/events status, /events mirror, /events interested-subscribes and /events going-count."""

from __future__ import annotations

import re

from bot.core import Reply, clean_input
from bot.core import server_events as words
from bot.core.mirroring import DEFAULT_COUNT, GUILD_EVENT_CAP
from bot.core.text import whole_number

from .caller import Caller
from .mirroring import Mirror
from .naming import body_named

_SPLIT = re.compile(r"\s*[,;]\s*")
SWITCH = ("on", "off")


class MirrorCommands:
    def __init__(self, mirror: Mirror) -> None:
        self.mirror = mirror
        self.events = mirror.events
        self.agenda = mirror.agenda

    async def status(self, caller: Caller) -> Reply:
        if caller.guild_id is None:
            return words.SERVER_ONLY
        row = await self.events.settings(caller.guild_id)
        links = await self.events.links(caller.guild_id)
        refused = self.mirror.refused_in(caller.guild_id)
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

    async def mirror_events(
        self, caller: Caller, state: str, count: str | None = None, bodies: str | None = None
    ) -> Reply:
        refused = self._refuse(caller)
        if refused is not None:
            return refused
        assert caller.guild_id is not None
        guild = caller.guild_id
        said = words.choice_of(state, SWITCH, "state")
        if isinstance(said, Reply):
            return said
        if said == "off":
            deleted, problem = await self.mirror.stop_mirror(guild)
            return words.mirror_off_reply(deleted, problem)
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
        await self.events.save_settings(
            guild,
            mirror=True,
            count=asked,
            bodies=",".join(dict.fromkeys(body_ids)),
            channel_id=caller.channel_id or "",
            problem="",
        )
        await self.events.clear_dismissed(guild)  # turned on again: bring every event back
        self.mirror.forget_refusals(guild)
        scope = ", ".join(self._labels(tuple(dict.fromkeys(body_ids)))) or "every body"
        if not self.mirror.leading():  # the sender makes them, once it reads the settings
            return words.mirror_saved_reply(asked, scope)
        synced = await self.mirror.sync(guild, tell=False)
        return words.mirror_reply(
            min(asked, GUILD_EVENT_CAP - synced.others),
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
        if column == "interested" and on and row.mirror and self.mirror.board is not None:
            self.mirror.check_interest_again(caller.guild_id)
            if self.mirror.leading():  # those already interested are subscribed now
                await self.mirror.sync(caller.guild_id, tell=False)
        return words.switch_reply(setting, on)

    def _labels(self, body_ids: tuple[str, ...]) -> list[str]:
        bodies = self.agenda.agenda.bodies
        return [bodies[b].label if b in bodies else b for b in body_ids]

    def _refuse(self, caller: Caller) -> Reply | None:
        if caller.guild_id is None:
            return words.SERVER_ONLY
        if not caller.can_manage:
            return words.NEEDS_MANAGE
        if self.mirror.board is None:
            return words.NO_BOARD
        return None
