"""What the bot does as each interaction is dispatched (`AgendaBot.dispatch`), besides
discord.py's own handling: a press on an earlier run's buttons is answered, and no failure of
that reaches the gateway or escapes the bot's log."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from types import SimpleNamespace

import discord

from bot.core import FixedClock
from bot.discord import bot as bot_module
from bot.discord.bot import AgendaBot
from bot.discord.responses import RESTARTED
from bot.service import AgendaService

LATER = 1_000_000  # the first interaction this run saw: older messages are an earlier run's


def old_button_press(send_message):
    return SimpleNamespace(
        id=LATER + 1,
        type=discord.InteractionType.component,
        message=SimpleNamespace(id=LATER - 1),
        response=SimpleNamespace(send_message=send_message),
    )


async def agenda_bot(mini) -> AgendaBot:
    """The bot, not logged in: on this loop, with a first interaction seen."""
    service = AgendaService(mini, FixedClock(datetime(2016, 3, 1, tzinfo=UTC)))
    made = AgendaBot(service, sync_commands=False)
    await made._async_setup_hook()  # what login does first: the bot's loop is this one
    made._first_interaction = LATER
    return made


async def answered() -> None:
    """Until the answers to earlier runs' buttons are sent (or failed): their tasks' results."""
    await asyncio.gather(*list(bot_module._ANSWERING))


async def test_a_press_on_an_earlier_runs_buttons_is_told_to_run_the_command_again(mini):
    said: list[tuple[str, bool]] = []

    async def send_message(content, *, ephemeral=False):
        said.append((content, ephemeral))

    (await agenda_bot(mini)).dispatch("interaction", old_button_press(send_message))
    await answered()
    assert said == [(RESTARTED, True)]


async def test_a_restarted_answer_failing_other_than_over_http_is_logged_by_the_bot(mini, caplog):
    # Regression: only discord.HTTPException was caught; any other failure (the interaction
    # answered already, a dropped connection) was left in the task, and asyncio reported
    # "Task exception was never retrieved" outside the bot's log.
    async def send_message(content, *, ephemeral=False):
        raise discord.InteractionResponded(SimpleNamespace())  # type: ignore[arg-type]

    with caplog.at_level(logging.ERROR, logger="bot.discord.bot"):
        (await agenda_bot(mini)).dispatch("interaction", old_button_press(send_message))
        await answered()  # raised the task's exception before the fix
    logged = [r for r in caplog.records if r.name == "bot.discord.bot"]
    assert len(logged) == 1 and logged[0].exc_info is not None
    assert isinstance(logged[0].exc_info[1], discord.InteractionResponded)


async def test_a_failure_looking_at_an_interaction_is_logged_and_the_event_still_dispatched(
    mini, caplog, monkeypatch
):
    # Regression: looking at each interaction moved from a listener's task into dispatch,
    # called by the gateway's parser; a failure there went up into the gateway, and the event
    # reached neither the listeners nor anything after the parser.
    def broken(interaction, first_seen):
        raise RuntimeError("broken")

    monkeypatch.setattr(bot_module, "made_before_this_run", broken)
    made = await agenda_bot(mini)
    heard: list[object] = []

    async def on_interaction(interaction):
        heard.append(interaction)

    made.add_listener(on_interaction)
    press = old_button_press(None)
    with caplog.at_level(logging.ERROR, logger="bot.discord.bot"):
        made.dispatch("interaction", press)
    await asyncio.sleep(0)  # the listener's task runs (no wall clock: one turn of the loop)
    assert heard == [press]
    logged = [r for r in caplog.records if r.name == "bot.discord.bot"]
    assert len(logged) == 1 and isinstance(logged[0].exc_info[1], RuntimeError)
