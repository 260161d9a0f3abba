"""The fake Discord works with the real discord.py client: login, gateway, slash commands,
autocomplete, buttons, modals, files, DMs, failures and rate limits; nothing waits on a sleep."""

from __future__ import annotations

import asyncio
import io

import discord
import pytest
import yarl
from discord import app_commands
from discord.ext import commands
from discord.http import Route

from tests.fake_discord import (
    CLIENT_OPTIONS,
    FakeDiscord,
    ImpossibleInteraction,
    Perm,
    RejectedByFake,
    running_client,
)

MEETINGS = ["PTC 211th session", "PTC 212th session", "Policy Commission 74th session"]
ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


class Counter(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=60)
        self.count = 0

    @discord.ui.button(label="More", custom_id="counter:more")
    async def more(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.count += 1
        await interaction.response.edit_message(content=f"count {self.count}", view=self)


class Pick(discord.ui.View):
    @discord.ui.select(
        custom_id="pick:body",
        options=[discord.SelectOption(label=b, value=b.lower()) for b in ("PTC", "Council")],
    )
    async def body(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.send_message(f"picked {select.values[0]}", ephemeral=True)


class Feedback(discord.ui.Modal, title="Feedback"):
    text = discord.ui.TextInput(label="Your feedback", custom_id="feedback:text")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks for: {self.text.value}", ephemeral=True)


def build_bot() -> commands.Bot:
    bot = commands.Bot(
        command_prefix=commands.when_mentioned, intents=discord.Intents.default(), **CLIENT_OPTIONS
    )
    tree = bot.tree

    @tree.command(description="Is the bot alive?")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong", ephemeral=True)

    @tree.command(description="Look a meeting up")
    @app_commands.describe(meeting="Which meeting", days="How many days ahead")
    async def meeting(
        interaction: discord.Interaction, meeting: str, days: app_commands.Range[int, 1, 30] = 7
    ) -> None:
        await interaction.response.send_message(f"{meeting} within {days} days")

    @meeting.autocomplete("meeting")
    async def meeting_names(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        found = [m for m in MEETINGS if current.lower() in m.lower()]
        return [app_commands.Choice(name=m, value=m) for m in found]

    @tree.command(description="A counter with a button")
    @app_commands.guild_only()
    async def counter(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("count 0", view=Counter())

    @tree.command(description="Pick a body")
    async def pick(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Which body?", view=Pick(), ephemeral=True)

    @tree.command(description="The agenda as a calendar file")
    async def calendar(interaction: discord.Interaction) -> None:
        file = discord.File(io.BytesIO(ICS), filename="agenda.ics")
        await interaction.response.send_message("Your calendar", file=file)

    @tree.command(description="What may I do here?")
    @app_commands.allowed_contexts(guilds=True, dms=True)
    async def whoami(interaction: discord.Interaction) -> None:
        where = "dm" if interaction.guild is None else "guild"
        manage = interaction.permissions.manage_guild
        await interaction.response.send_message(f"{where} manage_guild={manage}", ephemeral=True)

    @tree.command(description="Think first, answer later")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send("done thinking")

    @tree.command(description="Leave feedback")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Feedback())

    @tree.command(description="Too long for Discord")
    async def overflow(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("x" * 2001)

    @tree.error
    async def on_error(interaction: discord.Interaction, error: Exception) -> None:
        bot.dispatch("test_command_error", error)

    return bot


@pytest.fixture
async def fake():
    async with FakeDiscord() as fake:
        yield fake


@pytest.fixture
async def bot(fake):
    bot = build_bot()
    async with running_client(fake, bot):
        guild = discord.Object(fake.guild_id)
        bot.tree.copy_global_to(guild=guild)
        await bot.tree.sync(guild=guild)
        yield bot
    fake.assert_no_unknown_routes()


async def test_the_bot_logs_in_connects_and_syncs(fake, bot):
    assert bot.user.id == fake.bot_user_id
    assert bot.application_id == fake.application_id
    guild = bot.get_guild(fake.guild_id)
    assert {c.name for c in guild.text_channels} >= {"general", "agenda", "staff"}
    assert guild.me.guild_permissions.send_messages
    assert not guild.me.guild_permissions.manage_guild
    paths = [r.path for r in fake.requests]
    assert paths[:2] == ["/users/@me", "/oauth2/applications/@me"]
    assert fake.sync_calls(guild=True) == 1
    assert {c["name"] for c in fake.commands(guild=True)} >= {"ping", "meeting", "counter"}
    assert fake.identifies == 1


async def test_ping_answers_pong_ephemerally(fake, bot):
    ping = await fake.send_command("ping", user="asker", channel="general")
    reply = await ping.response(timeout=5)
    assert (reply.type, reply.content, reply.ephemeral) == (4, "pong", True)
    assert ping.message["content"] == "pong"


async def test_options_are_typed_and_checked_like_discord_does(fake, bot):
    rec = await fake.send_command("meeting", {"meeting": "PTC 211th session", "days": 3})
    assert (await rec.response()).content == "PTC 211th session within 3 days"
    with pytest.raises(ImpossibleInteraction):
        await fake.send_command("meeting", {"meeting": "PTC", "days": 31})  # outside the Range
    with pytest.raises(ImpossibleInteraction):
        await fake.send_command("meeting", {"days": 3})  # required option missing


async def test_autocomplete_offers_matching_meetings(fake, bot):
    rec = await fake.send_autocomplete("meeting", "meeting", "ptc", {"days": 5})
    reply = await rec.response(timeout=5)
    assert reply.type == 8
    assert [c["value"] for c in reply.choices] == ["PTC 211th session", "PTC 212th session"]


async def test_a_button_press_edits_the_message(fake, bot):
    rec = await fake.send_command("counter")
    first = await rec.response()
    assert first.custom_ids() == ["counter:more"]
    press = await fake.press_button(rec, "counter:more", user="stranger")
    update = await press.response()
    assert (update.type, update.content) == (7, "count 1")
    again = await fake.press_button(first, "counter:more")
    assert (await again.response()).content == "count 2"
    assert fake.message(rec.original_message_id)["content"] == "count 2"


async def test_a_select_menu_choice_reaches_the_view(fake, bot):
    rec = await fake.send_command("pick", user="asker")
    await rec.response()
    with pytest.raises(ImpossibleInteraction):  # an ephemeral message only its user can see
        await fake.choose(rec, "pick:body", ["ptc"], user="stranger")
    chosen = await fake.choose(rec, "pick:body", ["ptc"], user="asker")
    assert (await chosen.response()).content == "picked ptc"


async def test_a_user_message_reaches_the_bot(fake, bot):
    heard = asyncio.create_task(bot.wait_for("message", timeout=5))
    await fake.send_message_as("asker", "general", "hello bot")
    message = await heard
    assert (message.author.id, message.channel.id) == (
        fake.user("asker").id,
        fake.channel_id("general"),
    )


async def test_a_file_reply_is_uploaded_and_downloadable(fake, bot):
    rec = await fake.send_command("calendar")
    reply = await rec.response()
    assert reply.file("agenda.ics").data == ICS
    attachment = reply.message["attachments"][0]
    assert (attachment["filename"], attachment["size"]) == ("agenda.ics", len(ICS))
    assert await bot.http.get_from_cdn(attachment["url"]) == ICS


async def test_permissions_follow_roles(fake, bot):
    manager = await fake.send_command("whoami", user="manager")
    asker = await fake.send_command("whoami", user="asker")
    assert (await manager.response()).content == "guild manage_guild=True"
    assert (await asker.response()).content == "guild manage_guild=False"
    with pytest.raises(ImpossibleInteraction):
        await fake.send_command("whoami", user="asker", channel="staff")  # hidden from asker


async def test_a_command_from_a_dm(fake, bot):
    await bot.tree.sync()  # DMs only see global commands
    rec = await fake.send_command("whoami", user="asker", guild=False)
    assert (await rec.response()).content == "dm manage_guild=False"
    assert rec.guild_id is None
    with pytest.raises(ImpossibleInteraction):
        await fake.send_command("counter", guild=False)  # guild-only commands are not in DMs


async def test_the_first_followup_after_a_defer_replaces_the_thinking_message(fake, bot):
    rec = await fake.send_command("slow")
    deferred = await rec.response()
    assert (deferred.type, deferred.ephemeral) == (5, True)
    followup = await rec.followup()
    assert followup.message["id"] == str(rec.original_message_id)
    assert rec.message["content"] == "done thinking"
    assert rec.message["flags"] == 64


async def test_a_modal_is_opened_and_submitted(fake, bot):
    rec = await fake.send_command("feedback")
    assert (await rec.response()).type == 9
    submitted = await fake.submit_modal(rec, {"feedback:text": "more workshops"})
    assert (await submitted.response()).content == "thanks for: more workshops"


async def test_a_429_on_the_callback_is_retried_after_retry_after(fake, bot):
    injection = fake.fail_next("POST", "/interactions/*/callback", status=429, retry_after=0.05)
    rec = await fake.send_command("ping")
    assert (await rec.response()).content == "pong"
    calls = fake.requests_to("POST", "/interactions/*/callback")
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].time - calls[0].time >= 0.05
    assert len(injection.served) == 1


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [(403, 50013, discord.Forbidden), (404, 10003, discord.NotFound), (400, 50035, None)],
)
async def test_injected_errors_reach_the_client(fake, bot, status, code, error):
    fake.fail_next("POST", "/channels/{channel_id}/messages", status=status, code=code)
    channel = bot.get_channel(fake.channel_id("general"))
    with pytest.raises(error or discord.HTTPException) as caught:
        await channel.send("hello")
    assert (caught.value.status, caught.value.code) == (status, code)
    await channel.send("hello again")  # only the next request fails
    assert [m["content"] for m in fake.messages_in("general")] == ["hello again"]


async def test_a_429_without_via_is_not_retried(fake, bot):
    fake.fail_next("POST", "/channels/*/messages", status=429, via=False)
    channel = bot.get_channel(fake.channel_id("general"))
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send("hello")
    assert caught.value.status == 429
    assert len(fake.requests_to("POST", "/channels/*/messages")) == 1


async def test_a_global_429_holds_every_route(fake, bot):
    fake.fail_next("POST", "/channels/*/messages", retry_after=0.1, global_=True)
    channel = bot.get_channel(fake.channel_id("general"))
    await channel.send("after the global limit")
    calls = fake.requests_to("POST", "/channels/*/messages")
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].time - calls[0].time >= 0.1


async def test_a_dropped_gateway_is_resumed_and_commands_still_work(fake, bot):
    await fake.drop_gateway(code=4000)
    rec = await fake.send_command("ping")  # sent live or replayed by the RESUME
    resumed = await fake.wait_for("resumed", timeout=5)
    assert resumed["path"] == "/resume-gateway"
    assert fake.resumes == 1 and fake.identifies == 1
    assert (await rec.response()).content == "pong"


async def test_a_connection_reset_is_resumed_too(fake, bot):
    await fake.drop_gateway(reset=True)
    await fake.wait_for("resumed", timeout=5)
    rec = await fake.send_command("ping")
    assert (await rec.response()).content == "pong"


async def test_an_invalidated_session_identifies_again(fake, bot):
    await fake.invalidate_session()
    await fake.wait_for(lambda e: e.kind == "identify" and fake.identifies == 2, timeout=5)
    rec = await fake.send_command("ping")
    assert (await rec.response()).content == "pong"


async def test_a_message_over_discord_limits_is_refused(fake, bot):
    errors = fake.mark()
    rec = await fake.send_command("overflow")
    with pytest.raises(RejectedByFake):
        await rec.response()
    assert fake.rejections[0]["error"]["code"] == 50035
    await fake.wait_for(lambda e: e.kind == "request" and e["status"] == 400, since=errors)


async def test_channel_sends_with_the_same_nonce_create_one_message(fake, bot):
    channel = bot.get_channel(fake.channel_id("general"))
    first = await channel.send("reminder", nonce=12345)
    second = await channel.send("reminder", nonce=12345)
    assert first.id == second.id
    assert [m["content"] for m in fake.messages_in("general")] == ["reminder"]
    assert len(fake.events_of("nonce_deduplicated")) == 1


async def test_a_dm_is_opened_and_closed_dms_are_refused(fake, bot):
    asker = await bot.fetch_user(fake.user("asker").id)
    await asker.send("your meeting starts soon")
    assert fake.messages_in(fake.dm_channel_id("asker"))[0]["content"] == "your meeting starts soon"
    fake.user("stranger").dms_open = False
    stranger = await bot.fetch_user(fake.user("stranger").id)
    with pytest.raises(discord.Forbidden) as refused:
        await stranger.send("hello")
    assert refused.value.code == 50007


async def test_rate_limit_headers_make_the_client_wait(fake, bot):
    rule = fake.set_rate_limit("POST", "/channels/*/messages", limit=2, per=0.3)
    channel = bot.get_channel(fake.channel_id("agenda"))
    for n in range(3):
        await channel.send(f"message {n}")
    sent = fake.requests_to("POST", "/channels/*/messages")
    assert [r.status for r in sent] == [200, 200, 200]  # the client waited instead of a 429
    assert sent[2].time - sent[0].time >= 0.25
    assert rule.limited == []


async def test_unknown_routes_are_recorded(fake, bot):
    with pytest.raises(discord.NotFound):
        await bot.http.request(Route("GET", "/not/a/discord/route"))
    assert [r.path for r in fake.unknown_routes] == ["/not/a/discord/route"]
    with pytest.raises(AssertionError):
        fake.assert_no_unknown_routes()
    fake.unknown_routes.clear()


async def test_a_wrong_token_is_a_login_failure(fake):
    bot = build_bot()
    with pytest.raises(discord.LoginFailure):
        async with running_client(fake, bot, token="not-the-token"):
            pass


async def test_point_discord_py_here_restores_the_defaults(fake):
    websocket = discord.gateway.DiscordWebSocket
    before = (Route.BASE, websocket.DEFAULT_GATEWAY)
    with fake.point_discord_py_here():
        pointed = (Route.BASE, websocket.DEFAULT_GATEWAY)
    assert pointed == (fake.api_base, yarl.URL(fake.gateway_url))
    assert isinstance(pointed[1], yarl.URL)  # from_client calls .with_query on it
    after = (Route.BASE, websocket.DEFAULT_GATEWAY)
    assert after == before


# -- guild scheduled events ------------------------------------------------------------------------

EVENT = {
    "name": "PTC 211/212",
    "description": "Spring sessions",
    "entity_type": 3,
    "entity_metadata": {"location": "Brussels"},
    "privacy_level": 2,
    "scheduled_start_time": "2099-03-01T23:00:00+00:00",
    "scheduled_end_time": "2099-03-04T23:00:00+00:00",
}


async def test_scheduled_events_need_manage_events(fake, bot):
    with pytest.raises(discord.Forbidden) as refused:
        await bot.http.create_guild_scheduled_event(fake.guild_id, **EVENT)
    assert refused.value.code == 50013
    assert await bot.http.get_scheduled_events(fake.guild_id, False) == []  # listing is open


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"name": ""}, "name: must be between 1 and 100 in length"),
        ({"name": "x" * 101}, "name: must be between 1 and 100 in length"),
        ({"description": "x" * 1001}, "description: must be 1000 or fewer in length"),
        ({"entity_metadata": {}}, "entity_metadata.location: required for EXTERNAL events"),
        ({"scheduled_end_time": None}, "scheduled_end_time: required for EXTERNAL events"),
        (
            {"scheduled_start_time": "2001-01-01T00:00:00+00:00"},
            "scheduled_start_time: Cannot schedule event in the past",
        ),
        ({"privacy_level": 1}, "privacy_level: only GUILD_ONLY (2) is allowed"),
    ],
)
async def test_scheduled_events_are_checked_like_discord_does(fake, bot, changes, error):
    fake.grant_bot(Perm.MANAGE_EVENTS)
    with pytest.raises(discord.HTTPException) as refused:
        await bot.http.create_guild_scheduled_event(fake.guild_id, **{**EVENT, **changes})
    assert refused.value.status == 400 and refused.value.code == 50035
    field, _, message = error.partition(": ")
    assert f"In {field}: {message}" in refused.value.text  # as discord.py words Discord's errors


