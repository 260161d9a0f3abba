"""Start-up reads subscriptions as plain columns in batches, in id order, on every driver."""

from datetime import UTC, datetime

from bot.storage import Delivery, ScopeKind, Store

NOW = datetime(2016, 2, 1, 12, tzinfo=UTC)


async def test_subscriptions_come_in_batches_of_plain_columns_in_id_order(database_url):
    store = await Store.open(database_url)
    try:
        await store.add_subscriptions(
            dict(
                owner=f"discord:{n}",
                delivery="me" if n % 2 else "here",
                guild_id=None if n % 2 else "9",
                channel_id="" if n % 2 else "10",
                scope_kind="topic",
                scope_id=f"t{n % 3}",
                leads="1440" if n == 4 else None,
                created=n,
            )
            for n in range(1, 8)
        )
        await store.subscribe("console", Delivery.DM, ScopeKind.ALL, "", [60, 10], NOW)
        batches: list[list[tuple[object, ...]]] = []
        await store.read_subscriptions(lambda rows: batches.append([tuple(r) for r in rows]), 3)
        assert [len(b) for b in batches] == [3, 3, 2]
        rows = [r for b in batches for r in b]
        assert [r[0] for r in rows] == sorted(r[0] for r in rows)
        assert rows[3][1:] == ("discord:4", "here", "9", "10", "topic", "t1", "1440", 4)
        assert rows[-1][1:] == ("console", "me", None, "", "all", "", "60,10", int(NOW.timestamp()))
        assert [(r.owner, r.leads) for r in await store.subscriptions()][-1] == (
            "console",
            (60, 10),
        )
    finally:
        await store.close()
