"""Every slash command end to end: the real bot against the fake Discord, answers asserted."""

import asyncio
from datetime import UTC, datetime

import icalendar
import pytest

from bot.discord.responses import STRANGER

pytestmark = pytest.mark.asyncio


def embed(reply):
    assert len(reply.embeds) == 1
    return reply.embeds[0]


async def test_commands_are_synced_once_and_unchanged_trees_are_not_synced_again(
    fake, wco, tmp_path
):
    from bot.core import FixedClock
    from tests.discord.conftest import NEWS_DAY, bot_at

    async with bot_at(fake, wco, FixedClock(NEWS_DAY), tmp_path, reminders=False):
        pass
    assert fake.sync_calls() == 1
    names = sorted(c["name"] for c in fake.commands())
    assert names == sorted(
        [
            "agenda",
            "attendees",
            "attending",
            "calendar",
            "changes",
            "events",
            "following",
            "help",
            "history",
            "meeting",
            "next",
            "remind",
            "reminders",
            "search",
            "subscribe",
            "timezone",
            "topic",
            "topics",
            "unsubscribe",
            "who",
        ]
    )
    async with bot_at(fake, wco, FixedClock(NEWS_DAY), tmp_path, reminders=False):
        pass
    assert fake.sync_calls() == 1  # the same tree: no second global sync


async def test_next(fake, bot):
    reply = await (await fake.send_command("next")).response()
    assert reply.type == 4 and not reply.ephemeral
    shown = embed(reply)
    assert shown["title"] == (
        "Next: WCO Regional Workshop on the TFA and the Mercator Programme, "
        "West and Central Africa region"
    )
    assert shown["fields"][0]["value"].startswith(
        "Tue 17 – Thu 19 Nov 2015 · Lomé, Togo · confirmed · in 25 days"
    )
    assert reply.data["allowed_mentions"] == {"parse": []}


async def test_meeting_shows_dates_sources_and_a_clickable_command(fake, bot):
    reply = await (await fake.send_command("meeting", {"meeting": "PTC 211"})).response()
    shown = embed(reply)
    assert shown["title"] == "Permanent Technical Committee, 211th/212th Sessions"
    fields = {f["name"]: f["value"] for f in shown["fields"]}
    # As the news item of 23 October 2015 announced it; its report of March 2016 is not known yet.
    assert (
        fields["When"] == "Wed 2 – Fri 4 Mar 2016 (in 131 days)\nVenue time zone: Europe/Brussels"
    )
    assert fields["Where"] == "WCO Headquarters, Brussels, Belgium"
    assert "(https://www.wcoomd.org/zh-cn/media/newsroom/2015/october/" in fields["Sources"]
    assert "2016/march" not in fields["Sources"] and "Outcome" not in fields
    assert shown["footer"]["text"] == "id ptc-211-212 · updated 2015-10-23"


async def test_topic_forgives_typos(fake, bot):
    reply = await (await fake.send_command("topic", {"topic": "3d printng"})).response()
    assert embed(reply)["title"] == "3D printing"


async def test_who_with_another_spelling_and_its_autocomplete(fake, bot):
    reply = await (await fake.send_command("who", {"person": "Zhangzhu Gao"})).response()
    shown = embed(reply)
    assert shown["title"] == "Person: Gaozhang Zhu"
    assert shown["fields"][0] == {
        "name": "Also written",
        "value": "Zhangzhu Gao, Mr Zhu, Director Zhu",
        "inline": False,
    }
    choices = await (await fake.send_autocomplete("who", "person", "van k")).response()
    assert choices.choices[0] == {"name": "Rob Van Kuik (Netherlands)", "value": "rob-van-kuik"}


async def test_nothing_found_is_private_and_says_what_to_type(fake, bot):
    reply = await (await fake.send_command("meeting", {"meeting": "xyzzy"})).response()
    assert reply.ephemeral
    shown = embed(reply)
    assert shown["title"] == "No meeting matches 'xyzzy'"
    assert "</search:" in shown["description"]


