"""The agenda as the server's scheduled events (issue 13), end to end through the fake Discord:
mirror on, an edit moves the event, a cancel cancels it, a restart or a crash makes no
duplicate, an event deleted by hand stays deleted until the mirror is turned on again, a missing
permission is told once, and Interested becomes a reminder by direct message."""

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.core import FixedClock, LivingClock
from bot.storage import ServerEvents
from tests.discord.conftest import NEWS_DAY, bot_at
from tests.discord.test_bot_editing import MOVE, deferred, edit, embed
from tests.fake_discord import CHANNEL_IDS, USER_IDS, Perm
from tests.fake_discord.scheduled_events import FakeScheduledEvent

pytestmark = pytest.mark.asyncio
PTC = "Permanent Technical Committee, 211th/212th Sessions"
LOME = "WCO Regional Workshop on the TFA and the Mercator Programme, West and Central Africa region"
FIRST_FOUR = [  # by start, then name
    LOME,
    "WTO 10th Ministerial Conference (MC10)",
    "Joint session of the Permanent Technical Committee and the Enforcement Committee",
    PTC,
]


def live_events(fake):
    return sorted(
        (e.payload() for e in fake.scheduled_events.listed()),
        key=lambda e: (e["scheduled_start_time"], e["name"]),
    )


def event_named(fake, name):
    (found,) = [e for e in fake.scheduled_events.events.values() if e.data["name"] == name]
    return found


async def events_command(fake, subcommand, options=None, user="manager"):
    asked = await fake.send_command("events", options or {}, subcommand=subcommand, user=user)
    return embed(await deferred(asked))


async def mirror_on(fake, **options):
    return await events_command(fake, "mirror", {"state": "on", **options})


@pytest.fixture
def clock(fake):
    clock = FixedClock(NEWS_DAY)
    fake.world.now = clock.now  # Discord refuses events in the past: its now is the bot's
    return clock


async def test_mirror_on_makes_the_next_dated_meetings_the_servers_events(
    fake, wco, clock, tmp_path
):
    fake.grant_bot(Perm.MANAGE_EVENTS)
    async with bot_at(fake, wco, clock, tmp_path):
        shown = await mirror_on(fake)
        assert shown["title"] == "Mirroring the agenda"
        assert "4 event(s) made, 0 updated." in shown["description"]
        events = live_events(fake)
        assert [e["name"] for e in events] == FIRST_FOUR
        ptc = next(e for e in events if e["name"] == PTC)
        # All day in Brussels: from its midnight (23:00 UTC the day before) to the midnight
        # after the last day.
        assert ptc["scheduled_start_time"] == "2016-03-01T23:00:00+00:00"
        assert ptc["scheduled_end_time"] == "2016-03-04T23:00:00+00:00"
        assert ptc["entity_type"] == 3 and ptc["privacy_level"] == 2
        assert ptc["entity_metadata"] == {"location": "WCO Headquarters, Brussels, Belgium"}
        assert ptc["description"].endswith("\nMore: /meeting ptc-211-212")
        assert (
            "\n\nStatus: confirmed.\nBody: Permanent Technical Committee (PTC).\n"
            in (ptc["description"])
        )
        assert all(len(e["description"]) <= 1000 for e in events)
        status = await events_command(fake, "status")
        assert status["fields"][0] == {
            "name": "Mirror",
            "value": "on: the next 20 meetings of every body; 4 event(s) now",
            "inline": False,
        }
    fake.assert_no_rejections()


async def test_mirror_of_some_bodies_with_a_count(fake, wco, clock, tmp_path):
    fake.grant_bot(Perm.MANAGE_EVENTS)
    async with bot_at(fake, wco, clock, tmp_path):
        shown = await mirror_on(fake, count="1", bodies="PTC")
        assert (
            "next 1 dated meetings of Permanent Technical Committee (PTC)" in (shown["description"])
        )
        assert [e["name"] for e in live_events(fake)] == [PTC]
        refused = await mirror_on(fake, count="500")
        assert refused["title"] == "That count does not work"
        unknown = await mirror_on(fake, bodies="PTC, Nobody at all")
        assert unknown["title"] == "No such body"
        assert "Nobody at all" in unknown["description"]


