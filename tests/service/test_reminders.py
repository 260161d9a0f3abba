"""Reminders through the service, on a real SQLite file: commands, firing, notices, restarts."""

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import FixedClock, LivingClock, PlainTimes, Tone
from bot.service import CONSOLE_CALLER, AgendaService, Caller, Runtime
from schedules import Outcome, State
from tests.conftest import revised

NEWS_DAY = datetime(2015, 10, 23, 12, tzinfo=UTC)
MEMBER = Caller("discord:42", guild_id="1", channel_id="10", can_manage=False)
MANAGER = Caller("discord:7", guild_id="1", channel_id="10", can_manage=True)
IN_DM = Caller("discord:42", guild_id=None, channel_id="99")


@dataclass
class RecordingSender:
    times: PlainTimes = field(default_factory=PlainTimes)
    sent: list = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, destination, message, attempt):
        self.sent.append((destination, message, attempt))
        self.arrived.set()
        return Outcome(State.SENT, message_id=str(len(self.sent)))


async def open_runtime(agenda, clock, database, sender=None):
    service = AgendaService(agenda, clock)
    runtime = await Runtime.open(
        service, sender or RecordingSender(), database_url=database, default_zone=ZoneInfo("UTC")
    )
    await runtime.start()
    return runtime


@pytest.fixture
async def runtime(wco, database):
    runtime = await open_runtime(wco, FixedClock(NEWS_DAY), database)
    yield runtime
    await runtime.stop()


def commands(runtime):
    return runtime.runner.reminders


async def test_subscribe_to_a_body_and_see_the_next_reminders(runtime):
    reply = await commands(runtime).subscribe(CONSOLE_CALLER, "PTC")
    assert reply.title == "Subscribed"
    assert reply.body == (
        "You will get reminders here in the console for every meeting of the Permanent "
        "Technical Committee (PTC), as the reminder ladder says (joint sessions 7d, 1d; "
        "sessions 7d, 1d)."
    )
    assert reply.fields[0].name == "Next reminders"
    # 7 days before midnight in Brussels (CET) on 2 March, when both were announced to begin.
    assert reply.fields[0].value.splitlines() == [
        "Tue 23 Feb 2016, 23:00 UTC: 7d before Joint session of the Permanent Technical "
        "Committee and the Enforcement Committee",
        "Tue 23 Feb 2016, 23:00 UTC: 7d before Permanent Technical Committee, 211th/212th Sessions",
        "Mon 29 Feb 2016, 23:00 UTC: 1d before Joint session of the Permanent Technical "
        "Committee and the Enforcement Committee",
    ]


@pytest.mark.parametrize(
    ("scope", "what"),
    [
        ("PTC", "every meeting of the Permanent Technical Committee (PTC)"),
        ("policy committee", "every meeting of the Policy Commission (PC)"),
        ("3d printng", "meetings on 3D printing"),
        ("PTC 211", "Permanent Technical Committee, 211th/212th Sessions"),
        ("all", "every meeting"),
        (None, "every meeting"),
    ],
)
async def test_scopes_resolve_like_meeting_and_topic(runtime, scope, what):
    reply = await commands(runtime).subscribe(CONSOLE_CALLER, scope)
    assert f" for {what}, " in reply.body


async def test_an_unknown_scope_suggests_names(runtime):
    reply = await commands(runtime).subscribe(CONSOLE_CALLER, "qqqqqq")
    assert reply.tone is Tone.NOT_FOUND
    assert reply.title == "Nothing called 'qqqqqq'"


async def test_subscribing_twice_updates_instead_of_duplicating(runtime):
    first = await commands(runtime).subscribe(CONSOLE_CALLER, "PTC")
    second = await commands(runtime).subscribe(CONSOLE_CALLER, "PTC", lead="2d")
    assert (first.title, second.title) == ("Subscribed", "Subscription updated")
    assert "2d before" in second.body
    assert len(runtime.reminders.audience) == 1


