"""Editors change the agenda from Discord: /manage is previewed and confirmed, followers hear of
it once, /history lists it, calendars count it; others neither see nor use it; undo restores."""

from datetime import UTC, date, datetime

import pytest

from bot.core import FixedClock
from tests.discord.conftest import bot_at
from tests.fake_discord import CHANNEL_IDS
from tests.fake_discord.commands import ImpossibleInteraction

pytestmark = pytest.mark.asyncio
NEWS_DAY = datetime(2015, 10, 23, 12, tzinfo=UTC)
MOVE = {
    "meeting": "PTC 211",
    "start": "2016-03-09",
    "end": "2016-03-11",
    "source": "https://www.wcoomd.org/en/media/newsroom.aspx",
    "reason": "moved a week",
}


def embed(reply):
    return reply.embeds[0]


async def deferred(interaction):
    acknowledged = await interaction.response()
    assert acknowledged.type == 5 and acknowledged.ephemeral
    return await interaction.followup()


def notices_in(fake, channel):
    return [m for m in fake.messages_in(channel) if m["type"] == 0 and m.get("embeds")]


def sequence(bot):
    feed = bot.runtime.feeds.public("meeting", "ptc-211-212").content.decode()
    return int(feed.split("SEQUENCE:", 1)[1].split("\r\n", 1)[0])


async def edit(fake, options, subcommand="change", user="manager"):
    """/manage <subcommand>: the private preview, then Confirm pressed."""
    asked = await fake.send_command("manage", options, subcommand=subcommand, user=user)
    preview = await deferred(asked)
    assert preview.ephemeral and embed(preview)["title"].startswith("Preview: ")
    assert preview.custom_ids() == ["confirm"]
    pressed = await fake.press_button(preview, "confirm", user=user)
    assert (await pressed.response()).type == 6  # acknowledged; the preview becomes the answer
    return await pressed.edit()


async def test_an_editor_moves_the_ptc_and_the_channel_hears_of_it_once(fake, wco, tmp_path):
    async with bot_at(
        fake, wco, FixedClock(NEWS_DAY), tmp_path, editor_guilds=[fake.guild_id]
    ) as bot:
        subscribed = await deferred(
            await fake.send_command(
                "subscribe", {"scope": "PTC", "target": "channel"}, user="manager"
            )
        )
        assert embed(subscribed)["title"] == "Subscribed"
        before = sequence(bot)
        done = await edit(fake, MOVE)
        assert (
            embed(done)["title"] == "Changed: Permanent Technical Committee, 211th/212th Sessions"
        )
        assert not done.components  # the buttons are gone once it is saved
        await fake.wait_for(lambda e: len(notices_in(fake, "general")) >= 1, timeout=15)
        notices = notices_in(fake, "general")
        assert [m["embeds"][0]["title"] for m in notices] == [
            "New date: Permanent Technical Committee, 211th/212th Sessions"
        ]
        assert sequence(bot) > before
        history = await (await fake.send_command("history", {"meeting": "PTC 211"})).response()
        newest = embed(history)["fields"][0]["value"]
        assert "Why: moved a week" in newest and "Edited by <@" in newest
        meeting = bot.runtime.agenda.agenda.meetings["ptc-211-212"]
        assert meeting.when.first_day == date(2016, 3, 9)
        undone = await edit(fake, {"meeting": "PTC 211"}, subcommand="undo")
        assert embed(undone)["title"].startswith("Changed: Permanent Technical Committee")
        restored = bot.runtime.agenda.agenda.meetings["ptc-211-212"]
        assert restored.when.first_day == date(2016, 3, 2)
        await fake.wait_for(lambda e: len(notices_in(fake, "general")) >= 2, timeout=15)
    assert len(notices_in(fake, "general")) == 2  # one per change, none repeated
    assert CHANNEL_IDS["general"]


async def test_a_member_without_the_right_neither_sees_nor_uses_manage(fake, wco, tmp_path):
    async with bot_at(
        fake, wco, FixedClock(NEWS_DAY), tmp_path, editor_guilds=[fake.guild_id]
    ) as bot:
        with pytest.raises(ImpossibleInteraction, match="hidden from asker"):
            await fake.send_command("manage", MOVE, subcommand="change", user="asker")
        # A client that sends it all the same is refused, and nothing changes.
        forced = await fake.send_command(
            "manage", MOVE, subcommand="change", user="asker", strict=False
        )
        refused = await deferred(forced)
        assert embed(refused)["title"] == "Only editors change the agenda"
        assert not refused.components
        meeting = bot.runtime.agenda.agenda.meetings["ptc-211-212"]
        assert meeting.when.first_day == date(2016, 3, 2)


async def test_manage_exists_only_in_the_editor_guilds(fake, wco, tmp_path):
    async with bot_at(fake, wco, FixedClock(NEWS_DAY), tmp_path):
        with pytest.raises(ImpossibleInteraction, match="no synced command /manage"):
            await fake.send_command("manage", MOVE, subcommand="change", user="manager")