async def test_an_edit_moves_the_event_and_a_cancel_cancels_it(fake, wco, clock, tmp_path):
    fake.grant_bot(Perm.MANAGE_EVENTS)
    async with bot_at(fake, wco, clock, tmp_path, editor_guilds=[fake.guild_id]):
        await mirror_on(fake)
        ptc = event_named(fake, PTC)
        await edit(fake, MOVE)
        await fake.wait_for(
            lambda e: (
                e.kind == "scheduled_event_update"
                and e["event"]["id"] == str(ptc.id)
                and e["event"]["scheduled_start_time"] == "2016-03-08T23:00:00+00:00"
            ),
            timeout=10,
        )
        await edit(fake, {"meeting": "PTC 211", "reason": "called off"}, subcommand="cancel")
        cancelled = await fake.wait_for(
            lambda e: e.kind == "scheduled_event_update" and e["event"]["status"] == 4, timeout=10
        )
        assert cancelled["event"]["id"] == str(ptc.id)
        assert PTC not in [e["name"] for e in live_events(fake)]
    assert len([e for e in fake.events_of("scheduled_event_create")]) == 4
    fake.assert_no_rejections()


async def test_a_restart_makes_no_duplicate_nor_does_a_crash_before_the_link_is_stored(
    fake, wco, clock, tmp_path
):
    fake.grant_bot(Perm.MANAGE_EVENTS)
    async with bot_at(fake, wco, clock, tmp_path) as bot:
        await mirror_on(fake)
        events = ServerEvents(bot.runtime.store.engine)
        # A crash between creating an event and storing its link: the database forgets one.
        await events.unlink(str(fake.guild_id), "ptc-211-212")
    async with bot_at(fake, wco, clock, tmp_path) as bot:
        await bot.runtime.mirror.sync_all()
        links = await ServerEvents(bot.runtime.store.engine).links(str(fake.guild_id))
        assert links["ptc-211-212"].event_id == str(event_named(fake, PTC).id)  # adopted
    assert len(fake.events_of("scheduled_event_create")) == 4
    assert [e["name"] for e in live_events(fake)] == FIRST_FOUR


async def test_an_event_deleted_by_hand_stays_deleted_until_the_mirror_is_on_again(
    fake, wco, clock, tmp_path
):
    fake.grant_bot(Perm.MANAGE_EVENTS)
    async with bot_at(fake, wco, clock, tmp_path) as bot:
        await mirror_on(fake)
        since = fake.mark()
        await fake.scheduled_events.delete_by_hand(event_named(fake, LOME).id)
        # The gateway's GUILD_SCHEDULED_EVENT_DELETE makes the mirror look at once.
        await fake.wait_for(
            lambda e: (
                e.kind == "request"
                and e["method"] == "GET"
                and e["path"].endswith("/scheduled-events")
            ),
            since=since,
            timeout=10,
        )
        await bot.runtime.mirror.sync_all()
        assert LOME not in [e["name"] for e in live_events(fake)]
        status = await events_command(fake, "status")
        assert "1 deleted by a moderator and left out" in status["fields"][0]["value"]
        again = await mirror_on(fake)
        assert "1 event(s) made, 0 updated." in again["description"]
        assert [e["name"] for e in live_events(fake)] == FIRST_FOUR
        off = await events_command(fake, "mirror", {"state": "off"})
        assert off["title"] == "Mirror stopped" and "4 event(s)" in off["description"]
        assert live_events(fake) == []


async def test_a_missing_permission_is_told_once_and_not_retried(fake, wco, clock, tmp_path):
    async with bot_at(fake, wco, clock, tmp_path) as bot:
        refused = await mirror_on(fake)
        assert refused["title"] == "The server's events could not be made"
        assert "**Manage Events**" in refused["description"]
        posts = len(fake.requests_to("POST", "/guilds/*/scheduled-events"))
        await bot.runtime.mirror.sync_all()
        await bot.runtime.mirror.sync_all()
        assert len(fake.requests_to("POST", "/guilds/*/scheduled-events")) == posts == 1
        status = await events_command(fake, "status")
        assert status["fields"][-1]["name"] == "Problem"
        # Granted later, and lost again while running: said in the channel, once.
        fake.grant_bot(Perm.MANAGE_EVENTS)
        assert "4 event(s) made" in (await mirror_on(fake))["description"]
        fake.revoke_bot(Perm.MANAGE_EVENTS)
        clock.set(datetime(2015, 11, 17, 12, tzinfo=UTC))  # Lomé starts: its event goes active
        for _ in range(3):
            await bot.runtime.mirror.sync_all()
        told = [
            m
            for m in fake.messages_in("general")
            if m["type"] == 0 and "Manage Events" in (m.get("content") or "")
        ]
        assert len(told) == 1


