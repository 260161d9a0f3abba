"""Following a calendar from Discord (issue 12): an editor follows it, a channel subscribed to
its meetings hears of each change once, /history names the calendar, our feed's SEQUENCE rises;
others neither see nor use /follow."""

import pytest

from bot.core import FixedClock
from bot.core.importing import meeting_id
from tests.conftest import MINI_DAY
from tests.discord.conftest import bot_at
from tests.discord.test_bot_editing import deferred, embed, notices_in
from tests.fake_discord.commands import ImpossibleInteraction
from tests.service.calendar_server import CalendarServer

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def server():
    published = await CalendarServer().start()
    published.publish("first.ics")
    yield published
    await published.stop()


def sequence(bot, meeting):
    feed = bot.runtime.feeds.public("meeting", meeting).content.decode()
    return int(feed.split("SEQUENCE:", 1)[1].split("\r\n", 1)[0])


async def test_a_followed_calendar_changes_and_the_channel_hears_of_it_once(
    fake, mini, tmp_path, server
):
    async with bot_at(
        fake, mini, FixedClock(MINI_DAY), tmp_path, editor_guilds=[fake.guild_id]
    ) as bot:
        followed = await deferred(
            await fake.send_command("follow", {"url": server.url}, user="manager")
        )
        assert embed(followed)["title"] == "Following a calendar"
        assert "7 events read: 7 added" in embed(followed)["description"]
        subscribed = await deferred(
            await fake.send_command(
                "subscribe", {"scope": "Test Org Meetings", "target": "channel"}, user="manager"
            )
        )
        assert embed(subscribed)["title"] == "Subscribed"
        retreat = meeting_id(server.url, "retreat@test.example")
        before = sequence(bot, retreat)
        server.publish("second.ics")
        (row,) = await bot.runtime.follower.feeds.all()
        await bot.runtime.follower.read(row)
        await fake.wait_for(lambda e: len(notices_in(fake, "general")) >= 4, timeout=15)
        titles = sorted(m["embeds"][0]["title"] for m in notices_in(fake, "general"))
        assert titles == [
            "Cancelled: Pacific forum",
            "Cancelled: Seminar",
            "New date: Board retreat",
            "New date: Weekly call",
        ]
        assert sequence(bot, retreat) == before + 1
        history = await (await fake.send_command("history", {"meeting": retreat})).response()
        assert "changed in Test Org Meetings" in embed(history)["fields"][0]["value"]
        await bot.runtime.follower.read(row)  # unchanged now: a 304, nothing told again
        listed = await (await fake.send_command("following")).followup()
        assert embed(listed)["title"] == "Followed calendars"
    assert len(notices_in(fake, "general")) == 4


async def test_follow_is_for_editors_in_the_editor_guilds(fake, mini, tmp_path, server):
    async with bot_at(fake, mini, FixedClock(MINI_DAY), tmp_path, editor_guilds=[fake.guild_id]):
        with pytest.raises(ImpossibleInteraction, match="hidden from asker"):
            await fake.send_command("follow", {"url": server.url}, user="asker")
        forced = await fake.send_command("follow", {"url": server.url}, user="asker", strict=False)
        refused = await deferred(forced)
        assert embed(refused)["title"] == "Only editors change the agenda"
    assert server.requests == []


async def test_follow_exists_only_in_the_editor_guilds(fake, mini, tmp_path, server):
    async with bot_at(fake, mini, FixedClock(MINI_DAY), tmp_path):
        with pytest.raises(ImpossibleInteraction, match="no synced command /follow"):
            await fake.send_command("follow", {"url": server.url}, user="manager")