async def test_search(fake, bot):
    reply = await (await fake.send_command("search", {"query": "kyotto convension"})).response()
    shown = embed(reply)
    assert shown["title"] == "Search: kyotto convension"
    assert shown["description"].startswith(
        "Searched 'kyoto' for 'kyotto', 'convention' for 'convension'."
    )
    assert shown["fields"][0]["name"] == "Topic: Revised Kyoto Convention (RKC)"


async def test_help(fake, bot):
    reply = await (await fake.send_command("help", {"command": "agenda"})).response()
    assert embed(reply)["title"] == "/agenda"


async def test_calendar_is_an_ics_attachment(fake, bot):
    asked = await fake.send_command("calendar", {"body": "ptc", "alarms": True}, subcommand="file")
    reply = await asked.response()
    calendar = icalendar.Calendar.from_ical(reply.file("agenda-ptc.ics").data)
    uids = {str(e["UID"]).split("@")[0] for e in calendar.walk("VEVENT")}
    assert {"ptc-209-210", "ptc-211-212", "ptc-ec-joint-2016"} <= uids
    assert all(e.walk("VALARM") for e in calendar.walk("VEVENT") if str(e["STATUS"]) != "CANCELLED")
    assert "Left out, no day known yet" not in embed(reply)["description"]


@pytest.fixture
async def bot_in_march_2016(fake, wco, tmp_path):
    """Twelve meetings had ended by then: two pages of /agenda past:yes."""
    from bot.core import FixedClock
    from tests.discord.conftest import bot_at

    clock = FixedClock(datetime(2016, 3, 1, 12, tzinfo=UTC))
    async with bot_at(fake, wco, clock, tmp_path, reminders=False) as running:
        yield running


async def test_agenda_pages_with_buttons_only_the_asker_can_press(fake, bot_in_march_2016):
    asked = await fake.send_command("agenda", {"past": True})
    first = await asked.response()
    assert embed(first)["footer"]["text"].startswith("Page 1 of 2")
    assert first.custom_ids() == ["previous", "next"]
    buttons = {c["custom_id"]: c for row in first.components for c in row["components"]}
    assert buttons["previous"].get("disabled") is True
    refused = await (await fake.press_button(asked, "next", user="stranger")).response()
    assert refused.ephemeral and refused.content == STRANGER
    turned = await (await fake.press_button(asked, "next", user="asker")).response()
    assert turned.type == 7
    assert embed(turned)["footer"]["text"].startswith("Page 2 of 2")


async def test_autocomplete(fake, bot):
    answer = await (await fake.send_autocomplete("meeting", "meeting", "ptc 21")).response()
    assert answer.type == 8
    values = [c["value"] for c in answer.choices]
    assert "ptc-211-212" in values and len(values) <= 25
    topics = await (await fake.send_autocomplete("topic", "topic", "pnr")).response()
    assert topics.choices[0]["value"] == "api-pnr"
    nothing = await (await fake.send_autocomplete("subscribe", "scope", "")).response()
    assert nothing.choices[0] == {"name": "all", "value": "all"}


async def test_commands_work_in_a_dm(fake, bot):
    reply = await (await fake.send_command("next", guild=False)).response()
    assert embed(reply)["title"].startswith("Next: ")


async def test_a_429_on_the_callback_is_retried_after_retry_after(fake, bot):
    fake.fail_next("POST", "/interactions/*/callback", status=429, retry_after=0.05)
    reply = await (await fake.send_command("next")).response()
    assert embed(reply)["title"].startswith("Next: ")
    attempts = fake.requests_to("POST", "/interactions/*/callback")
    assert attempts[-1].time - attempts[-2].time >= 0.05


async def test_a_dropped_gateway_resumes_and_commands_still_work(fake, bot):
    await fake.drop_gateway()
    await fake.wait_for(lambda event: event.kind == "resumed", timeout=10)
    assert fake.resumes == 1
    reply = await (await fake.send_command("topic", {"topic": "kyoto"})).response()
    assert embed(reply)["title"] == "Revised Kyoto Convention (RKC)"


