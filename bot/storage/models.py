"""The bot's own tables. The database is the truth; the scheduler's jobs are derived from it.

Every instant is stored one way: whole seconds since the epoch, UTC, as an integer (they load
fast everywhere and mean the same on every driver)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class Base(DeclarativeBase):
    metadata = metadata


class Delivery(StrEnum):
    """How a subscription's reminders reach its owner."""

    DM = "me"  # a direct message (the console prints it)
    HERE = "here"  # in the channel where they subscribed, mentioning them
    CHANNEL = "channel"  # the channel itself subscribes; no one is mentioned


class ScopeKind(StrEnum):
    ALL = "all"
    BODY = "body"
    MEETING = "meeting"
    TOPIC = "topic"


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint(
            "owner",
            "delivery",
            "channel_id",
            "scope_kind",
            "scope_id",
            name="uq_subscriptions_what",
        ),
        Index("ix_subscriptions_owner", "owner"),
        Index("ix_subscriptions_channel", "channel_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(40))  # "discord:<user id>" or "console"
    delivery: Mapped[str] = mapped_column(String(10))
    guild_id: Mapped[str | None] = mapped_column(String(30), nullable=True)
    channel_id: Mapped[str] = mapped_column(String(30), default="")  # "" for DMs
    scope_kind: Mapped[str] = mapped_column(String(10))
    scope_id: Mapped[str] = mapped_column(String(80), default="")  # "" for all
    leads: Mapped[str | None] = mapped_column(String(100), nullable=True)  # minutes, "10080,1440"
    # Epoch seconds (UTC): start-up reads every subscription, and integers load fast everywhere.
    created: Mapped[int] = mapped_column(BigInteger)


class PersonalReminder(Base):
    __tablename__ = "personal_reminders"
    __table_args__ = (Index("ix_personal_reminders_owner", "owner"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(40))
    meeting_id: Mapped[str] = mapped_column(String(80))
    lead_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)  # "2d before"
    at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # epoch seconds (UTC)
    created: Mapped[int] = mapped_column(BigInteger)  # epoch seconds (UTC)


class UserSetting(Base):
    __tablename__ = "user_settings"

    owner: Mapped[str] = mapped_column(String(40), primary_key=True)
    timezone: Mapped[str | None] = mapped_column(String(60), nullable=True)


class GuildSetting(Base):
    __tablename__ = "guild_settings"

    guild_id: Mapped[str] = mapped_column(String(30), primary_key=True)
    timezone: Mapped[str | None] = mapped_column(String(60), nullable=True)


class MeetingSnapshot(Base):
    """What subscribers were last told about a meeting, to tell them once when it changes."""

    __tablename__ = "meeting_snapshots"

    meeting_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(Text)
    # Changes seen since the first snapshot, and when the last one was seen (epoch seconds):
    # calendar feeds raise SEQUENCE and LAST-MODIFIED with them.
    changes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    changed: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Revision(Base):
    """A counter raised in the same transaction as every write to subscriptions, reminders and
    settings: another process (`python -m bot ask`) sees that something changed by reading it."""

    __tablename__ = "revisions"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class FeedToken(Base):
    """A personal calendar feed's secret, stored only as its SHA-256 digest."""

    __tablename__ = "feed_tokens"
    __table_args__ = (Index("ix_feed_tokens_owner", "owner"),)

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(40))
    created: Mapped[int] = mapped_column(BigInteger)
    revoked: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
