"""The calendars the agenda follows, kept in the database with how their fetches went."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from .models import FollowedFeed


@dataclass(frozen=True, slots=True)
class FeedRow:
    id: int
    url: str
    name: str  # the calendar's own, once read
    body_id: str  # the body given, or "": the calendar's own (made_id)
    made_id: str
    made_name: str
    kind: str
    topics: str  # JSON list of topic ids
    by: str
    active: bool
    created: int
    etag: str
    last_modified: str
    fetched: int | None
    next_fetch: int
    events: int
    error: str
    failures: int


_FIELDS = tuple(f.name for f in fields(FeedRow))


class FollowedFeeds:
    """Follow (or follow again), unfollow, list, and record each fetch."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def follow(
        self,
        url: str,
        body_id: str,
        kind: str,
        topics: str,
        by: str,
        now: int,
        again: bool = True,
    ) -> tuple[FeedRow, bool]:
        """The feed, followed from now on; False when it already was (nothing is changed),
        or, with `again` False, when it ever was (an editor's /unfollow stands)."""
        async with self._sessions() as session:
            row = await session.scalar(select(FollowedFeed).where(FollowedFeed.url == url))
            if row is not None and (row.active or not again):
                return _row(row), False
            if row is None:
                row = FollowedFeed(
                    url=url,
                    name="",
                    made_id="",
                    made_name="",
                    created=now,
                    events=0,
                    error="",
                    failures=0,
                )
                session.add(row)
            # Followed again: the same row, so its meetings are its own again.
            row.body_id, row.kind, row.topics, row.by = body_id, kind, topics, by
            row.etag = row.last_modified = ""  # read it whole once more
            row.active = True
            row.next_fetch = now
            await session.commit()
            return _row(row), True

    async def keep_import(self, name: str, made_id: str, made_name: str, now: int) -> None:
        """Remember the body made for a one-off import (`name`: "import:..."), never read."""
        async with self._sessions() as session:
            row = await session.scalar(select(FollowedFeed).where(FollowedFeed.url == name))
            if row is None:
                row = FollowedFeed(
                    url=name,
                    name="",
                    body_id="",
                    kind="session",
                    topics="[]",
                    by="import",
                    active=False,
                    created=now,
                    etag="",
                    last_modified="",
                    next_fetch=0,
                    events=0,
                    error="",
                    failures=0,
                )
                session.add(row)
            row.made_id, row.made_name = made_id, made_name
            await session.commit()

    async def find(self, url: str) -> FeedRow | None:
        async with self._sessions() as session:
            row = await session.scalar(select(FollowedFeed).where(FollowedFeed.url == url))
            return _row(row) if row is not None else None

    async def unfollow(self, url: str) -> FeedRow | None:
        async with self._sessions() as session:
            row = await session.scalar(
                select(FollowedFeed).where(FollowedFeed.url == url, FollowedFeed.active)
            )
            if row is None:
                return None
            row.active = False
            await session.commit()
            return _row(row)

    async def get(self, feed_id: int) -> FeedRow | None:
        async with self._sessions() as session:
            row = await session.get(FollowedFeed, feed_id)
            return _row(row) if row is not None else None

    async def all(self) -> list[FeedRow]:
        """Every feed ever followed (the inactive ones still name their meetings' bodies)."""
        async with self._sessions() as session:
            rows = await session.scalars(select(FollowedFeed).order_by(FollowedFeed.id))
            return [_row(row) for row in rows]

    async def record(self, feed_id: int, **changes: Any) -> None:
        """How a fetch went: any of name, etag, last_modified, fetched, next_fetch, events,
        error, failures (and made_id, made_name once a body is made for the calendar)."""
        unknown = set(changes) - set(_FIELDS)
        if unknown:
            raise ValueError(f"not a field of a followed feed: {sorted(unknown)}")
        async with self._sessions() as session:
            await session.execute(
                update(FollowedFeed).where(FollowedFeed.id == feed_id).values(**changes)
            )
            await session.commit()


def _row(row: FollowedFeed) -> FeedRow:
    return FeedRow(*(getattr(row, name) for name in _FIELDS))
