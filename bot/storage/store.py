"""Storage behind a small interface: subscriptions, personal reminders, settings, snapshots.

SQLAlchemy 2 async; SQLite by default, PostgreSQL (or any SQLAlchemy async URL) by setting.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import ClauseElement, Connection, Table, case, delete, event, insert, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

from .changes import ChangeLog
from .columns import SubscriptionColumns, read_columns
from .migrate import UnknownSchema, migration_lock, sqlite_file, upgrade
from .models import (
    Counter,
    Delivery,
    FeedState,
    FeedToken,
    GuildSetting,
    MeetingSnapshot,
    PersonalReminder,
    ScopeKind,
    Subscription,
    UserSetting,
)

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql

log = logging.getLogger(__name__)
AUDIENCE = "audience"  # the revision of subscriptions, personal reminders and settings


@dataclass(frozen=True, slots=True)
class SubscriptionRow:
    id: int
    owner: str
    delivery: Delivery
    guild_id: str | None
    channel_id: str
    scope_kind: ScopeKind
    scope_id: str
    leads: tuple[int, ...]  # minutes; empty means the ladder of the meeting's kind
    created: int  # epoch seconds, UTC

    @classmethod
    def of_columns(cls, r: Sequence[Any], leads: tuple[int, ...]) -> SubscriptionRow:
        """A row from `Store.read_subscriptions`' columns; `leads` read from the eighth."""
        scope = ScopeKind(r[5])
        return cls(r[0], r[1], Delivery(r[2]), r[3], r[4] or "", scope, r[6] or "", leads, r[8])


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What followers were last told about a meeting, at which of its revisions, and how often
    it changed without a revision saying so (and when it last changed)."""

    fingerprint: str
    changes: int = 0
    changed: int | None = None  # epoch seconds
    revision: int = 0


@dataclass(frozen=True, slots=True)
class ReminderRow:
    id: int
    owner: str
    meeting_id: str
    lead_minutes: int | None
    at: datetime | None
    created_at: datetime


class StorageError(Exception):
    """The database cannot be used; the message says which setting to check."""


class Store:
    """The bot's database: subscriptions, personal reminders, settings, snapshots, feed tokens."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        # The audience revision this process has seen, its own writes included: a different
        # value in the database means another process wrote.
        self.revision_seen = 0

    @classmethod
    async def open(cls, url: str) -> Store:
        """Connect, create the SQLite file's folder if needed, and apply migrations."""
        try:
            parsed = make_url(url)
            sqlite = parsed.get_backend_name() == "sqlite"
            database_file = sqlite_file(parsed)
            if database_file is not None:
                database_file.parent.mkdir(parents=True, exist_ok=True)
            # In memory, one connection holds the database: said outright, as SQLAlchemy asks
            # (its guess from `mode=memory` is deprecated and warns at every start).
            pool = {"poolclass": StaticPool} if sqlite and database_file is None else {}
            engine = create_async_engine(url, **pool)
        except (ArgumentError, ImportError, OSError) as problem:
            raise StorageError(f"DATABASE_URL cannot be used: {problem}") from problem
        if sqlite:
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        try:
            # Several processes starting together on a new database take turns.
            async with migration_lock(parsed), engine.begin() as connection:
                await connection.run_sync(upgrade)
        except UnknownSchema as problem:
            await engine.dispose()
            raise StorageError(
                f"the database at DATABASE_URL has a schema this version of the bot does not "
                f"know ({problem}); a newer version probably wrote it: run that version, or "
                "point DATABASE_URL at another database"
            ) from problem
        except (SQLAlchemyError, OSError) as problem:
            await engine.dispose()
            reason = getattr(problem, "orig", None) or problem
            raise StorageError(f"the database at DATABASE_URL cannot be opened: {reason}") from (
                problem
            )
        return cls(engine)

    async def close(self) -> None:
        await self.engine.dispose()

    # -- subscriptions ---------------------------------------------------------------------------

    async def subscribe(
        self,
        owner: str,
        delivery: Delivery,
        scope_kind: ScopeKind,
        scope_id: str,
        leads: Sequence[int],
        created_at: datetime,
        guild_id: str | None = None,
        channel_id: str = "",
    ) -> tuple[SubscriptionRow, bool]:
        """Add a subscription, or update the leads of the same one: (row, created)."""
        async with self._sessions() as session:
            found = await session.scalar(
                select(Subscription).where(
                    Subscription.owner == owner,
                    Subscription.delivery == delivery,
                    Subscription.channel_id == channel_id,
                    Subscription.scope_kind == scope_kind,
                    Subscription.scope_id == scope_id,
                )
            )
            created = found is None
            if found is None:
                found = Subscription(
                    owner=owner,
                    delivery=delivery,
                    guild_id=guild_id,
                    channel_id=channel_id,
                    scope_kind=scope_kind,
                    scope_id=scope_id,
                    created=int(created_at.timestamp()),
                )
                session.add(found)
            found.leads = _leads_text(leads)
            try:
                await session.flush()
                revision = await raise_counter(session)
                await session.commit()
            except IntegrityError:  # the same subscription, added at the same moment elsewhere
                await session.rollback()
                return await self.subscribe(
                    owner, delivery, scope_kind, scope_id, leads, created_at, guild_id, channel_id
                )
            self._saw(revision)
            return _subscription_row(found), created

    async def unsubscribe(
        self,
        delivery: Delivery,
        scope_kind: ScopeKind | None,
        scope_id: str | None,
        owner: str | None = None,
        channel_id: str = "",
    ) -> list[SubscriptionRow]:
        """Remove matching subscriptions (scope None: every scope); returns what was removed."""
        conditions = [Subscription.delivery == delivery, Subscription.channel_id == channel_id]
        if owner is not None:
            conditions.append(Subscription.owner == owner)
        if scope_kind is not None:
            conditions += [
                Subscription.scope_kind == scope_kind,
                Subscription.scope_id == (scope_id or ""),
            ]
        async with self._sessions() as session:
            rows = list(await session.scalars(select(Subscription).where(*conditions)))
            await session.execute(delete(Subscription).where(*conditions))
            revision = await raise_counter(session)
            await session.commit()
            self._saw(revision)
            return [_subscription_row(row) for row in rows]

    async def subscriptions(self) -> list[SubscriptionRow]:
        """Every subscription as rows (tests, small tools); start-up reads them in batches of
        plain columns instead (read_subscriptions)."""
        rows: list[SubscriptionRow] = []

        def collect(batch: Sequence[Sequence[Any]]) -> None:
            rows.extend(SubscriptionRow.of_columns(r, _leads(r[7])) for r in batch)

        await self.read_subscriptions(collect)
        return rows

    async def read_subscriptions(
        self, consume: Callable[[Sequence[Sequence[Any]]], None], batch: int = 20_000
    ) -> None:
        """Hand every subscription to `consume`, `batch` rows at a time, in id order, as plain
        tuples of SUBSCRIPTION_COLUMNS. One statement, so one snapshot of the table; rows come
        from the driver's cursor without SQLAlchemy's Row objects, which cost as much as the
        fetch itself at a million rows; and only one batch is in memory at a time."""
        query = select(*SUBSCRIPTION_COLUMNS).order_by(Subscription.id)
        async with self.engine.connect() as connection:
            await connection.run_sync(_read_in_batches, query, consume, batch)

    async def read_subscription_columns(
        self,
        consume: Callable[[SubscriptionColumns], bool],
        finish: Callable[[], None],
        restore: Callable[[int, ChangeLog], bool] | None = None,
    ) -> bool:
        """On a SQLite file: every subscription as columns (see storage.columns), read in a
        worker thread by the stdlib driver and handed to `consume` a chunk at a time in that
        thread, then `finish` called there; True if so, or if `restore` (given the table's key
        and its log of changes there first, see columns.read_columns) took the subscriptions
        from elsewhere. False on another database, or if the columns cannot be read so (or
        `consume` refuses them): the caller then drops what it was given and reads rows with
        read_subscriptions."""
        if self.engine.dialect.name != "sqlite":
            return False
        database = sqlite_file(self.engine.url)
        if database is None or not database.is_file():
            # In memory, only the engine's own connections see the tables; and the stdlib
            # driver must not make an empty file where the engine found none.
            return False
        return await asyncio.to_thread(read_columns, database, consume, finish, restore)

    @property
    def database_file(self) -> Path | None:
        """The SQLite file of the database; None for another database or one in memory."""
        return sqlite_file(self.engine.url)

    async def revision(self) -> int:
        """The audience revision in the database: it grows with every write to subscriptions,
        personal reminders and settings, from any process."""
        async with self._sessions() as session:
            return await read_counter(session, AUDIENCE)

    def _saw(self, revision: int) -> None:
        """Our own write raised the revision: if nothing else wrote since we last looked, the
        new value is one we have seen (else a reload will find the other writer's rows)."""
        if revision == self.revision_seen + 1:
            self.revision_seen = revision

    async def add_subscriptions(self, rows: Iterable[dict[str, object]]) -> None:
        """Bulk insert (benchmarks, imports): dicts of Subscription columns, sent to the driver's
        executemany in chunks (a million rows never sit in memory at once), one transaction."""
        table = cast(Table, Subscription.__table__)
        async with self._sessions() as session:
            chunk: list[dict[str, object]] = []
            for row in rows:
                chunk.append(row)
                if len(chunk) == 20_000:
                    await session.execute(insert(table), chunk)
                    chunk = []
            if chunk:
                await session.execute(insert(table), chunk)
            await raise_counter(session)
            await session.commit()

    # -- personal reminders ----------------------------------------------------------------------

    async def add_reminder(
        self,
        owner: str,
        meeting_id: str,
        lead_minutes: int | None,
        at: datetime | None,
        created_at: datetime,
    ) -> ReminderRow:
        async with self._sessions() as session:
            row = PersonalReminder(
                owner=owner,
                meeting_id=meeting_id,
                lead_minutes=lead_minutes,
                at=int(at.timestamp()) if at is not None else None,
                created=int(created_at.timestamp()),
            )
            session.add(row)
            await session.flush()
            revision = await raise_counter(session)
            await session.commit()
            self._saw(revision)
            return _reminder_row(row)

    async def reminders(self) -> list[ReminderRow]:
        async with self._sessions() as session:
            rows = await session.scalars(select(PersonalReminder).order_by(PersonalReminder.id))
            return [_reminder_row(row) for row in rows]

    async def remove_reminder(self, reminder_id: int, owner: str) -> bool:
        async with self._sessions() as session:
            result = await session.execute(
                delete(PersonalReminder).where(
                    PersonalReminder.id == reminder_id, PersonalReminder.owner == owner
                )
            )
            revision = await raise_counter(session)
            await session.commit()
            self._saw(revision)
            return bool(getattr(result, "rowcount", 0))

    # -- settings --------------------------------------------------------------------------------

    async def user_timezone(self, owner: str) -> str | None:
        async with self._sessions() as session:
            row = await session.get(UserSetting, owner)
            return row.timezone if row is not None else None

    async def set_user_timezone(self, owner: str, zone: str) -> None:
        async with self._sessions() as session:
            await session.merge(UserSetting(owner=owner, timezone=zone))
            revision = await raise_counter(session)
            await session.commit()
            self._saw(revision)

    async def guild_timezone(self, guild_id: str) -> str | None:
        async with self._sessions() as session:
            row = await session.get(GuildSetting, guild_id)
            return row.timezone if row is not None else None

    async def set_guild_timezone(self, guild_id: str, zone: str) -> None:
        async with self._sessions() as session:
            await session.merge(GuildSetting(guild_id=guild_id, timezone=zone))
            revision = await raise_counter(session)
            await session.commit()
            self._saw(revision)

    # -- what subscribers were told about each meeting -------------------------------------------

    async def snapshots(self) -> dict[str, Snapshot]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(
                    MeetingSnapshot.meeting_id,
                    MeetingSnapshot.fingerprint,
                    MeetingSnapshot.changes,
                    MeetingSnapshot.changed,
                    MeetingSnapshot.revision,
                )
            )
            return {row[0]: Snapshot(*row[1:]) for row in rows}

    async def save_snapshots(self, snapshots: dict[str, Snapshot]) -> None:
        async with self._sessions() as session:
            await session.execute(delete(MeetingSnapshot))
            session.add_all(
                MeetingSnapshot(
                    meeting_id=key,
                    fingerprint=value.fingerprint,
                    changes=value.changes,
                    changed=value.changed,
                    revision=value.revision,
                )
                for key, value in snapshots.items()
            )
            await session.commit()

    # -- what each feed last was ----------------------------------------------------------------

    async def feed_states(self) -> dict[str, tuple[str, int]]:
        """Feed key -> (ETag, Last-Modified in epoch seconds)."""
        async with self._sessions() as session:
            rows = await session.execute(select(FeedState.key, FeedState.etag, FeedState.modified))
            return {key: (etag, modified) for key, etag, modified in rows}

    async def record_feed_state(self, key: str, etag: str, modified: int) -> tuple[str, int]:
        """Record that a feed is now `etag`, last modified at `modified`, in one statement that
        every process serving the database goes through: the same ETag keeps the date first
        recorded; a new one gets `modified`, or a second past the last date if that is not later.
        Returns what is recorded."""
        new: sqlite.Insert | postgresql.Insert = sqlite_insert(FeedState)
        if self.engine.dialect.name == "postgresql":
            # Imported here: the PostgreSQL dialect's modules cost 0.1 s at every start on SQLite.
            from sqlalchemy.dialects.postgresql import insert as postgresql_insert

            new = postgresql_insert(FeedState)
        new = new.values(key=key, etag=etag, modified=modified)
        statement = new.on_conflict_do_update(
            index_elements=[FeedState.key],
            set_={
                "etag": new.excluded.etag,
                "modified": case(
                    (FeedState.etag == new.excluded.etag, FeedState.modified),
                    (new.excluded.modified > FeedState.modified, new.excluded.modified),
                    else_=FeedState.modified + 1,
                ),
            },
        ).returning(FeedState.etag, FeedState.modified)
        async with self._sessions() as session:
            row = (await session.execute(statement)).one()
            await session.commit()
            return str(row[0]), int(row[1])

    # -- personal calendar feeds -----------------------------------------------------------------

    async def new_feed_token(self, owner: str, now: datetime) -> str:
        """A new secret address part for `owner`'s personal feed (192 random bits); only its
        digest is stored, so the token is shown once and cannot be recovered."""
        token = secrets.token_urlsafe(24)
        async with self._sessions() as session:
            session.add(FeedToken(digest=_digest(token), owner=owner, created=int(now.timestamp())))
            await session.commit()
        return token

    async def feed_owner(self, token: str) -> str | None:
        """Whose feed a token opens; None if unknown or revoked (the caller says nothing more)."""
        digest = _digest(token)
        async with self._sessions() as session:
            row = await session.get(FeedToken, digest)
        if row is None or row.revoked is not None:
            return None
        # The row was found by the digest, which says nothing useful about the token itself;
        # the final equality check is constant-time all the same.
        return row.owner if hmac.compare_digest(row.digest, digest) else None

    async def revoke_feed_tokens(self, owner: str, now: datetime) -> int:
        async with self._sessions() as session:
            result = await session.execute(
                update(FeedToken)
                .where(FeedToken.owner == owner, FeedToken.revoked.is_(None))
                .values(revoked=int(now.timestamp()))
            )
            await session.commit()
            return int(getattr(result, "rowcount", 0) or 0)