async def test_an_unexpected_error_is_an_apology_and_is_logged(fake, bot, caplog):
    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    bot.service.asked = broken  # what every agenda command is answered from
    reply = await (await fake.send_command("next")).response()
    assert reply.ephemeral
    assert embed(reply)["title"] == "Sorry, that went wrong on my side"
    assert "command /next failed (user" in caplog.text


async def test_page_buttons_are_disabled_when_they_time_out(fake, bot_in_march_2016, monkeypatch):
    from bot.discord import responses

    monkeypatch.setattr(responses, "PAGE_TIMEOUT", 0.2)
    asked = await fake.send_command("agenda", {"past": True})
    await asked.response()
    event = await fake.wait_for(lambda e: e.kind in ("edit", "message_update"), timeout=10)
    assert event is not None
    buttons = [c for row in asked.message["components"] for c in row["components"]]
    assert buttons and all(button.get("disabled") for button in buttons)


async def test_timed_out_page_buttons_are_disabled_through_the_last_press(
    fake, bot_in_march_2016, monkeypatch
):
    """The pager keeps the last interaction, not the message parsed from the callback's answer:
    the buttons are disabled by one edit of the paged message, with the last press's token (a
    token lasts 15 minutes; presses keep the buttons alive longer), nothing fetched back."""
    from bot.discord import responses

    made: list[responses.Pager] = []

    class Recorded(responses.Pager):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.shown = asyncio.Event()
            made.append(self)

        async def _show(self, interaction, number) -> None:
            await super()._show(interaction, number)
            self.shown.set()

    monkeypatch.setattr(responses, "Pager", Recorded)
    asked = await fake.send_command("agenda", {"past": True})
    await asked.response()
    pressed = await fake.press_button(asked, "next", user="asker")
    turned = await pressed.response()
    assert embed(turned)["footer"]["text"].startswith("Page 2 of 2")
    pager = made[0]
    await asyncio.wait_for(pager.shown.wait(), timeout=10)  # the press answered and kept
    await pager.on_timeout()  # what discord.py calls when the buttons' time is up
    assert asked.edits == [] and len(pressed.edits) == 1
    edits = fake.requests_to("PATCH", "/webhooks/*")
    assert [r.path.rpartition("/")[2] for r in edits] == ["@original"]
    assert edits[0].json["components"][0]["components"] == [
        {"type": 2, "style": 2, "label": "Previous", "disabled": True, "custom_id": "previous"},
        {"type": 2, "style": 1, "label": "Next", "disabled": True, "custom_id": "next"},
    ]
    assert asked.message["embeds"][0]["footer"]["text"].startswith("Page 2 of 2")
    assert fake.requests_to("GET", "/webhooks/*") == []


async def test_a_paged_answer_is_not_fetched_back_after_it_is_sent(fake, bot_in_march_2016):
    """The callback's answer already holds the message the page buttons edit later: a second
    request for it only delayed the next command."""
    asked = await fake.send_command("agenda", {"past": True})
    await asked.response()
    turned = await (await fake.press_button(asked, "next", user="asker")).response()
    assert embed(turned)["footer"]["text"].startswith("Page 2 of 2")
    assert fake.requests_to("GET", "/webhooks/*") == []


async def test_timed_meetings_use_discord_timestamps(fake, mini, tmp_path):
    from bot.core import FixedClock
    from tests.conftest import MINI_DAY
    from tests.discord.conftest import bot_at

    async with bot_at(fake, mini, FixedClock(MINI_DAY), tmp_path, reminders=False):
        reply = await (await fake.send_command("meeting", {"meeting": "board 12"})).response()
        when = {f["name"]: f["value"] for f in embed(reply)["fields"]}["When"]
        assert when == (
            "<t:1457096400:F> – <t:1457109000:t> (<t:1457096400:R>)\n"
            "Venue time zone: Europe/Brussels"
        )
        undated = await (await fake.send_command("meeting", {"meeting": "tc-next"})).response()
        assert {f["name"]: f["value"] for f in embed(undated)["fields"]}["When"].startswith(
            "date TBA"
        )


