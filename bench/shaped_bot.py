"""The minimal bot answering with our answers' shape: what sending our answers costs discord.py
alone, without our service, rendering or embed-making.

    DISCORD_TOKEN=... (as `bench/minimal_bot.py`) python -m bench.shaped_bot answers.json

The same client and commands as `bench/minimal_bot.py`, but each command is answered with one of
the answers our bot sent for it (captured at the fake by `bench/discord_bench.py`), in turn: the
JSON file maps "next", "topic" and "search" to lists of the message data of our interaction
callbacks (embeds, flags, components). The embeds are made into `discord.Embed` objects once, at
start; a paged answer gets a fresh view per answer with the two page buttons of ours
(`bot/discord/responses.py: Pager`), as ours must, kept in discord.py's view store as long as ours.
Like ours, it freezes what start-up built out of the cycle collector's reach (the minimal bot,
the floor, does not).
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

from bench.minimal_bot import point_at_environment, syncing_client

COMMANDS = ("next", "topic", "search")
PAGE_TIMEOUT = 180.0  # as ours: its views leave the view store after this (`Pager._expire`)
NO_MENTIONS = discord.AllowedMentions.none()


class Pages(discord.ui.View):
    """Our page buttons (labels, styles, custom ids), never pressed here."""

    def __init__(self, disabled: tuple[bool, bool]) -> None:
        super().__init__(timeout=None)  # as ours, which keeps its own time
        self.previous.disabled, self.next.disabled = disabled

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary, custom_id="previous")
    async def previous(self, interaction: discord.Interaction, _: discord.ui.Button[Pages]) -> None:
        return None

    @discord.ui.button(label="Next", style=discord.ButtonStyle.primary, custom_id="next")
    async def next(self, interaction: discord.Interaction, _: discord.ui.Button[Pages]) -> None:
        return None


@dataclass(frozen=True)
class Answer:
    embeds: list[discord.Embed]
    ephemeral: bool
    pages: tuple[bool, bool] | None  # the buttons' disabled states (previous, next); or none


def answer_of(data: dict[str, Any]) -> Answer:
    """An answer as ours sent it: the message data of an interaction callback."""
    buttons = {
        button["custom_id"]: bool(button.get("disabled"))
        for row in data.get("components") or []
        for button in row.get("components", [])
    }
    return Answer(
        [discord.Embed.from_dict(embed) for embed in data.get("embeds") or []],
        bool(int(data.get("flags") or 0) & 64),
        (buttons["previous"], buttons["next"]) if buttons else None,
    )


def load(path: Path) -> dict[str, list[Answer]]:
    captured = json.loads(path.read_text())
    return {command: [answer_of(data) for data in captured[command]] for command in COMMANDS}


def sender(answers: list[Answer]) -> Callable[[discord.Interaction], Awaitable[None]]:
    """Answers an interaction with the next of `answers`, as ours sends it
    (`bot/discord/responses.py`: `answer`, or `answer_paged` with buttons)."""
    turns = itertools.cycle(answers)

    async def send(interaction: discord.Interaction) -> None:
        answer = next(turns)
        if answer.pages is None:
            await interaction.response.send_message(
                embeds=answer.embeds, ephemeral=answer.ephemeral, allowed_mentions=NO_MENTIONS
            )
            return
        view = Pages(answer.pages)
        await interaction.response.send_message(
            embeds=answer.embeds, view=view, allowed_mentions=NO_MENTIONS
        )
        asyncio.get_running_loop().call_later(PAGE_TIMEOUT, view.stop)

    return send


def build(
    answers: dict[str, list[Answer]], guild: discord.Object, **options: Any
) -> discord.Client:
    """The minimal bot's client and commands (same names and options), answering `answers`."""
    client, tree = syncing_client(guild, **options)
    sync = client.setup_hook

    async def setup_hook() -> None:
        await sync()
        # As ours (`AgendaBot.setup_hook`): start-up's objects are kept out of the collector's
        # scans. Without it, one full collection of discord.py's (15 ms) was this side's p99,
        # a cost of the minimal bot's set-up that ours does not pay, not of sending our answers.
        gc.freeze()

    client.setup_hook = setup_hook  # type: ignore[method-assign]
    send_next, send_topic, send_search = (sender(answers[command]) for command in COMMANDS)

    @tree.command(name="next", description="The next meeting", guild=guild)
    async def next_meeting(interaction: discord.Interaction, body: str | None = None) -> None:
        await send_next(interaction)

    @tree.command(name="topic", description="One topic", guild=guild)
    async def topic(interaction: discord.Interaction, topic: str) -> None:
        await send_topic(interaction)

    @tree.command(name="search", description="Search", guild=guild)
    async def search(
        interaction: discord.Interaction, query: app_commands.Range[str, 1, 200]
    ) -> None:
        await send_search(interaction)

    return client


def main() -> None:
    guild = point_at_environment()
    client = build(load(Path(sys.argv[1])), guild)
    client.run(os.environ["DISCORD_TOKEN"], log_handler=None)


if __name__ == "__main__":
    main()
