"""The subscriptions held as columns answer as the rows they were read from, and a reload with
nothing changed in the database reads none of them."""

import asyncio
import gc
from array import array
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core import FixedClock, PlainTimes
from bot.service import CONSOLE_CALLER, AgendaService, Runtime
from bot.service.audience import Audience
from bot.service.followers import Subscribers
from bot.service.reminders import Reminders
from bot.storage import Delivery, ScopeKind, Store, SubscriptionRow
from schedules import Ledger, Outcome, State, plan
from tests.service.varied_subscriptions import varied_subscriptions

NEWS_DAY = datetime(2015, 10, 23, 12, tzinfo=UTC)
OWNERS = ["discord:1", "discord:100000000000000002", "console", "discord:01", "discord:+3"]
SCOPES = [(ScopeKind.ALL, ""), (ScopeKind.BODY, "ptc"), (ScopeKind.MEETING, "ptc-211-212")]


def _stored(row: SubscriptionRow) -> tuple[object, ...]:
    """The row as the database gives it (Store.read_subscriptions)."""
    leads = ",".join(map(str, row.leads)) or None
    return (
        row.id, row.owner, row.delivery.value, row.guild_id, row.channel_id,
        row.scope_kind.value, row.scope_id, leads, row.created,
    )  # fmt: skip


rows = st.lists(
    st.builds(
        lambda owner, delivery, channel, scope, leads, created: (
            owner,
            delivery,
            channel,
            scope,
            tuple(sorted(set(leads), reverse=True)),
            created,
        ),
        st.sampled_from(OWNERS),
        st.sampled_from(list(Delivery)),
        st.sampled_from(["", "10", "11"]),
        st.sampled_from(SCOPES),
        st.lists(st.sampled_from([60, 1440, 10080]), max_size=2),
        st.integers(0, 10),
    ),
    max_size=30,
)


@given(rows, st.integers(1, 7), st.data())
def test_columns_answer_as_the_rows_they_hold(made, batch, data):
    held = [
        SubscriptionRow(n, owner, delivery, "9", channel, scope[0], scope[1], leads, created)
        for n, (owner, delivery, channel, scope, leads, created) in enumerate(made, start=1)
    ]
    audience = Audience()
    stored = [_stored(r) for r in held]
    for start in range(0, len(stored), batch):
        audience.extend(stored[start : start + batch])
    removed = data.draw(st.lists(st.sampled_from(held), unique=True)) if held else []
    for row in removed:
        audience.remove_subscription(row)
    left = [r for r in held if r not in removed]
    again = data.draw(st.lists(st.sampled_from(removed), unique=True)) if removed else []
    for row in again:  # back, below ids held: in the place its id left
        audience.add_subscription(row)
    left = sorted(left + again, key=lambda r: r.id)
    for row in data.draw(st.lists(st.sampled_from(left), unique=True)) if left else []:
        relead = replace(row, leads=data.draw(st.sampled_from([(), (60,), (10080, 1440)])))
        audience.add_subscription(relead)  # the same subscription asking for other leads
        left[left.index(row)] = relead
    lead_counts = {
        scope: Counter(m for r in left if (r.scope_kind, r.scope_id) == scope for m in r.leads)
        for scope in SCOPES
    }
    for scope, held in audience._subscribers.scopes.items():
        assert +held.lead_counts == lead_counts[(ScopeKind(scope[0]), scope[1])]
    assert sorted(audience.subscriptions(), key=lambda r: r.id) == left
    assert len(audience) == len(left)
    for owner in OWNERS:
        mine = sorted(audience.subscriptions_of(owner, "10"), key=lambda r: r.id)
        assert mine == [r for r in left if r.owner == owner or r.channel_id == "10"]
        for scope in SCOPES:
            assert audience.has_subscription(owner, scope) == any(
                r.owner == owner
                and r.delivery is Delivery.DM
                and (r.scope_kind, r.scope_id) == scope
                for r in left
            )


def test_new_leads_for_a_subscription_do_not_pack_every_column(monkeypatch):
    """Subscribing again with other leads replaced the row by packing every column, row by
    row: about 2 s on the event loop at 200,000 subscriptions."""
    audience = Audience()
    audience.extend(
        [(n, f"discord:{n}", "me", None, "", "topic", f"t{n % 7}", None, 0) for n in range(1, 50)]
    )
    row = audience.subscriptions_of("discord:20")[0]

    def packed(*args):
        raise AssertionError("every column was packed again")

    monkeypatch.setattr(Subscribers, "_pack", packed)
    audience.add_subscription(replace(row, leads=(60,)))
    audience.remove_subscription(audience.subscriptions_of("discord:49")[0])
    audience.add_subscription(replace(row, id=49, owner="discord:0"))  # the highest id again
    assert audience.subscriptions_of("discord:20") == [replace(row, leads=(60,))]
    assert audience.subscriptions_of("discord:0") == [replace(row, id=49, owner="discord:0")]
    assert len(audience) == 49


