"""Subscriptions of every kind, delivery, owner form and lead, over an agenda's scopes: what the
tests of the subscriptions' index read back, by columns, rows or its saved file."""

from datetime import datetime


def varied_subscriptions(agenda, created_at: datetime, count: int) -> list[dict]:
    """`count` rows made, fewer kept: one per owner, delivery, channel and scope (the last)."""
    bodies, topics, meetings = list(agenda.bodies), list(agenda.topics), list(agenda.meetings)
    owners = ["console", "discord:7", "discord:01", "discord:100000000000000003"]
    created = int(created_at.timestamp())
    made = [
        dict(
            owner=owners[n % len(owners)] if n % 5 else f"discord:{10**17 + n}",
            delivery=("me", "here", "channel")[n % 3],
            guild_id=None if n % 3 == 0 else "9",
            channel_id="" if n % 3 == 0 else str(10 + n % 4),
            scope_kind=("all", "body", "topic", "meeting")[n % 4],
            scope_id=(
                "",
                bodies[n % len(bodies)],
                topics[n % len(topics)],
                meetings[n % len(meetings)],
            )[n % 4],
            leads=(None, "2880", "10080,60")[n % 3 if n % 7 == 0 else 0],
            created=created + (n % 11 - 5) * 86_400,
        )
        for n in range(count)
    ]
    unique = {
        (r["owner"], r["delivery"], r["channel_id"], r["scope_kind"], r["scope_id"]): r
        for r in reversed(made)
    }
    return list(unique.values())
