"""The engine with a controlled clock: fire once, at the right instant; re-plan on change;
exactly once across interruptions; missed while down."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from schedules import JOB_DEFAULTS, Late, Precision, ReminderEngine, State, Target
from tests.schedules.conftest import RecordingSource, TestClock

AS_OF = datetime(2016, 2, 25, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def exact(key, start):
    return Target(key, start, Precision.EXACT, "Europe/Brussels")


async def test_a_fire_point_fires_once_when_due_and_reaches_every_destination(ledger):
    clock = TestClock(AS_OF)
    source = RecordingSource(
        # Due a second from now: after start-up, even on a loaded machine.
        [exact("ptc", clock.now() + DAY + timedelta(seconds=1))],
        audience={"ptc": ["channel:1", "channel:2", "dm:3"]},
    )
    engine = ReminderEngine(source, ledger, clock)
    fired = asyncio.Event()

    async def done(point):
        fired.set()

    engine.on_fired = done
    await engine.start()
    try:
        assert engine.job_count == 1
        due = clock.to_real(engine.points[0].at)
        await asyncio.wait_for(fired.wait(), timeout=10)
        assert datetime.now(UTC) >= due
        assert sorted(to for _, to, _ in source.sent) == ["channel:1", "channel:2", "dm:3"]
        assert engine.job_count == 0
        assert engine.stats.fired == 1 and engine.stats.delivered == 3
        await engine.fan_out(engine_point := _point(source, 0))  # firing again sends nothing
        assert len(source.sent) == 3, engine_point
    finally:
        await engine.stop()


def _point(source, index):
    from schedules import FirePoint

    point_id = source.sent[index][0]
    key, minutes, at = point_id.rsplit("|", 2)
    return FirePoint(
        datetime.strptime(at, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC),
        key,
        timedelta(minutes=int(minutes[:-1])),
    )


async def test_jobs_run_however_late_they_are():
    assert JOB_DEFAULTS["misfire_grace_time"] is None


async def test_job_count_does_not_grow_with_subscribers(ledger):
    clock = TestClock(AS_OF)
    target = exact("ptc", AS_OF + 10 * DAY)
    few = RecordingSource([target], [7 * DAY, DAY], {"ptc": ["a"]})
    many = RecordingSource([target], [7 * DAY, DAY], {"ptc": [f"dm:{i}" for i in range(5000)]})
    for source in (few, many):
        engine = ReminderEngine(source, ledger, clock, horizon=timedelta(days=30))
        await engine.start()
        assert engine.job_count == len(engine.points) == 2
        await engine.stop()


async def test_a_change_replans_moved_and_dropped_targets(ledger):
    clock = TestClock(AS_OF)
    source = RecordingSource(
        [exact("a", AS_OF + 10 * DAY), exact("b", AS_OF + 20 * DAY)], [7 * DAY, DAY]
    )
    engine = ReminderEngine(source, ledger, clock, horizon=timedelta(days=60))
    await engine.start()
    try:
        before = {p.id for p in engine.points}
        source.targets_ = [exact("a", AS_OF + 12 * DAY)]  # a moved, b cancelled
        assert engine.replan() == (2, 4)
        after = {p.id for p in engine.points}
        assert engine.job_count == 2
        assert not before & after
        assert all(p.key == "a" for p in engine.points)
        assert engine.replan() == (0, 0)  # nothing changed, nothing touched
    finally:
        await engine.stop()


async def test_undated_targets_get_no_jobs(ledger):
    source = RecordingSource(
        [Target("tba", None, Precision.NONE, "UTC"), Target("2016", AS_OF, Precision.ROUGH, "UTC")]
    )
    engine = ReminderEngine(source, ledger, TestClock(AS_OF))
    await engine.start()
    assert engine.job_count == 0
    await engine.stop()


async def test_an_interrupted_delivery_is_finished_once_with_the_same_nonce(ledger):
    clock = TestClock(AS_OF)
    target = exact("ptc", AS_OF + 5 * DAY)
    source = RecordingSource([target], [DAY], {"ptc": ["channel:1"]})
    engine = ReminderEngine(source, ledger, clock)
    point = _plan_one(engine, clock)
    claimed = await ledger.claim(point.id, "channel:1")  # a crash right after the claim
    await engine.start()  # the restart finishes it
    await engine.stop()
    assert [(p, to, a.nonce, a.resumed) for p, to, a in source.sent] == [
        (point.id, "channel:1", claimed.nonce, True)
    ]
    await ReminderEngine(source, ledger, clock).start()  # and never again
    assert len(source.sent) == 1


def _plan_one(engine, clock):
    from schedules import plan

    return plan(engine.source.targets(), engine.source.leads, clock.now())[0]


async def test_missed_while_down_sends_the_latest_once_late_and_skips_the_rest(ledger):
    clock = TestClock(AS_OF)
    coming = exact("coming", AS_OF + 2 * DAY)  # its 7d and 3d points passed while down
    started = exact("started", AS_OF - timedelta(hours=1))  # its points passed; it has begun
    source = RecordingSource(
        [coming, started], [7 * DAY, 3 * DAY], {"coming": ["dm:1"], "started": ["dm:1"]}
    )
    await ledger.set_state("last_alive", (AS_OF - 10 * DAY).isoformat())
    engine = ReminderEngine(source, ledger, clock)
    await engine.start()
    await engine.stop()
    assert [(p.split("|")[0], p.split("|")[1], a.late) for p, _, a in source.sent] == [
        ("coming", "4320m", Late.DOWN)
    ]
    log = {
        (r.fire_point.split("|")[0], r.fire_point.split("|")[1]): r
        for r in await ledger.records(["dm:1"])
    }
    assert log[("coming", "10080m")].state is State.SKIPPED
    assert "later reminder replaced it" in log[("coming", "10080m")].reason
    assert log[("started", "4320m")].state is State.SKIPPED
    assert "already started" in log[("started", "4320m")].reason
    assert log[("coming", "4320m")].late
    # A second start finds nothing more to do: no flood.
    await ReminderEngine(source, ledger, clock).start()
    assert len(source.sent) == 1


async def test_first_start_does_not_backfill(ledger):
    source = RecordingSource([exact("a", AS_OF + DAY)], [7 * DAY], {"a": ["dm:1"]})
    engine = ReminderEngine(source, ledger, TestClock(AS_OF))
    await engine.start()
    await engine.stop()
    assert source.sent == []


async def test_a_failing_destination_is_recorded_and_does_not_stop_the_others(ledger):
    clock = TestClock(AS_OF)
    source = RecordingSource(
        [exact("a", AS_OF + 5 * DAY)],
        [DAY],
        {"a": ["dm:closed", "dm:bug", "channel:ok"]},
        failing={"dm:closed"},
        crash_on={"dm:bug"},
    )
    engine = ReminderEngine(source, ledger, clock)
    await engine.fan_out(_plan_one(engine, clock))
    states = {
        r.destination: (r.state, r.reason)
        for r in await ledger.records(["dm:closed", "dm:bug", "channel:ok"])
    }
    assert states == {
        "dm:closed": (State.FAILED, "cannot send messages to this user"),
        "dm:bug": (State.FAILED, "internal error: RuntimeError"),
        "channel:ok": (State.SENT, None),
    }


async def test_an_interrupted_message_that_is_not_a_fire_point_is_redelivered(ledger):
    source = RecordingSource()
    await ledger.claim("notice:pc-74:abc", "dm:1")
    engine = ReminderEngine(source, ledger, TestClock(AS_OF))
    await engine.start()
    await engine.stop()
    assert [(key, to, attempt.resumed) for key, to, attempt in source.sent] == [
        ("notice:pc-74:abc", "dm:1", True)
    ]
    assert await ledger.interrupted() == []


async def test_jobs_exist_only_within_the_horizon_and_come_in_as_time_passes(ledger):
    from bot.core import FixedClock

    clock = FixedClock(AS_OF)
    source = RecordingSource(
        [exact("soon", AS_OF + DAY + timedelta(hours=12)), exact("later", AS_OF + 4 * DAY)], [DAY]
    )
    engine = ReminderEngine(source, ledger, clock, horizon=DAY)
    await engine.start()
    try:
        assert len(engine.points) == 2
        assert engine.job_count == 1  # "soon" is due in 12 hours, "later" in 3 days
        clock.set(AS_OF + 2 * DAY + timedelta(hours=12))  # time passes: "later" is 12 h away
        engine._sync_jobs()  # what the refill job does every half horizon
        assert engine.job_count == 2
    finally:
        await engine.stop()


# Regression tests named after the review findings (2026-11-26).


async def test_a_crash_before_every_destination_was_claimed_finishes_the_rest(ledger):
    clock = TestClock(AS_OF)
    source = RecordingSource(
        [exact("a", AS_OF + DAY - timedelta(hours=1))], [DAY], {"a": ["dm:1", "dm:2", "dm:3"]}
    )
    point = _plan_one(
        ReminderEngine(source, ledger, TestClock(AS_OF - DAY)), TestClock(AS_OF - DAY)
    )
    # The crashed run was fanning out (so its heartbeat stayed before the point): dm:1 was
    # sent, dm:2 claimed but not recorded, dm:3 not reached.
    await ledger.claim(point.id, "dm:1")
    await ledger.finish(point.id, "dm:1", State.SENT)
    await ledger.claim(point.id, "dm:2")
    await ledger.set_state("last_alive", (point.at - timedelta(microseconds=1)).isoformat())
    engine = ReminderEngine(source, ledger, clock)
    await engine.start()
    await engine.stop()
    assert sorted(to for _, to, _ in source.sent) == ["dm:2", "dm:3"]
    assert all(attempt.late for _, _, attempt in source.sent)
    assert [a.resumed for _, to, a in sorted(source.sent)] == [True, False]
    assert await ledger.interrupted() == []


async def test_the_heartbeat_never_passes_a_fan_out_under_way(ledger):
    from bot.core import FixedClock

    clock = FixedClock(AS_OF)
    source = RecordingSource([exact("a", AS_OF + DAY - timedelta(hours=1))], [DAY])
    engine = ReminderEngine(source, ledger, clock)
    point = _plan_one(
        ReminderEngine(source, ledger, TestClock(AS_OF - DAY)), TestClock(AS_OF - DAY)
    )
    engine._in_progress[point.id] = point
    await engine._mark_alive()
    assert datetime.fromisoformat(await ledger.get_state("last_alive")) < point.at


async def test_points_due_while_recovery_runs_are_planned_and_fire(ledger):
    from bot.core import FixedClock

    clock = FixedClock(AS_OF)
    missed = exact("missed", AS_OF + DAY - timedelta(hours=2))  # due 2 hours before start
    soon = exact("soon", AS_OF + DAY + timedelta(minutes=30))  # due 30 minutes after start
    source = RecordingSource([missed, soon], [DAY], {"missed": ["dm:1"], "soon": ["dm:2"]})
    await ledger.set_state("last_alive", (AS_OF - timedelta(hours=3)).isoformat())
    real_deliver = source.deliver

    async def slow_deliver(point, to, attempt):  # sending the late one takes an agenda hour
        clock.advance(timedelta(hours=1))
        return await real_deliver(point, to, attempt)

    source.deliver = slow_deliver
    engine = ReminderEngine(source, ledger, clock)
    fired = asyncio.Event()

    async def done(point):
        fired.set()

    engine.on_fired = done
    await engine.start()
    try:
        await asyncio.wait_for(fired.wait(), timeout=10)  # "soon" was due during recovery
    finally:
        await engine.stop()
    assert sorted(to for _, to, _ in source.sent) == ["dm:1", "dm:2"]


async def test_replan_keeps_a_due_point_whose_job_has_not_run(ledger):
    from bot.core import FixedClock

    clock = FixedClock(AS_OF)
    source = RecordingSource([exact("a", AS_OF + DAY + timedelta(hours=1))], [DAY], {"a": ["dm:1"]})
    engine = ReminderEngine(source, ledger, clock)
    await engine.start()
    try:
        assert len(engine.points) == 1
        clock.advance(timedelta(hours=2))  # now past the point; its job has not run yet
        assert engine.replan() == (0, 0)
        assert len(engine.points) == 1
    finally:
        await engine.stop()


async def test_the_refill_job_runs_on_the_loop():
    import inspect

    assert inspect.iscoroutinefunction(ReminderEngine._refill)


async def test_a_point_fired_in_an_earlier_run_sends_nothing_again(ledger):
    clock = TestClock(AS_OF)
    source = RecordingSource([exact("a", AS_OF + 2 * DAY)], [DAY], {"a": ["dm:1"]})
    engine = ReminderEngine(source, ledger, clock)
    await engine.start()
    try:
        point = engine.points[0]
        # A run living at the same --as-of delivered it already: the ledger says so.
        await ledger.claim(point.id, "dm:1")
        await ledger.finish(point.id, "dm:1", State.SENT)
        await engine._fire(point.id)  # what its job does when it comes due
    finally:
        await engine.stop()
    assert source.sent == []
    assert engine.points == []


async def test_two_processes_never_fire_the_same_database(ledger):
    # Regression (review, 2026-11-26): a second process resumed the first one's deliveries.
    from schedules import EngineBusy
    from schedules.ledger import LEADER

    first = ReminderEngine(RecordingSource(), ledger, TestClock(AS_OF))
    second = ReminderEngine(RecordingSource(), ledger, TestClock(AS_OF))
    await first.start()
    try:
        with pytest.raises(EngineBusy):
            await second.start()
    finally:
        await first.stop()
    await second.start()  # the first let go when it stopped
    await second.stop()
    # A holder that died without letting go loses the lead when its lease runs out.
    await ledger.set_state(LEADER, "dead:1:x|2000-01-01T00:00:00+00:00")
    third = ReminderEngine(RecordingSource(), ledger, TestClock(AS_OF))
    await third.start()
    await third.stop()


async def test_a_killed_holder_on_this_machine_loses_the_lead_at_once(ledger):
    import socket
    import sys

    from schedules.ledger import LEADER

    finished = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await finished.wait()  # its pid now belongs to no process
    dead = f"{socket.gethostname()}:{finished.pid}:x"
    await ledger.set_state(LEADER, f"{dead}|2999-01-01T00:00:00+00:00")  # lease not run out
    engine = ReminderEngine(RecordingSource(), ledger, TestClock(AS_OF))
    await engine.start()  # would raise EngineBusy if the dead holder still counted
    try:
        assert engine.leading and engine.running
        holder = await ledger.get_state(LEADER)
        assert holder.rpartition("|")[0] == engine._lease.owner
    finally:
        await engine.stop()
    assert await ledger.get_state(LEADER) is None  # given up on stopping


async def test_a_fan_out_that_fails_is_retried_and_holds_the_heartbeat(ledger, caplog):
    from bot.core import FixedClock

    clock = FixedClock(AS_OF)
    source = RecordingSource([exact("a", AS_OF + DAY + timedelta(hours=1))], [DAY], {"a": ["dm:1"]})
    engine = ReminderEngine(source, ledger, clock)
    await engine.start()
    try:
        point = engine.points[0]
        broken = source.destinations

        async def failing(point, missed=False):
            raise OSError("database gone")

        source.destinations = failing
        await engine._fire(point.id)
        assert "retrying in" in caplog.text
        await engine._mark_alive()
        assert datetime.fromisoformat(await ledger.get_state("last_alive")) < point.at
        source.destinations = broken
        await engine._fan_out_or_retry(point)  # what the retry job does
        assert [to for _, to, _ in source.sent] == ["dm:1"]
        clock.advance(timedelta(hours=2))
        await engine._mark_alive()
        assert datetime.fromisoformat(await ledger.get_state("last_alive")) > point.at
    finally:
        await engine.stop()
