"""The delivery ledger: one row per (fire point, destination), claimed before anything is sent.

The ledger, not Discord's nonce, is what makes a delivery happen once: a claimed row is never
sent again unless its attempt was interrupted (a crash between claim and record), and then only
with the same nonce, so that Discord (which remembers an enforced nonce for a few minutes)
returns the message it already has instead of posting a second one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    Boolean,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql

metadata = MetaData()
LEADER = "leader"


class Base(DeclarativeBase):
    metadata = metadata


class State(StrEnum):
    CLAIMED = "claimed"  # about to be sent, or interrupted while sending
    RETRYING = "retrying"  # a transient failure (rate limit, outage): it will be tried again
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"

    @property
    def open(self) -> bool:
        """Not settled yet: the next claim resumes it, with the same nonce."""
        return self in (State.CLAIMED, State.RETRYING)


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("fire_point", "destination", name="uq_delivery"),
        Index("ix_deliveries_finished", "finished"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fire_point: Mapped[str] = mapped_column(String(200))
    destination: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(10))
    nonce: Mapped[str] = mapped_column(String(25))
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    message_id: Mapped[str | None] = mapped_column(String(30), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    claimed: Mapped[int] = mapped_column(BigInteger)  # epoch seconds (UTC), as every instant
    finished: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class EngineState(Base):
    __tablename__ = "engine_state"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Claim(StrEnum):
    NEW = "new"  # first attempt: send
    RESUME = "resume"  # an earlier attempt was interrupted: send again with the same nonce
    DONE = "done"  # already sent, failed or skipped: do nothing


@dataclass(frozen=True, slots=True)
class Claimed:
    claim: Claim
    nonce: str
    attempts: int = 1  # this one included


@dataclass(frozen=True, slots=True)
class Record:
    fire_point: str
    destination: str
    state: State
    late: bool
    reason: str | None
    message_id: str | None
    finished_at: datetime | None
    attempts: int = 1


def _epoch_now() -> int:
    return int(datetime.now(UTC).timestamp())


def nonce_for(fire_point: str, destination: str) -> str:
    """Discord accepts a nonce of up to 25 characters; derived from the ledger key."""
    return hashlib.sha256(f"{fire_point}\n{destination}".encode()).hexdigest()[:25]


class Ledger:
    """Every delivery's row: claimed, then sent, failed, skipped, or retrying; and the engine's
    own state (how far firing got, who leads)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def claim(self, fire_point: str, destination: str, late: bool = False) -> Claimed:
        """Insert the row, or find it: NEW, RESUME (an interrupted attempt) or DONE. Core
        statements, not the ORM: a fan-out claims thousands of rows at once."""
        nonce = nonce_for(fire_point, destination)
        row = {
            "fire_point": fire_point,
            "destination": destination,
            "state": State.CLAIMED,
            "nonce": nonce,
            "late": late,
            "attempts": 1,
            "claimed": _epoch_now(),
        }
        try:
            async with self._engine.begin() as connection:
                await connection.execute(insert(Delivery), row)
            return Claimed(Claim.NEW, nonce)
        except IntegrityError:
            pass
        match = (Delivery.fire_point == fire_point, Delivery.destination == destination)
        still_open = Delivery.state.in_([State.CLAIMED, State.RETRYING])
        async with self._engine.begin() as connection:
            found = (
                await connection.execute(
                    select(Delivery.state, Delivery.nonce, Delivery.attempts).where(*match)
                )
            ).first()
            if found is None or not State(found[0]).open:
                return Claimed(Claim.DONE, nonce)
            await connection.execute(
                update(Delivery)
                .where(*match, still_open)
                .values(
                    state=State.CLAIMED,
                    attempts=Delivery.attempts + 1,
                    late=Delivery.late | late,
                )
            )
            return Claimed(Claim.RESUME, found[1], int(found[2]) + 1)

    async def claim_batch(
        self, pairs: Iterable[tuple[str, str]], late: bool = False
    ) -> set[tuple[str, str]]:
        """Claim many (fire point, destination) rows in one transaction; returns the pairs this
        call inserted, each to be sent now (with `nonce_for` its nonce) as a NEW claim.

        A row that already exists is left alone here: the caller claims it on its own with
        `claim` (DONE, or RESUME of an open row with its nonce). An open row may belong to a
        process that lost the lease mid-fan-out and will never finish it (review of issue 16:
        skipping such rows dropped their reminders)."""
        now = _epoch_now()
        rows = [
            {
                "fire_point": fire_point,
                "destination": destination,
                "state": State.CLAIMED,
                "nonce": nonce_for(fire_point, destination),
                "late": late,
                "attempts": 1,
                "claimed": now,
            }
            for fire_point, destination in dict.fromkeys(pairs)
        ]
        if not rows:
            return set()
        new: sqlite.Insert | postgresql.Insert = sqlite.insert(Delivery)
        if self._engine.dialect.name == "postgresql":
            # Imported here: the PostgreSQL dialect's modules cost 0.1 s at every start on SQLite.
            from sqlalchemy.dialects.postgresql import insert as postgresql_insert

            new = postgresql_insert(Delivery)
        statement = new.on_conflict_do_nothing(
            index_elements=["fire_point", "destination"]
        ).returning(Delivery.fire_point, Delivery.destination)
        async with self._engine.begin() as connection:
            result = await connection.execute(statement, rows)
            return {(row[0], row[1]) for row in result}

    async def finish(
        self,
        fire_point: str,
        destination: str,
        state: State,
        reason: str | None = None,
        message_id: str | None = None,
    ) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                update(Delivery)
                .where(Delivery.fire_point == fire_point, Delivery.destination == destination)
                .values(state=state, reason=reason, message_id=message_id, finished=_epoch_now())
            )

    async def finish_many(
        self, outcomes: Sequence[tuple[str, str, State, str | None, str | None]]
    ) -> None:
        """`finish` for many rows (fire point, destination, state, reason, message id), in one
        transaction."""
        if not outcomes:
            return
        now = _epoch_now()
        statement = (
            update(Delivery)
            .where(Delivery.fire_point == bindparam("p"), Delivery.destination == bindparam("d"))
            .values(
                state=bindparam("s"),
                reason=bindparam("r"),
                message_id=bindparam("m"),
                finished=bindparam("f"),
            )
        )
        rows = [
            {"p": point, "d": to, "s": state, "r": reason, "m": message_id, "f": now}
            for point, to, state, reason, message_id in outcomes
        ]
        async with self._engine.begin() as connection:
            await connection.execute(statement, rows)

    async def skip(self, fire_point: str, destination: str, reason: str) -> bool:
        """Record that a delivery will not happen (and why); False if it was already recorded."""
        claimed = await self.claim(fire_point, destination)
        if claimed.claim is Claim.DONE:
            return False
        await self.finish(fire_point, destination, State.SKIPPED, reason)
        return True

    async def interrupted(self) -> list[tuple[str, str]]:
        """(fire point, destination) of attempts a crash left between claim and record, and of
        those waiting to be tried again after a transient failure."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(Delivery.fire_point, Delivery.destination)
                .where(Delivery.state.in_([State.CLAIMED, State.RETRYING]))
                .order_by(Delivery.id)
            )
            return [(row[0], row[1]) for row in rows]

    async def known(self, fire_points: Sequence[str]) -> set[tuple[str, str]]:
        """Which (fire point, destination) pairs already have a row."""
        found: set[tuple[str, str]] = set()
        async with self._sessions() as session:
            for start in range(0, len(fire_points), 500):
                chunk = fire_points[start : start + 500]
                rows = await session.execute(
                    select(Delivery.fire_point, Delivery.destination).where(
                        Delivery.fire_point.in_(chunk)
                    )
                )
                found.update((row[0], row[1]) for row in rows)
        return found

    async def records(self, destinations: Sequence[str], limit: int = 50) -> list[Record]:
        """The latest deliveries to these destinations, newest first (for a log command)."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Delivery)
                .where(Delivery.destination.in_(destinations))
                .order_by(Delivery.id.desc())
                .limit(limit)
            )
            return [
                Record(
                    r.fire_point,
                    r.destination,
                    State(r.state),
                    r.late,
                    r.reason,
                    r.message_id,
                    datetime.fromtimestamp(r.finished, UTC) if r.finished is not None else None,
                    r.attempts,
                )
                for r in rows
            ]

    async def take_lead(
        self,
        owner: str,
        now: datetime,
        lease: timedelta,
        gone: Callable[[str], bool] = lambda holder: False,
    ) -> bool:
        """Become (or stay) the one process that fires reminders on this database, for `lease`.

        A compare-and-set on one row, so two processes cannot both win: the row is taken when
        absent, ours already, expired, or held by a process `gone` says is dead."""
        value = f"{owner}|{(now + lease).isoformat()}"
        async with self._sessions() as session:
            row = await session.get(EngineState, LEADER)
            if row is None:
                session.add(EngineState(key=LEADER, value=value))
                try:
                    await session.commit()
                except IntegrityError:
                    return False
                return True
            holder, _, until = row.value.rpartition("|")
            if holder != owner and datetime.fromisoformat(until) > now and not gone(holder):
                return False
            result = await session.execute(
                update(EngineState)
                .where(EngineState.key == LEADER, EngineState.value == row.value)
                .values(value=value)
            )
            await session.commit()
            return bool(getattr(result, "rowcount", 0))

    async def give_up_lead(self, owner: str) -> None:
        async with self._sessions() as session:
            row = await session.get(EngineState, LEADER)
            if row is not None and row.value.rpartition("|")[0] == owner:
                await session.delete(row)
                await session.commit()

    async def get_state(self, key: str) -> str | None:
        async with self._sessions() as session:
            row = await session.get(EngineState, key)
            return row.value if row is not None else None

    async def set_state(self, key: str, value: str) -> None:
        async with self._sessions() as session:
            row = await session.get(EngineState, key)
            if row is None:
                session.add(EngineState(key=key, value=value))
            else:
                row.value = value
            await session.commit()