async def test_scheduled_events_go_through_discords_statuses_and_are_dispatched(fake, bot):
    fake.grant_bot(Perm.MANAGE_EVENTS)
    created = await bot.http.create_guild_scheduled_event(fake.guild_id, **EVENT)
    event_id = int(created["id"])
    assert created["creator_id"] == str(fake.bot_user_id) and created["status"] == 1
    await fake.wait_for(lambda e: e.kind == "dispatch" and "SCHEDULED_EVENT_CREATE" in e["event"])
    with pytest.raises(discord.HTTPException):  # scheduled -> completed skips active
        await bot.http.edit_scheduled_event(fake.guild_id, event_id, status=3)
    await bot.http.edit_scheduled_event(fake.guild_id, event_id, status=2)
    await bot.http.edit_scheduled_event(fake.guild_id, event_id, status=3)
    assert await bot.http.get_scheduled_events(fake.guild_id, False) == []  # over: off the list
    with pytest.raises(discord.NotFound) as gone:
        await bot.http.delete_scheduled_event(fake.guild_id, 12345)
    assert gone.value.code == 10070


async def test_a_guild_holds_at_most_100_scheduled_events(fake, bot):
    fake.grant_bot(Perm.MANAGE_EVENTS)
    for _ in range(100):
        await bot.http.create_guild_scheduled_event(fake.guild_id, **EVENT)
    with pytest.raises(discord.HTTPException) as refused:
        await bot.http.create_guild_scheduled_event(fake.guild_id, **EVENT)
    assert refused.value.code == 30038


async def test_interested_users_are_listed_by_page_and_dispatched(fake, bot):
    fake.grant_bot(Perm.MANAGE_EVENTS)
    event_id = int((await bot.http.create_guild_scheduled_event(fake.guild_id, **EVENT))["id"])
    for name in ("asker", "stranger"):
        await fake.scheduled_events.press_interested(event_id, fake.user(name).id)
    page = await bot.http.get_scheduled_event_users(fake.guild_id, event_id, 1, False)
    rest = await bot.http.get_scheduled_event_users(
        fake.guild_id, event_id, 100, False, after=int(page[0]["user"]["id"])
    )
    assert [u["user"]["username"] for u in page + rest] == ["asker", "stranger"]
    added = fake.events_of("scheduled_event_user_add")
    assert [e["user_id"] for e in added] == [str(fake.user(n).id) for n in ("asker", "stranger")]