async def raise_counter(session: AsyncSession, name: str = AUDIENCE) -> int:
    """Part of the caller's transaction: the write and the new count commit together."""
    value = await session.scalar(
        update(Counter)
        .where(Counter.name == name)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    )
    return int(value or 0)


async def read_counter(session: AsyncSession, name: str) -> int:
    value = await session.scalar(select(Counter.value).where(Counter.name == name))
    return int(value or 0)


SUBSCRIPTION_COLUMNS = (
    Subscription.id,
    Subscription.owner,
    Subscription.delivery,
    Subscription.guild_id,
    Subscription.channel_id,
    Subscription.scope_kind,
    Subscription.scope_id,
    Subscription.leads,
    Subscription.created,
)


def _read_in_batches(
    connection: Connection,
    query: ClauseElement,
    consume: Callable[[Sequence[Sequence[Any]]], None],
    batch: int,
) -> None:
    """A server-side cursor (aiosqlite and asyncpg both have one) read `batch` rows at a time;
    the statement has no parameters, so its compiled text is the same for every driver."""
    cursor = connection.connection.cursor(server_side=True)
    try:
        cursor.execute(str(query.compile(dialect=connection.dialect)))
        while rows := cursor.fetchmany(batch):
            consume(rows)
    finally:
        cursor.close()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _sqlite_pragmas(connection: object, _record: object) -> None:
    """WAL lets readers and the writer work at once; a busy timeout waits instead of failing."""
    cursor = connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _leads_text(leads: Sequence[int]) -> str | None:
    return ",".join(str(m) for m in sorted(set(leads), reverse=True)) if leads else None


def _leads(text: str | None) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",")) if text else ()


def _subscription_row(row: Subscription) -> SubscriptionRow:
    return SubscriptionRow(
        row.id,
        row.owner,
        Delivery(row.delivery),
        row.guild_id,
        row.channel_id,
        ScopeKind(row.scope_kind),
        row.scope_id,
        _leads(row.leads),
        row.created,
    )


def _reminder_row(row: PersonalReminder) -> ReminderRow:
    return ReminderRow(
        row.id,
        row.owner,
        row.meeting_id,
        row.lead_minutes,
        datetime.fromtimestamp(row.at, UTC) if row.at is not None else None,
        datetime.fromtimestamp(row.created, UTC),
    )