async def test_calendar_link_gives_private_feed_addresses_that_work(fake, bot):
    import aiohttp

    from tests.discord.test_bot_reminders import deferred

    reply = await deferred(await fake.send_command("calendar", {"scope": "PTC"}, subcommand="link"))
    assert reply.ephemeral
    shown = embed(reply)
    assert shown["title"] == "Calendar feed: Permanent Technical Committee (PTC)"
    https = next(line for line in shown["description"].splitlines() if line.startswith("http://"))
    assert "webcal://" + https.removeprefix("http://") in shown["description"]
    async with aiohttp.ClientSession() as http, http.get(https) as response:
        calendar = icalendar.Calendar.from_ical(await response.read())
    assert "ptc-211-212@" in " ".join(str(e["UID"]) for e in calendar.walk("VEVENT"))
    mine = await deferred(await fake.send_command("calendar", {"scope": "me"}, subcommand="link"))
    assert embed(mine)["title"] == "Your personal calendar feed"
    revoked = await deferred(await fake.send_command("calendar", subcommand="revoke"))
    assert revoked.ephemeral and embed(revoked)["title"] == "Personal feed turned off"


async def test_page_buttons_timing_out_while_the_bot_closes_are_left_alone():
    """A Pager that timed out while the bot was closing edited its message over a closed HTTP
    session: an unhandled RuntimeError('Session is closed') at every stop after a /search."""
    from bot.discord.responses import Pager

    class Closing:
        def is_closed(self) -> bool:
            return True

    class Message:
        async def edit(self, **_changes):
            raise RuntimeError("Session is closed")

    async def page(number):
        raise AssertionError("no page is asked for")

    view = Pager(1, page, 2, Closing())
    view.message = Message()
    await view.on_timeout()


async def test_page_buttons_from_before_a_restart_say_to_run_the_command_again(fake, wco, tmp_path):
    # Regression: a press on buttons the previous run of the bot sent got no answer at all, and
    # Discord told the user "This interaction failed".
    from bot.core import FixedClock
    from bot.discord.responses import RESTARTED
    from tests.discord.conftest import bot_at

    clock = FixedClock(datetime(2016, 3, 1, 12, tzinfo=UTC))
    async with bot_at(fake, wco, clock, tmp_path, reminders=False):
        asked = await fake.send_command("agenda", {"past": True})
        await asked.response()
    async with bot_at(fake, wco, clock, tmp_path, reminders=False):
        stale = await (await fake.press_button(asked, "next", user="asker")).response()
        assert stale.ephemeral and stale.content == RESTARTED
        again = await fake.send_command("agenda", {"past": True})
        await again.response()
        turned = await (await fake.press_button(again, "next", user="asker")).response()
        assert turned.type == 7
        assert embed(turned)["footer"]["text"].startswith("Page 2 of 2")


async def test_page_buttons_live_on_from_the_askers_last_press():
    """The pager keeps its own time (discord.py's timeout ran a task per paged answer): the
    asker's press pushes the end back; at the end the buttons take no more presses and are
    disabled, once."""
    from types import SimpleNamespace

    from bot.discord.responses import PAGE_TIMEOUT, Pager

    ended: list[str] = []
    done = asyncio.Event()

    class Timed(Pager):
        async def on_timeout(self) -> None:
            ended.append("timeout")
            done.set()

    async def page(number):
        raise AssertionError("no page is asked for")

    loop = asyncio.get_running_loop()
    view = Timed(1, page, 2)
    view.start_timer()
    assert view.expires <= loop.time() + PAGE_TIMEOUT
    sent = view.expires
    assert await view.interaction_check(SimpleNamespace(user=SimpleNamespace(id=1)))
    assert view.expires >= sent
    view.expires = loop.time() + 60  # pressed since: the first timer finds the end later
    view._expire()
    assert not view.is_finished() and ended == []
    view.expires = loop.time()  # its time is up
    view._expire()
    assert view.is_finished()
    await asyncio.wait_for(done.wait(), timeout=10)
    view._expire()  # a later timer of a finished view does nothing
    assert ended == ["timeout"]