async def test_own_leads_add_fire_points_but_subscribers_do_not(runtime):
    before = len(runtime.engine.points)
    await commands(runtime).subscribe(CONSOLE_CALLER, "PTC 211")
    assert len(runtime.engine.points) == before  # the ladder's leads were planned already
    await commands(runtime).subscribe(CONSOLE_CALLER, "PTC 211", lead="7d,1d,2h")
    assert len(runtime.engine.points) == before + 1  # the 2h point is new


@pytest.mark.parametrize(
    ("caller", "target", "title"),
    [
        (CONSOLE_CALLER, "channel", "The console has no channels"),
        (IN_DM, "here", "`target:here` works in a server only"),
        (MEMBER, "channel", "You need Manage Server to subscribe this channel"),
        (MEMBER, "everywhere", "'everywhere' is not a target"),
    ],
)
async def test_targets_and_permissions(runtime, caller, target, title):
    reply = await commands(runtime).subscribe(caller, None, None, target)
    assert reply.is_error and reply.title == title


async def test_a_manager_subscribes_the_channel_and_a_member_asks_for_a_mention(runtime):
    assert (await commands(runtime).subscribe(MANAGER, None, None, "channel")).title == "Subscribed"
    assert (await commands(runtime).subscribe(MEMBER, "PTC", None, "here")).title == "Subscribed"
    listed = await commands(runtime).overview(MEMBER)
    assert [f.name for f in listed.fields] == [
        "every meeting · in this channel",
        "every meeting of the Permanent Technical Committee (PTC) · in this channel, with a "
        "mention",
    ]


async def test_bad_leads_say_what_to_write(runtime):
    reply = await commands(runtime).subscribe(CONSOLE_CALLER, "PTC", lead="soon")
    assert reply.title == "That lead does not work"
    assert "`lead:7d,1d,2h`" in reply.body


async def test_unsubscribe(runtime):
    await commands(runtime).subscribe(CONSOLE_CALLER, "PTC")
    await commands(runtime).subscribe(CONSOLE_CALLER, "tfa")
    one = await commands(runtime).unsubscribe(CONSOLE_CALLER, "PTC")
    assert one.title == "Unsubscribed" and "Permanent Technical Committee" in one.body
    rest = await commands(runtime).unsubscribe(CONSOLE_CALLER)
    assert "Trade Facilitation" in rest.body
    nothing = await commands(runtime).unsubscribe(CONSOLE_CALLER)
    assert nothing.tone is Tone.NOT_FOUND and "`/reminders`" in nothing.body


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2d before", "Sun 28 Feb 2016, 23:00 UTC"),
        ("3h", "Tue 1 Mar 2016, 20:00 UTC"),
        ("2016-03-01 09:00", "Tue 1 Mar 2016, 09:00 UTC"),
        ("2016-03-01", "Tue 1 Mar 2016, 09:00 UTC"),
    ],
)
async def test_remind_before_a_meeting_or_at_a_time(runtime, when, expected):
    reply = await commands(runtime).personal.remind(CONSOLE_CALLER, "PTC 211", when)
    assert reply.title == "Reminder set"
    assert expected in reply.body
    assert "**Permanent Technical Committee, 211th/212th Sessions**" in reply.body


async def test_remind_reads_times_in_the_callers_zone(runtime):
    await commands(runtime).timezone(MEMBER, "Europe/Brussels")
    reply = await commands(runtime).personal.remind(MEMBER, "PTC 211", "2016-03-01 09:00")
    assert "Tue 1 Mar 2016, 08:00 UTC" in reply.body


