"""The bot's own tables. The database is the truth; the scheduler's jobs are derived from it.

Every instant is stored one way: whole seconds since the epoch, UTC, as an integer (they load
fast everywhere and mean the same on every driver)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
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
    # Changes seen that no revision of the meeting explains (a data file edited in place), and
    # when the last change was seen (epoch seconds): feeds add them to SEQUENCE and LAST-MODIFIED.
    changes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    changed: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Counter(Base):
    """A counter raised in the same transaction as every write of what it counts ("audience":
    subscriptions, reminders and settings; "agenda": revisions): another process (`python -m bot
    ask`, a second bot) sees that something changed by reading it."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class SubscriptionChange(Base):
    """An id of a subscription changed, and the table's key drawn for that change: written by
    SQLite triggers (migration 0011), read at start-up to patch the saved index of
    subscriptions rather than read every row. Unused on other databases."""

    __tablename__ = "subscription_changes"
    __table_args__ = ({"sqlite_autoincrement": True},)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    key: Mapped[int] = mapped_column(BigInteger)


class FeedToken(Base):
    """A personal calendar feed's secret, stored only as its SHA-256 digest."""

    __tablename__ = "feed_tokens"
    __table_args__ = (Index("ix_feed_tokens_owner", "owner"),)

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(40))
    created: Mapped[int] = mapped_column(BigInteger)
    revoked: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class MeetingRevision(Base):
    """A revision of the agenda made by an editor (/manage) or a followed calendar; those of the
    data files stay in the files. What it set and its sources are JSON (bot.core.codec)."""

    __tablename__ = "meeting_revisions"
    __table_args__ = (Index("ix_meeting_revisions_meeting", "meeting_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    meeting_id: Mapped[str] = mapped_column(String(80))
    known: Mapped[int] = mapped_column(BigInteger)  # epoch seconds (UTC)
    sets: Mapped[str] = mapped_column(Text)
    sources: Mapped[str] = mapped_column(Text, default="[]")
    by: Mapped[str] = mapped_column(String(40), default="")
    why: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(10))


class FollowedFeed(Base):
    """A calendar the agenda follows (/follow, or `[[feed]]` in the data files), and how its
    last fetches went. Unfollowing keeps the row (inactive): its meetings keep their body."""

    __tablename__ = "followed_feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")  # the calendar's, once read
    body_id: Mapped[str] = mapped_column(String(80))  # the body given, or "": its own, made
    # The body made for the calendar (from its name) the first time it was read without one
    # given; kept for good, since meetings may name it even when another body is given later.
    made_id: Mapped[str] = mapped_column(String(80), default="")
    made_name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(20))
    topics: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of topic ids
    by: Mapped[str] = mapped_column(String(40), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[int] = mapped_column(BigInteger)  # epoch seconds, as every instant below
    etag: Mapped[str] = mapped_column(Text, default="")
    last_modified: Mapped[str] = mapped_column(Text, default="")
    fetched: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    next_fetch: Mapped[int] = mapped_column(BigInteger, default=0)
    events: Mapped[int] = mapped_column(Integer, default=0)  # seen in the last good reading
    error: Mapped[str] = mapped_column(Text, default="")  # the last fetch's, or ""
    failures: Mapped[int] = mapped_column(Integer, default=0)  # in a row


class EventMirror(Base):
    """A server's settings for its scheduled events (/events), and the problem that stopped
    its mirror, told to the channel it was turned on in once."""

    __tablename__ = "event_mirrors"

    guild_id: Mapped[str] = mapped_column(String(30), primary_key=True)
    mirror: Mapped[bool] = mapped_column(Boolean, default=False)
    count: Mapped[int] = mapped_column(Integer, default=20)
    bodies: Mapped[str] = mapped_column(Text, default="")  # body ids, separated by commas
    channel_id: Mapped[str] = mapped_column(String(30), default="")
    interested: Mapped[bool] = mapped_column(Boolean, default=False)
    going_count: Mapped[bool] = mapped_column(Boolean, default=False)
    problem: Mapped[str] = mapped_column(Text, default="")


class MirroredEvent(Base):
    """A meeting's scheduled event in a server. `dismissed`: a moderator deleted it."""

    __tablename__ = "mirrored_events"
    __table_args__ = (Index("ix_mirrored_events_event", "guild_id", "event_id"),)

    guild_id: Mapped[str] = mapped_column(String(30), primary_key=True)
    meeting_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(30))
    dismissed: Mapped[bool] = mapped_column(Boolean, default=False)


class EventInterest(Base):
    """A member interested on a meeting's event (the event it was pressed on); `subscribed`
    when that made their subscription (taking the interest back then removes it)."""

    __tablename__ = "event_interest"

    guild_id: Mapped[str] = mapped_column(String(30), primary_key=True)
    meeting_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(30), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(30))
    subscribed: Mapped[bool] = mapped_column(Boolean, default=False)


class Attendance(Base):
    """Whether a member goes to a meeting (/attending): yes, no or maybe."""

    __tablename__ = "attendance"

    guild_id: Mapped[str] = mapped_column(String(30), primary_key=True)  # "" in the console
    meeting_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    owner: Mapped[str] = mapped_column(String(40), primary_key=True)
    answer: Mapped[str] = mapped_column(String(8))
    updated: Mapped[int] = mapped_column(BigInteger)


class FeedState(Base):
    """What a feed last was (ETag) and since when (Last-Modified, epoch seconds): kept across
    restarts so that Last-Modified never goes backwards for a client's copy."""

    __tablename__ = "feed_states"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # "body:ptc", "personal:…"
    etag: Mapped[str] = mapped_column(String(80))
    modified: Mapped[int] = mapped_column(BigInteger)