def test_a_callers_subscriptions_are_found_without_walking_every_row():
    """/reminders and a personal feed walked every subscription in Python, reading each
    row's owner and channel: about 100 ms on the event loop at a million."""

    class Counted(array):
        reads = 0

        def __getitem__(self, at):
            Counted.reads += 1
            return super().__getitem__(at)

    audience = Audience()
    audience.extend(
        [(n, f"discord:{n}", "me", None, "", "topic", f"t{n % 7}", None, 0) for n in range(1, 500)]
    )
    subscribers = audience._subscribers
    subscribers.owner_codes = Counted("q", subscribers.owner_codes)
    mine = audience.subscriptions_of("discord:20", "")
    assert [row.id for row in mine] == [20]
    assert Counted.reads < 50


@given(rows, st.data())
def test_a_callers_subscriptions_stay_right_as_subscriptions_change_between_asks(made, data):
    """What `subscriptions_of` answers from is made once and then kept up to date row by row:
    asked between every change, it answers as a walk over the rows held would."""
    audience = Audience()
    held: dict[int, SubscriptionRow] = {}
    next_id = 1
    for owner, delivery, channel, scope, leads, created in made:
        if held and data.draw(st.booleans()):
            row = held.pop(data.draw(st.sampled_from(sorted(held))))
            audience.remove_subscription(row)
            if data.draw(st.booleans()):  # back in the place its id left, perhaps re-led
                row = replace(row, leads=leads, channel_id=channel)
                audience.add_subscription(row)
                held[row.id] = row
        else:
            row = SubscriptionRow(next_id, owner, delivery, "9", channel, *scope, leads, created)
            next_id += 1
            audience.add_subscription(row)
            held[row.id] = row
        owner_asked = data.draw(st.sampled_from(OWNERS))
        channel_asked = data.draw(st.sampled_from(["", "10", "11", "12"]))
        assert audience.subscriptions_of(owner_asked, channel_asked) == [
            held[n]
            for n in sorted(held)
            if held[n].owner == owner_asked
            or (channel_asked and held[n].channel_id == channel_asked)
        ]


class NullSender:
    times = PlainTimes()

    async def send(self, destination, message, attempt):
        return Outcome(State.SENT)


async def test_a_reload_with_nothing_changed_does_not_read_the_subscriptions(wco, database):
    # Issue 16: every AGENDA_RELOAD_SECONDS the runtime copied every subscription on the event
    # loop to compare (358 ms at a million); an unchanged database must cost one small query.
    service = AgendaService(wco, FixedClock(NEWS_DAY))
    runtime = await Runtime.open(
        service, NullSender(), database_url=database, default_zone=ZoneInfo("UTC")
    )
    await runtime.start()
    try:
        await runtime.runner.reminders.subscribe(CONSOLE_CALLER, "PTC", "2d")
        reads = 0
        read, read_columns = (
            runtime.store.read_subscriptions,
            runtime.store.read_subscription_columns,
        )

        async def counted(*args, **kwargs):
            nonlocal reads
            reads += 1
            await read(*args, **kwargs)

        async def counted_columns(*args, **kwargs):  # SQLite's way: rows only if it gives up
            nonlocal reads
            reads += 1
            return await read_columns(*args, **kwargs)

        runtime.store.read_subscriptions = counted  # type: ignore[method-assign]
        runtime.store.read_subscription_columns = counted_columns  # type: ignore[method-assign]
        for _ in range(3):
            assert await runtime.reload_subscriptions_if_changed() is False
        assert reads == 0
        points = {(p.key, p.lead) for p in runtime.engine.points}
        assert ("ptc-211-212", timedelta(days=2)) in points
        await runtime.store.add_subscriptions(  # another writer: read once, then not again
            [
                dict(
                    owner="discord:5", delivery="me", guild_id=None, channel_id="",
                    scope_kind="meeting", scope_id="ptc-211-212", leads="60", created=0,
                )
            ]
        )  # fmt: skip
        assert await runtime.reload_subscriptions_if_changed() is True
        assert await runtime.reload_subscriptions_if_changed() is False
        assert reads == 1
        assert ("ptc-211-212", timedelta(hours=1)) in {
            (p.key, p.lead) for p in runtime.engine.points
        }
    finally:
        await runtime.stop()