@pytest.mark.parametrize(
    ("meeting", "when", "title"),
    [
        ("PTC 211", "whenever", "When should I remind you?"),
        ("PTC 211", "2015-01-01 09:00", "That time has passed"),
        ("PTC 209", "1d before", "That time has passed"),
        ("PTC 209", "2015-10-22 09:00", "That time has passed"),
        ("PTC 211", "2016-03-05 09:00", "That is after Permanent Technical Committee"),
        ("PTC 211", "9999-12-31 23:59", "When should I remind you?"),
        ("PTC 211", "2016-03-27 02:30", "When should I remind you?"),
    ],
)
async def test_remind_refuses_what_cannot_work(runtime, meeting, when, title):
    if "02:30" in when:
        await commands(runtime).timezone(CONSOLE_CALLER, "Europe/Brussels")
    reply = await commands(runtime).personal.remind(CONSOLE_CALLER, meeting, when)
    assert reply.is_error and reply.title.startswith(title), reply


async def test_timezone(runtime):
    bad = await commands(runtime).timezone(MEMBER, "Europe/Brusels")
    assert bad.title == "Unknown time zone 'Europe/Brusels'" and "`Europe/Brussels`" in bad.body
    refused = await commands(runtime).timezone(MEMBER, "Europe/Brussels", "server")
    assert refused.title == "You need Manage Server"
    done = await commands(runtime).timezone(MANAGER, "America/Cancun", "server")
    assert done.title == "Server time zone set"
    assert await commands(runtime).zone_of(MEMBER) == ZoneInfo("America/Cancun")


async def test_a_reminder_fires_once_when_due_and_is_logged(wco, database):
    # Live just before the 1-day reminder of the Lomé workshop (17 November 2015, UTC+0).
    due = datetime(2015, 11, 16, tzinfo=UTC)
    sender = RecordingSender()
    clock = LivingClock(due - timedelta(days=10))
    runtime = await open_runtime(wco, clock, database, sender)
    try:
        await commands(runtime).subscribe(CONSOLE_CALLER, "lome", lead="1d")
        await runtime.stop()
        runtime = await open_runtime(wco, LivingClock(due - timedelta(seconds=2)), database, sender)
        await asyncio.wait_for(sender.arrived.wait(), timeout=10)
        destination, message, attempt = sender.sent[0]
        assert destination == "console"
        assert message.reply.title.startswith("Reminder (1d before): WCO Regional Workshop")
        assert message.reply.body == (
            "**Tue 17 – Thu 19 Nov 2015**, tomorrow (in 1 day)\n"
            "Dates are local to the venue (Africa/Lome).\nLomé, Togo"
        )
        assert not attempt.late
        # The outcome is written by a group commit after the sender returns: wait for it, as
        # `recorded` says, before reading the log.
        await asyncio.wait_for(runtime.engine.recorded(lambda s: s.delivered >= 1), timeout=10)
        log = await commands(runtime).overview(CONSOLE_CALLER, "log")
        assert "**sent** · 1d before WCO Regional Workshop" in log.fields[0].value
    finally:
        await runtime.stop()
    assert len(sender.sent) == 1


async def test_missed_while_down_is_sent_late_once(wco, database):
    sender = RecordingSender()
    first = await open_runtime(wco, FixedClock(datetime(2016, 2, 1, tzinfo=UTC)), database, sender)
    await commands(first).subscribe(CONSOLE_CALLER, "PTC 211")
    await first.stop()
    # Back on 29 February: the 7-day reminder (24 February) was missed; the meeting is ahead.
    again = await open_runtime(wco, FixedClock(datetime(2016, 2, 29, tzinfo=UTC)), database, sender)
    await again.stop()
    assert len(sender.sent) == 1
    _, message, attempt = sender.sent[0]
    assert attempt.late
    assert "⏰ Late: this reminder was due" in message.reply.body
    assert "the bot was offline when it was due" in message.reply.body


async def test_a_subscription_made_later_does_not_get_older_reminders(wco, database):
    sender = RecordingSender()
    first = await open_runtime(wco, FixedClock(datetime(2016, 2, 1, tzinfo=UTC)), database, sender)
    await first.stop()
    late = await open_runtime(wco, FixedClock(datetime(2016, 2, 26, tzinfo=UTC)), database, sender)
    await commands(late).subscribe(CONSOLE_CALLER, "PTC 211")
    await late.stop()
    again = await open_runtime(wco, FixedClock(datetime(2016, 2, 27, tzinfo=UTC)), database, sender)
    await again.stop()
    assert sender.sent == []


