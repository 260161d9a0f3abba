"""Reminders end to end through the fake Discord: subscribe, permissions, the reminder arriving
at the right time in the right place, failures logged."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.core import LivingClock
from tests.discord.conftest import bot_at
from tests.fake_discord import CHANNEL_IDS, USER_IDS

pytestmark = pytest.mark.asyncio
# The 1-day reminder of the Lomé workshop (17 November 2015, Africa/Lome, UTC+0) is due at
# midnight UTC on 16 November.
LOME_1D = datetime(2015, 11, 16, tzinfo=UTC)


def embed(reply):
    return reply.embeds[0]


async def subscribe(fake, options, user="asker", channel="general", guild=None):
    interaction = await fake.send_command(
        "subscribe", options, user=user, channel=channel, guild=guild
    )
    return await deferred(interaction)


async def deferred(interaction):
    """Reminder commands acknowledge at once (callback type 5, private) and answer after."""
    acknowledged = await interaction.response()
    assert acknowledged.type == 5 and acknowledged.ephemeral
    return await interaction.followup()


async def test_subscribing_is_private_and_permissions_are_enforced(fake, bot):
    refused = await subscribe(fake, {"target": "channel"})
    assert refused.ephemeral
    assert embed(refused)["title"] == "You need Manage Server to subscribe this channel"
    allowed = await subscribe(fake, {"target": "channel"}, user="manager")
    assert allowed.ephemeral and embed(allowed)["title"] == "Subscribed"
    in_dm = await subscribe(fake, {"target": "here"}, guild=False, channel=None)
    assert embed(in_dm)["title"] == "`target:here` works in a server only"
    mine = await subscribe(fake, {"scope": "PTC", "lead": "7d,1d"})
    assert embed(mine)["description"].startswith(
        "You will get reminders by direct message for every meeting of the Permanent Technical "
        "Committee (PTC), 7d and 1d before."
    )
    listed = await deferred(await fake.send_command("reminders"))
    assert listed.ephemeral
    assert [f["name"] for f in embed(listed)["fields"]] == [
        "every meeting · in this channel",
        "every meeting of the Permanent Technical Committee (PTC) · by direct message",
    ]


async def test_a_reminder_arrives_in_the_channel_with_exactly_its_mentions(fake, wco, tmp_path):
    clock = LivingClock(LOME_1D - timedelta(seconds=4))
    async with bot_at(fake, wco, clock, tmp_path) as bot:
        for user in ("asker", "stranger"):
            reply = await subscribe(
                fake, {"scope": "lome", "lead": "1d", "target": "here"}, user=user
            )
            assert embed(reply)["title"] == "Subscribed"
        event = await fake.wait_for(
            lambda e: (
                e.kind == "message_create"
                and e["channel_id"] == CHANNEL_IDS["general"]
                and e["message"]["type"] == 0
            ),
            timeout=15,
        )
        message = event["message"]
        asker, stranger = USER_IDS["asker"], USER_IDS["stranger"]
        assert message["content"] == f"<@{asker}> <@{stranger}>"
        shown = message["embeds"][0]
        assert shown["title"] == (
            "Reminder (1d before): WCO Regional Workshop on the TFA and the "
            "Mercator Programme, West and Central Africa region"
        )
        assert shown["description"].startswith("**Tue 17 – Thu 19 Nov 2015**, tomorrow (<t:")
        assert "</meeting:" in shown["fields"][-1]["value"]
        sent = fake.requests_to("POST", f"/channels/{CHANNEL_IDS['general']}/messages")
        assert len(sent) == 1  # two subscribers, one message
        body = sent[0].json
        assert sorted(map(int, body["allowed_mentions"]["users"])) == sorted([asker, stranger])
        assert body["allowed_mentions"]["parse"] == []
        assert body["enforce_nonce"] is True and len(body["nonce"]) == 25
        async with asyncio.timeout(10):  # the message is out; its outcome follows in the ledger
            await bot.runtime.engine.recorded(lambda stats: stats.delivered == 1)
        log = await deferred(await fake.send_command("reminders", {"show": "log"}))
        assert "**sent** · 1d before WCO Regional Workshop" in embed(log)["fields"][0]["value"]
        assert bot.runtime.engine.stats.delivered == 1


async def test_a_closed_dm_is_logged_and_the_subscription_kept(fake, wco, tmp_path):
    clock = LivingClock(LOME_1D - timedelta(seconds=4))
    async with bot_at(fake, wco, clock, tmp_path) as bot:
        await subscribe(fake, {"scope": "lome", "lead": "1d"})
        fake.fail_next(
            "POST",
            "/channels/*/messages",
            status=403,
            code=50007,
            message="Cannot send messages to this user",
        )
        await fake.wait_for(lambda e: e.kind == "injected", timeout=15)
        async with asyncio.timeout(10):
            await bot.runtime.engine.recorded(lambda stats: stats.failed == 1)
        log = await deferred(await fake.send_command("reminders", {"show": "log"}))
        value = embed(log)["fields"][0]["value"]
        assert "**failed**" in value and "cannot send you direct messages" in value
        listed = await deferred(await fake.send_command("reminders"))
        assert "by direct message" in embed(listed)["fields"][0]["name"]


async def test_a_crowded_channel_gets_every_mention_within_discords_limits(fake, wco, tmp_path):
    # Regression (review, 2026-11-26): over ~90 mentions, Discord refused the whole message.
    from bot.storage import Store

    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}")
    await store.add_subscriptions(
        dict(
            owner=f"discord:{10**18 + n}",
            delivery="here",
            guild_id=str(fake.guild_id),
            channel_id=str(CHANNEL_IDS["general"]),
            scope_kind="meeting",
            scope_id="rtfw-wca-2015",
            leads="1440",
            created=0,
        )
        for n in range(100)
    )
    await store.close()
    clock = LivingClock(LOME_1D - timedelta(seconds=3))
    async with bot_at(fake, wco, clock, tmp_path) as bot:
        fired = asyncio.Event()

        async def done(point):
            fired.set()

        bot.runtime.engine.on_fired = done
        await asyncio.wait_for(fired.wait(), timeout=15)
    sent = [m for m in fake.messages_in("general") if m["type"] == 0]
    assert len(sent) == 2 and sent[0]["embeds"] and not sent[1]["embeds"]
    mentioned = [m for message in sent for m in message["content"].split()]
    assert len(mentioned) == len(set(mentioned)) == 100
    fake.assert_no_rejections()


async def test_a_burst_of_429s_delays_a_reminder_but_never_loses_it(fake, wco, tmp_path):
    # Regression (issue 8): after 6 route 429s and one global 429, the channel delivery was
    # recorded as failed and never tried again.
    clock = LivingClock(LOME_1D - timedelta(seconds=4))
    async with bot_at(fake, wco, clock, tmp_path, reminder_retry_seconds=0.2) as bot:
        reply = await subscribe(
            fake, {"scope": "lome", "lead": "1d", "target": "channel"}, user="manager"
        )
        assert embed(reply)["title"] == "Subscribed"
        route = fake.fail_next("POST", "/channels/*/messages", status=429, times=6)
        burst = fake.fail_next("POST", "/channels/*/messages", status=429, global_=True)
        await fake.wait_for(
            lambda e: e.kind == "message_create" and e["message"]["type"] == 0, timeout=30
        )
        assert route.exhausted and burst.exhausted
        # Regression: the log was read between the message arriving and its outcome being
        # recorded, and said "claimed".
        async with asyncio.timeout(10):
            await bot.runtime.engine.recorded(lambda stats: stats.delivered == 1)
        log = await deferred(await fake.send_command("reminders", {"show": "log"}))
        value = embed(log)["fields"][0]["value"]
        assert "**sent** · 1d before WCO Regional Workshop" in value
        assert "(2 attempts)" in value
        assert bot.runtime.engine.stats.retried == 1
    sent = [m for m in fake.messages_in("general") if m["type"] == 0]
    assert len(sent) == 1  # the reminder arrived once
    nonces = {r.json["nonce"] for r in fake.requests_to("POST", "/channels/*/messages")}
    assert len(nonces) == 1  # every attempt carried the ledger's nonce


async def test_remind_cancel_offers_and_takes_back_only_ones_own_reminders(fake, bot):
    made = await deferred(
        await fake.send_command(
            "remind", {"meeting": "PTC 211", "when": "2d before"}, subcommand="me"
        )
    )
    assert embed(made)["title"] == "Reminder set"
    other = await deferred(
        await fake.send_command(
            "remind",
            {"meeting": "PTC 211", "when": "1d before"},
            subcommand="me",
            user="stranger",
        )
    )
    assert embed(other)["title"] == "Reminder set"
    offered = await (
        await fake.send_autocomplete("remind", "reminder", "", subcommand="cancel")
    ).response()
    assert [c["value"] for c in offered.choices] == ["1"]
    refused = await deferred(
        await fake.send_command("remind", {"reminder": "2"}, subcommand="cancel")
    )
    assert embed(refused)["title"] == "You have no reminder '2'"
    done = await deferred(await fake.send_command("remind", {"reminder": "1"}, subcommand="cancel"))
    assert embed(done)["title"] == "Reminder cancelled"


async def test_a_database_file_deleted_under_the_discord_bot_stops_it_with_a_reason(
    fake, wco, tmp_path, caplog
):
    # Regression (issue 9): with its file deleted, the bot acknowledged subscriptions that no
    # file kept, and went on.
    from bot.core import FixedClock
    from tests.discord.conftest import NEWS_DAY

    async with bot_at(fake, wco, FixedClock(NEWS_DAY), tmp_path) as bot:
        assert embed(await subscribe(fake, {"scope": "PTC"}))["title"] == "Subscribed"
        for path in tmp_path.glob("bot.sqlite3*"):
            path.unlink()
        interaction = await fake.send_command("subscribe", {"scope": "tfa"})
        assert (await interaction.response()).type == 5
        lost = await interaction.followup()
        assert embed(lost)["title"] == "Not saved: the database is gone"
        assert embed(lost)["description"].startswith("The database file ")
        await fake.wait_for(lambda e: e.kind == "gateway_disconnect", timeout=10)
        assert bot.is_closed()
        assert str(bot.lost).startswith(f"the database file {tmp_path / 'bot.sqlite3'} was ")
    assert "Traceback" not in caplog.text