async def test_members_cannot_change_the_servers_events(fake, wco, clock, tmp_path):
    async with bot_at(fake, wco, clock, tmp_path):
        forced = await fake.send_command(
            "events", {"state": "on"}, subcommand="mirror", user="asker", strict=False
        )
        assert embed(await deferred(forced))["title"] == (
            "You need Manage Server to change this server's events"
        )
    assert fake.requests_to("POST", "/guilds/*/scheduled-events") == []


async def test_interested_becomes_a_reminder_by_direct_message(fake, wco, tmp_path):
    fire = datetime(2015, 11, 16, tzinfo=UTC)  # Lomé's 1-day reminder (workshops: 7d, 1d)
    clock = LivingClock(fire - timedelta(seconds=6))
    fake.world.now = clock.now
    fake.grant_bot(Perm.MANAGE_EVENTS)
    async with bot_at(fake, wco, clock, tmp_path) as bot:
        await events_command(fake, "interested-subscribes", {"state": "on"})
        await mirror_on(fake)
        lome = event_named(fake, LOME)
        await fake.scheduled_events.press_interested(lome.id, USER_IDS["asker"])
        dm = await fake.wait_for(
            lambda e: (
                e.kind == "message_create"
                and e["channel_id"] not in CHANNEL_IDS.values()
                and "Reminder" in str(e["message"].get("embeds"))
            ),
            timeout=20,
        )
        assert dm["message"]["embeds"][0]["title"].startswith("Reminder (1d before): WCO Regional")
        assert fake.world.channels[dm["channel_id"]].recipient_id == USER_IDS["asker"]
        attendees = embed(await deferred(await fake.send_command("attendees", {"meeting": "lome"})))
        assert attendees["fields"][-1]["name"] == "Interested on the event (1)"
        await fake.scheduled_events.press_interested(lome.id, USER_IDS["asker"], pressed=False)
        async with asyncio.timeout(10):
            await bot.get_cog("Events").handled(2)
        assert len(bot.runtime.reminders.audience) == 0


async def test_meetings_enter_and_leave_the_window_as_time_passes(fake, wco, clock, tmp_path):
    fake.grant_bot(Perm.MANAGE_EVENTS)
    async with bot_at(fake, wco, clock, tmp_path) as bot:
        await mirror_on(fake, count="2")
        assert [e["name"] for e in live_events(fake)] == FIRST_FOUR[:2]
        lome = event_named(fake, LOME)
        clock.set(datetime(2015, 11, 18, tzinfo=UTC))  # the Lomé workshop is under way
        await bot.runtime.mirror.sync_all()
        assert lome.status == 2
        clock.set(datetime(2015, 11, 21, tzinfo=UTC))  # and over: the next meeting comes in
        await bot.runtime.mirror.sync_all()
        assert lome.status == 3
        # The two sessions that start together come in order of their ids: the PTC's first.
        assert [e["name"] for e in live_events(fake)] == [FIRST_FOUR[1], PTC]
    fake.assert_no_rejections()


async def test_a_rate_limited_create_is_waited_out_and_makes_no_duplicate(
    fake, wco, clock, tmp_path
):
    fake.grant_bot(Perm.MANAGE_EVENTS)
    fake.fail_next("POST", "/guilds/*/scheduled-events", 429, retry_after=0.05, times=2)
    async with bot_at(fake, wco, clock, tmp_path):
        shown = await mirror_on(fake)
        assert "4 event(s) made" in shown["description"]
    assert len(fake.events_of("rate_limited")) + len(fake.events_of("injected")) == 2
    assert [e["name"] for e in live_events(fake)] == FIRST_FOUR