async def test_a_moved_meeting_is_announced_once_and_its_reminders_move(wco, database):
    from bot.core import Status, When

    sender = RecordingSender()
    runtime = await open_runtime(wco, FixedClock(NEWS_DAY), database, sender)
    try:
        await commands(runtime).subscribe(CONSOLE_CALLER, "PTC")
        old_points = {p.id for p in runtime.engine.points if p.key == "ptc-211-212"}
        when = runtime.agenda.agenda.meetings["ptc-211-212"].when
        week = timedelta(days=7)
        moved = When.days(when.first_day + week, when.last_day + week, when.zone)
        changed = revised(wco, "ptc-211-212", when=moved)
        await runtime.replace_agenda(changed)
        await runtime.replace_agenda(changed)  # the same change again: no second notice
        new_points = {p.id for p in runtime.engine.points if p.key == "ptc-211-212"}
        assert old_points and new_points and not old_points & new_points
        assert [m.reply.title for _, m, _ in sender.sent] == [
            "New date: Permanent Technical Committee, 211th/212th Sessions"
        ]
        await runtime.replace_agenda(revised(changed, "ptc-211-212", status=Status.CANCELLED))
        assert sender.sent[-1][1].reply.title.startswith("Cancelled: Permanent Technical")
        assert not [p for p in runtime.engine.points if p.key == "ptc-211-212"]
    finally:
        await runtime.stop()


async def test_the_console_prints_a_reminder_when_it_is_due(wco, database):
    import io

    from bot.console import Console, ConsoleSender, Terminal

    due = datetime(2015, 11, 16, tzinfo=UTC)
    service = AgendaService(wco, LivingClock(due - timedelta(seconds=2)))
    out = io.StringIO()
    terminal = Terminal(out)
    sender = ConsoleSender(PlainTimes(), terminal)
    runtime = await Runtime.open(
        service, sender, database_url=database, default_zone=ZoneInfo("UTC")
    )
    console = Console(runtime.runner, terminal)
    await runtime.start()
    printed = asyncio.Event()
    runtime.engine.on_fired = lambda point: _set(printed)
    try:
        await console.run(["/subscribe lome lead:1d\n"])
        assert "**Subscribed**" in out.getvalue()
        await asyncio.wait_for(printed.wait(), timeout=10)
        assert "🔔 **Reminder (1d before): WCO Regional Workshop on the TFA" in out.getvalue()
    finally:
        await runtime.stop()


async def _set(event):
    event.set()


async def test_an_edited_data_file_is_reloaded_and_followers_are_told(
    mini, database, tmp_path, data_dir
):
    from tests.conftest import MINI_DAY

    directory = data_dir()
    sender = RecordingSender()
    service = AgendaService(mini, FixedClock(MINI_DAY))
    runtime = await Runtime.open(
        service,
        sender,
        database_url=database,
        default_zone=ZoneInfo("UTC"),
        data_dir=directory,
        reload_every=0.05,
    )
    await runtime.start()
    try:
        await commands(runtime).subscribe(CONSOLE_CALLER, "board")
        meetings = directory / "meetings.toml"
        meetings.write_text(
            meetings.read_text().replace(
                'start = "2016-11"\ntimezone = "Africa/Lome"',
                'start = 2016-11-08\ntimezone = "Africa/Lome"',
            )
        )
        await asyncio.wait_for(sender.arrived.wait(), timeout=10)
        assert [m.reply.title for _, m, _ in sender.sent] == ["Date set: Forum Summit 2016"]
        assert service.agenda.meetings["summit-2016"].when.precision.has_day
        await runtime.stop_watching()  # from here on, the test checks the data itself
        assert await runtime.reload_if_changed() == "unchanged"
        meetings.write_text("this is not TOML [")  # a broken edit keeps the last good data
        assert await runtime.reload_if_changed() == "invalid"
        assert service.agenda.meetings["summit-2016"].when.precision.has_day
    finally:
        await runtime.stop()


