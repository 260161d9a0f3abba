"""The benches measure what they say: their set-ups hold what they time."""

import argparse
import gc
import subprocess
import sys
from collections import Counter

import discord
from discord import app_commands

from bench import discord_bench, shaped_bot
from bench.discord_bench import ROOT
from bench.fanout import AS_OF, DUE, LEAD, MEETING
from bot.core import FixedClock
from bot.service import BUNDLED_DATA, AgendaService, load_agenda


def test_the_fan_out_bench_fans_out_a_meeting_on_the_agenda_at_its_date():
    # Regression: the bench lived at a date before its meeting was announced, so the agenda it
    # saw did not hold the meeting, the fan-out had no destinations, and it printed 0.00 s.
    service = AgendaService(load_agenda(BUNDLED_DATA), FixedClock(AS_OF))
    meeting = service.agenda.meetings[MEETING]
    assert meeting.when.start_utc - LEAD == DUE > AS_OF
    assert LEAD in service.agenda.ladders.for_kind(meeting.kind)


async def test_the_discord_bench_asks_a_third_side_answering_with_our_answers_shape(capsys):
    # Cheap: a small agenda, two commands of each per round, no figure checked (they are noise
    # here). At its warm-up the bench checks that the same-shaped bot sent, for each command,
    # the embeds, flags and buttons ours did; at the end, that no side called an unknown route.
    options = {"meetings": 100, "topics": 20, "rounds": 1, "commands": 2, "shaped": True}
    await discord_bench.run(argparse.Namespace(**options))
    printed = capsys.readouterr().out
    assert "/search 20 (" in printed and "20 with page buttons" in printed
    assert "asked of the three bots in turn" in printed
    for line in ("same-shaped /next", "ours/same-shaped", "same-shaped/minimal", "same-shaped bot"):
        assert line in printed


def test_the_same_shaped_bot_answers_with_the_buttons_ours_sent():
    button = {"type": 2, "style": 2, "label": "Previous", "custom_id": "previous"}
    sent = {
        "embeds": [{"title": "Search", "description": "1 of 3", "type": "rich", "flags": 0}],
        "components": [
            {
                "type": 1,
                "components": [
                    dict(button, disabled=True),
                    dict(button, style=1, label="Next", custom_id="next", disabled=False),
                ],
            }
        ],
    }
    answer = shaped_bot.answer_of(sent)
    assert answer.pages == (True, False) and not answer.ephemeral
    assert [embed.to_dict() for embed in answer.embeds] == sent["embeds"]
    assert shaped_bot.answer_of({"embeds": [], "flags": 64}) == shaped_bot.Answer([], True, None)


async def test_the_same_shaped_bot_keeps_its_start_up_out_of_the_collector_as_ours(monkeypatch):
    # Ours freezes start-up (`AgendaBot.setup_hook`); unfrozen, one full collection of
    # discord.py's start-up objects made the same-shaped side's p99, and ours/same-shaped < 1.
    synced = []

    async def sync(tree, *, guild=None):
        synced.append(guild)
        return []

    monkeypatch.setattr(app_commands.CommandTree, "sync", sync)
    client = shaped_bot.build({name: [] for name in shaped_bot.COMMANDS}, discord.Object(id=7))
    gc.unfreeze()
    try:
        await client.setup_hook()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert [guild.id for guild in synced] == [7]


def test_the_discord_bench_leaves_discord_py_out_of_the_process_that_times_the_bots():
    # Every side's latency goes through this process's fakes and so through its collections,
    # which discord.py's objects (a third more) would lengthen; it imported it for a name.
    probe = "import sys, bench.discord_bench; print('discord' in sys.modules)"
    imported = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert imported.stdout.strip() == "False"


def test_the_same_shaped_bot_must_send_ours_allowed_mentions_and_content_too():
    ours = {"tts": False, "embeds": [], "allowed_mentions": {"parse": []}, "content": None}
    assert discord_bench.same_shape(dict(ours), ours)
    assert not discord_bench.same_shape(dict(ours, allowed_mentions={"parse": ["users"]}), ours)
    assert not discord_bench.same_shape(dict(ours, content="hello"), ours)


def test_the_discord_bench_asks_each_side_first_and_last_as_often_across_commands():
    # Three commands of 100 in a round: the order carries on from one command to the next.
    orders = discord_bench.in_turn(["ours", "minimal", "shaped"])
    asked = [next(orders) for _ in range(3 * 100)]
    for place in (0, 1, 2):
        assert Counter(order[place] for order in asked) == dict.fromkeys(asked[0], 100)
    assert asked[:2] == [("ours", "minimal", "shaped"), ("ours", "shaped", "minimal")]
    two = discord_bench.in_turn(["ours", "minimal"])  # as before the third side
    assert [next(two) for _ in range(4)] == [("ours", "minimal"), ("minimal", "ours")] * 2