async def test_the_mirror_takes_only_what_discords_cap_leaves_free(fake, wco, clock, tmp_path):
    fake.grant_bot(Perm.MANAGE_EVENTS)
    for number in range(98):  # the server's own events
        event = FakeScheduledEvent(
            number + 1,
            fake.guild_id,
            USER_IDS["owner"],
            {
                "name": f"Movie night {number}",
                "status": 1,
                "entity_type": 3,
                "privacy_level": 2,
                "scheduled_start_time": "2016-06-01T18:00:00+00:00",
                "scheduled_end_time": "2016-06-01T20:00:00+00:00",
                "entity_metadata": {"location": "Voice"},
            },
        )
        fake.scheduled_events.events[event.id] = event
    async with bot_at(fake, wco, clock, tmp_path):
        shown = await mirror_on(fake)
        assert "the next 2 dated meetings" in shown["description"]
        assert "You asked for 20; Discord allows 100 scheduled events" in shown["description"]
        assert "2 meeting(s) wait for room under Discord's cap." in shown["description"]
    assert len(fake.scheduled_events.listed()) == 100
    fake.assert_no_rejections()


async def test_attending_and_attendees_list_who_goes_without_pinging_them(
    fake, wco, clock, tmp_path
):
    async with bot_at(fake, wco, clock, tmp_path):
        for user, answer in (("asker", "yes"), ("stranger", "maybe"), ("manager", "yes")):
            asked = await fake.send_command(
                "attending", {"meeting": "PTC 211", "answer": answer}, user=user
            )
            assert embed(await deferred(asked))["title"] == "Noted"
        listed = await deferred(await fake.send_command("attendees", {"meeting": "PTC 211"}))
        asker, stranger, manager = (USER_IDS[n] for n in ("asker", "stranger", "manager"))
        assert embed(listed)["fields"] == [
            # In the order they answered; at one instant (a fixed clock), by id.
            {"name": "Going (2)", "value": f"<@{manager}>, <@{asker}>", "inline": False},
            {"name": "Maybe (1)", "value": f"<@{stranger}>", "inline": False},
        ]
        await events_command(fake, "going-count", {"state": "on"})
        shown = await (await fake.send_command("meeting", {"meeting": "PTC 211"})).response()
        going = embed(shown)["fields"][-1]["value"]  # /attendees as a command mention
        assert re.fullmatch(
            r"2 from this server \(</attendees:\d+> `ptc-211-212` lists who\)", going
        )


async def test_events_discord_refuses_are_said_and_not_sent_again(fake, wco, tmp_path):
    # The bot lives on 23 October 2015 (--as-of); Discord, on the real clock, takes every
    # meeting of then for one in the past.
    fake.grant_bot(Perm.MANAGE_EVENTS)
    async with bot_at(fake, wco, FixedClock(NEWS_DAY), tmp_path) as bot:
        shown = await mirror_on(fake)
        assert "0 event(s) made" in shown["description"]
        assert "Discord refused 4 event(s): " in shown["description"]
        assert "Cannot schedule event in the past" in shown["description"]
        posts = len(fake.requests_to("POST", "/guilds/*/scheduled-events"))
        await bot.runtime.mirror.sync_all()
        assert len(fake.requests_to("POST", "/guilds/*/scheduled-events")) == posts == 4
        status = await events_command(fake, "status")
        assert status["fields"][-1]["name"] == "Problem"


async def test_interest_pressed_while_the_bot_was_stopped_is_caught_up_at_start(
    fake, wco, clock, tmp_path
):
    fake.grant_bot(Perm.MANAGE_EVENTS)
    async with bot_at(fake, wco, clock, tmp_path):
        await events_command(fake, "interested-subscribes", {"state": "on"})
        await mirror_on(fake)
    ptc = event_named(fake, PTC)
    await fake.scheduled_events.press_interested(ptc.id, USER_IDS["stranger"])  # bot away
    async with bot_at(fake, wco, clock, tmp_path) as bot:
        await bot.runtime.mirror.sync_all()  # the start's pass, awaited here
        (row,) = bot.runtime.reminders.audience.subscriptions()
        assert (row.owner, row.scope_id) == (f"discord:{USER_IDS['stranger']}", "ptc-211-212")
        listed = await deferred(await fake.send_command("reminders", user="stranger"))
        assert "Permanent Technical Committee, 211th/212th Sessions" in str(embed(listed))