texts = st.one_of(
    st.none(),
    st.text(max_size=120),
    st.sampled_from(
        [
            "all",
            "PTC",
            "7d,1d",
            "2h",
            "here",
            "channel",
            "me",
            "0d",
            "-1d",
            "2016-03-27 02:30",
            "Europe/Brussels",
            "server",
            "log",
            "99999d",
            "2d before",
            ":",
            "`",
            "\x00",
        ]
    ),
)
callers = st.sampled_from([CONSOLE_CALLER, MEMBER, MANAGER, IN_DM])


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
@given(caller=callers, a=texts, b=texts, c=texts)
async def test_reminder_commands_answer_any_text_with_a_reply(runtime, caller, a, b, c):
    replies = [
        await commands(runtime).subscribe(caller, a, b, c),
        await commands(runtime).unsubscribe(caller, a, c),
        await commands(runtime).personal.remind(caller, a or "", b or ""),
        await commands(runtime).overview(caller, a),
        await commands(runtime).timezone(caller, a or "", b),
    ]
    for reply in replies:
        assert reply.title
        assert "Sorry" not in reply.title


async def test_a_one_off_reminder_at_a_time_of_its_own_fires(wco, database):
    # Regression (review, 2026-11-26): reminders at a date and time were never planned.
    due = datetime(2016, 3, 1, 9, tzinfo=UTC)
    sender = RecordingSender()
    runtime = await open_runtime(wco, LivingClock(due - timedelta(seconds=2)), database, sender)
    try:
        reply = await commands(runtime).personal.remind(
            CONSOLE_CALLER, "PTC 211", "2016-03-01 09:00"
        )
        assert reply.title == "Reminder set"
        assert any(p.key.startswith("reminder:") for p in runtime.engine.points)
        await asyncio.wait_for(sender.arrived.wait(), timeout=10)
    finally:
        await runtime.stop()
    destination, message, _ = sender.sent[0]
    assert destination == "console"
    assert message.reply.title == "Reminder: Permanent Technical Committee, 211th/212th Sessions"


async def test_subscribers_get_reminders_on_time_after_a_restart_at_an_earlier_as_of(wco, database):
    # Regression (review, 2026-11-26): creation times are agenda times, which --as-of moves back.
    sender = RecordingSender()
    later = await open_runtime(wco, FixedClock(datetime(2016, 2, 27, tzinfo=UTC)), database, sender)
    await commands(later).subscribe(CONSOLE_CALLER, "PTC 211")
    await later.stop()
    earlier = await open_runtime(wco, FixedClock(NEWS_DAY), database, sender)
    try:
        point = next(p for p in earlier.engine.points if p.key == "ptc-211-212")
        assert [d.key for d in await earlier.reminders.destinations(point)] == ["console"]
        assert await earlier.reminders.destinations(point, missed=True) == []
    finally:
        await earlier.stop()


async def test_back_and_forth_changes_and_reinstatements_are_each_told(wco, database):
    # Regression (review, 2026-11-26): A->B->A->B told only twice; un-cancelling told nothing.
    from bot.core import Status, When

    sender = RecordingSender()
    runtime = await open_runtime(wco, FixedClock(NEWS_DAY), database, sender)
    try:
        await commands(runtime).subscribe(CONSOLE_CALLER, "PTC 211")
        when = runtime.agenda.agenda.meetings["ptc-211-212"].when
        week = timedelta(days=7)
        shifted = revised(
            wco,
            "ptc-211-212",
            when=When.days(when.first_day + week, when.last_day + week, when.zone),
        )
        # The data file gains a revision, loses it, gains it again; then a cancellation, undone.
        for agenda in (shifted, wco, shifted):
            await runtime.replace_agenda(agenda)
        await runtime.replace_agenda(revised(wco, "ptc-211-212", status=Status.CANCELLED))
        await runtime.replace_agenda(wco)
        titles = [m.reply.title.split(":")[0] for _, m, _ in sender.sent]
        assert titles == ["New date", "New date", "New date", "Cancelled", "Back on the agenda"]
    finally:
        await runtime.stop()