async def test_columns_and_rows_plan_and_route_the_same_reminders(wco, database):
    # Issue 16: SQLite reads subscriptions as columns in a worker thread, other databases as
    # rows; every (fire point, destination) pair, on time or late, must be the same.
    store = await Store.open(database)
    rows = varied_subscriptions(wco, NEWS_DAY, 900)
    await store.add_subscriptions(rows)
    service = AgendaService(wco, FixedClock(NEWS_DAY))
    ledger = Ledger(store.engine)
    try:
        by_columns = Reminders(service, store, ledger, NullSender())
        await by_columns.load()
        by_rows = Reminders(service, store, ledger, NullSender())
        store.read_subscription_columns = _refused  # type: ignore[method-assign]
        await by_rows.load()
        assert len(by_columns.audience) == len(by_rows.audience) == len(rows) > 200
        pairs = []
        for reminders in (by_columns, by_rows):
            points = plan(list(reminders.targets()), reminders.leads, NEWS_DAY)
            pairs.append(
                [
                    (point.id, missed, await reminders.destinations(point, missed))
                    for point in points
                    for missed in (False, True)
                ]
            )
        assert pairs[0] == pairs[1]
        assert sum(len(d) for _, _, d in pairs[0]) > 400  # the comparison compared much
    finally:
        await store.close()


async def _refused(*_):  # consume, finish, restore
    return False


async def _reload_held_while(runtime, during):
    """Reload the subscriptions (as if another process had written), the database read done
    but the new index not yet in place while `during` runs: a change made then is one the
    read's snapshot did not see."""
    read_columns = runtime.store.read_subscription_columns
    read, release = asyncio.Event(), asyncio.Event()

    async def held(*args, **kwargs):
        done = await read_columns(*args, **kwargs)
        read.set()
        await release.wait()
        return done

    runtime.store.read_subscription_columns = held  # type: ignore[method-assign]
    reloading = asyncio.create_task(runtime.reminders.load())
    await asyncio.wait_for(read.wait(), timeout=10)
    await during()
    release.set()
    await asyncio.wait_for(reloading, timeout=10)
    runtime.store.read_subscription_columns = read_columns  # type: ignore[method-assign]


async def test_a_subscription_made_during_a_reload_is_kept(wco, database):
    # Regression (review of issue 16): the reloaded index, read from a snapshot taken before
    # the subscription, replaced the one that held it, and the store's revision said nothing
    # was left to read: its reminders were never sent until a restart.
    runtime = await Runtime.open(
        AgendaService(wco, FixedClock(NEWS_DAY)),
        NullSender(),
        database_url=database,
        default_zone=ZoneInfo("UTC"),
    )
    await runtime.start()
    try:
        commands = runtime.runner.reminders
        await commands.subscribe(CONSOLE_CALLER, "WTO", "1d")

        async def meanwhile():
            await commands.subscribe(CONSOLE_CALLER, "PTC", "2d")
            await commands.unsubscribe(CONSOLE_CALLER, "WTO")

        await _reload_held_while(runtime, meanwhile)
        held = {(r.scope_kind, r.scope_id) for r in commands.reminders.audience.subscriptions()}
        assert held == {(ScopeKind.BODY, "ptc")}
        assert await runtime.reload_subscriptions_if_changed() is False
    finally:
        await runtime.stop()


async def test_start_up_pauses_the_cycle_collector_while_it_builds_only(wco, database):
    # Building the runtime makes what lives on and no garbage: the collector's full scans of
    # the heap found nothing and held the GIL from the thread reading the subscriptions. Not
    # while start sends (recovery, the announcement): review of issue 16, the garbage made
    # then was frozen for ever by the adapters' gc.freeze().
    seen: list[bool] = []
    service = AgendaService(wco, FixedClock(NEWS_DAY))
    load = Reminders.load

    async def watched(self):
        seen.append(gc.isenabled())
        await load(self)

    assert gc.isenabled()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Reminders, "load", watched)
        runtime = await Runtime.open(
            service, NullSender(), database_url=database, default_zone=ZoneInfo("UTC")
        )
        assert gc.isenabled()
        patch.setattr(runtime.announcer, "announce", _noting(seen, runtime.announcer.announce))
        await runtime.start()
    try:
        assert seen == [False, True] and gc.isenabled()
    finally:
        await runtime.stop()


def _noting(seen, announce):
    async def noted(*args, **kwargs):
        seen.append(gc.isenabled())
        await announce(*args, **kwargs)

    return noted