async def test_subscriptions_written_by_another_process_are_picked_up(wco, database):
    # Regression (review, 2026-11-26): `python -m bot ask "/subscribe ..."` never reached a
    # running bot.
    from bot.storage import Delivery, ScopeKind, Store

    runtime = await open_runtime(wco, FixedClock(NEWS_DAY), database)
    try:
        assert await runtime.reload_subscriptions_if_changed() is False
        other = await Store.open(database)  # what `ask` does, in its own process
        await other.subscribe(
            "console", Delivery.DM, ScopeKind.MEETING, "ptc-211-212", [120], NEWS_DAY
        )
        await other.close()
        assert await runtime.reload_subscriptions_if_changed() is True
        assert any(
            p.key == "ptc-211-212" and p.lead == timedelta(hours=2) for p in runtime.engine.points
        )
        assert await runtime.reload_subscriptions_if_changed() is False
    finally:
        await runtime.stop()


async def test_a_second_bot_on_the_same_database_answers_but_sends_nothing(wco, database, caplog):
    first = await open_runtime(wco, FixedClock(NEWS_DAY), database)
    second = await open_runtime(wco, FixedClock(NEWS_DAY), database)
    try:
        assert first.leading and not second.leading
        assert "this one answers commands but sends no reminders" in caplog.text
        reply = await commands(second).subscribe(CONSOLE_CALLER, "PTC")
        assert reply.title == "Subscribed"
        assert not second.engine.running
    finally:
        await second.stop()
        await first.stop()


async def test_a_failed_start_gives_the_lease_back_and_closes_the_database(wco, database, tmp_path):
    # Regression: when Runtime.start failed after taking the lease (here the announcement of
    # what changed), the lease stayed held and the store open: a second process had to wait for
    # the lease to run out, and SQLite's -wal file outlived the failed start.
    service = AgendaService(wco, FixedClock(NEWS_DAY))
    failing = await Runtime.open(
        service, RecordingSender(), database_url=database, default_zone=ZoneInfo("UTC")
    )

    async def announce_failed(quiet=()):
        raise OSError("the network is down")

    failing.announcer.announce = announce_failed
    with pytest.raises(OSError, match="the network is down"):
        await failing.start()
    await _nothing_held(wco, database, tmp_path)


async def test_a_watcher_that_failed_does_not_keep_the_lease_or_the_database(
    wco, database, tmp_path
):
    # Regression: Runtime.stop awaited the watchers first, and a watcher that had ended with an
    # error skipped giving the lease back and closing the store.
    runtime = await open_runtime(wco, FixedClock(NEWS_DAY), database)

    async def failed() -> None:
        raise RuntimeError("the watcher broke")

    runtime._watcher = asyncio.create_task(failed())
    stopped = []

    async def on_stop() -> None:
        stopped.append(True)

    runtime.on_stop.append(on_stop)
    with pytest.raises(RuntimeError, match="the watcher broke"):
        await runtime.stop()
    await runtime.stop()  # a second stop does nothing more
    assert stopped == [True]
    await _nothing_held(wco, database, tmp_path)


async def _nothing_held(agenda, database, folder):
    """The database closed (no -wal file) and the lease given back: another bot leads at once."""
    assert not (folder / "bot.sqlite3-wal").exists()
    second = await open_runtime(agenda, FixedClock(NEWS_DAY), database)
    try:
        assert second.leading
    finally:
        await second.stop()
