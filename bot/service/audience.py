"""Who follows what, in memory: the database's subscriptions and reminders, indexed by scope.

The database is the truth; this index is rebuilt from it at start and kept in step with every
change, so that planning and fan-out never query the database per meeting.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core import AgendaIndex, Meeting
from bot.storage import Delivery, ReminderRow, ScopeKind, SubscriptionRow

from .caller import CONSOLE
from .followers import DELIVERIES, ScopeRows, Subscribers

# Changes to an index, in order, for another to apply: (Audience method, its argument).
Journal = list[tuple[Callable[["Audience", Any], None], Any]]


@dataclass(frozen=True, slots=True)
class Route:
    """Where a subscriber's message goes: the ledger key, and who to mention there."""

    key: str
    mention: str | None = None


def route_of(owner: str, delivery: Delivery, channel_id: str) -> Route:
    if owner == CONSOLE:
        return Route(CONSOLE)
    user = owner.removeprefix("discord:")
    if delivery is Delivery.DM:
        return Route(f"dm:{user}")
    return Route(f"channel:{channel_id}", user if delivery is Delivery.HERE else None)


def scopes_of(meeting: Meeting, index: AgendaIndex) -> list[tuple[ScopeKind, str]]:
    """Every scope a subscription can name that covers `meeting`: all, the meeting itself, its
    bodies, and the topics it is related to."""
    scopes = [(ScopeKind.ALL, ""), (ScopeKind.MEETING, meeting.id)]
    scopes += [(ScopeKind.BODY, body) for body in meeting.bodies]
    scopes += [(ScopeKind.TOPIC, topic) for topic in index.topics_of(meeting.id)]
    return scopes


def covers(row: SubscriptionRow, meeting: Meeting, index: AgendaIndex) -> bool:
    return (row.scope_kind, row.scope_id) in scopes_of(meeting, index)


class Audience:
    """Who follows what: subscriptions by scope (as columns, see followers.Subscribers) and
    personal reminders by meeting."""

    def __init__(
        self, subscriptions: Iterable[SubscriptionRow] = (), reminders: Iterable[ReminderRow] = ()
    ) -> None:
        self.version = 0  # grows with every change, so derived views (feeds) know to rebuild
        self._meanwhile: list[Journal] = []
        self.reset(subscriptions, reminders)

    def reset(
        self, subscriptions: Iterable[SubscriptionRow], reminders: Iterable[ReminderRow]
    ) -> None:
        """Hold exactly these subscriptions and reminders (read again from the database)."""
        self.clear(reminders)
        for row in sorted(subscriptions, key=lambda r: r.id):  # in id order, each is appended
            self._subscribers.put(row)

    def clear(self, reminders: Iterable[ReminderRow] = ()) -> None:
        """Hold no subscription and exactly these reminders (before `extend` with every row)."""
        self._subscribers = Subscribers()
        self._reminders: dict[int, ReminderRow] = {}
        self._reminders_of: dict[str, dict[int, ReminderRow]] = defaultdict(dict)
        for reminder in reminders:
            self.add_reminder(reminder)
        self.version += 1

    def take(self, other: Audience) -> None:
        """Hold what `other` holds, at once (others keep a reference to this index)."""
        self._subscribers, self._reminders = other._subscribers, other._reminders
        self._reminders_of = other._reminders_of
        self.version = max(self.version, other.version) + 1

    def hold(self, subscribers: Subscribers) -> None:
        """Hold these subscriptions instead of those held (built apart, e.g. in a thread)."""
        self._subscribers = subscribers
        self.version += 1

    def extend(self, rows: Sequence[Sequence[Any]]) -> None:
        """Add rows read from the database: tuples of the store's SUBSCRIPTION_COLUMNS."""
        self._subscribers.extend(rows)
        self.version += 1

    def settle(self) -> None:
        """Put the rows read so far in their scopes now, rather than when first asked: a scope
        this version cannot read is found while the read can still say so."""
        self._subscribers.settle()

    def __len__(self) -> int:
        return len(self._subscribers)

    @contextmanager
    def changes_meanwhile(self) -> Iterator[Journal]:
        """The changes made to this index while a new one is read from the database: the read's
        snapshot may have begun before a change, and the new index must not lose it (a
        subscription made during a reload was dropped; one removed came back). Each change
        gives the same index whether the snapshot held it or not, so the new index replays
        them all (`replay`) before it takes this one's place."""
        journal: Journal = []
        self._meanwhile.append(journal)
        try:
            yield journal
        finally:
            self._meanwhile.remove(journal)

    def replay(self, journal: Journal) -> None:
        for change, argument in journal:
            change(self, argument)

    def _note(self, change: Callable[[Audience, Any], None], argument: Any) -> None:
        for journal in self._meanwhile:
            journal.append((change, argument))

    def add_subscription(self, row: SubscriptionRow) -> None:
        self._note(Audience.add_subscription, row)
        self._subscribers.put(row)
        self.version += 1

    def remove_subscription(self, row: SubscriptionRow) -> None:
        self._note(Audience.remove_subscription, row)
        if self._subscribers.remove(row):
            self.version += 1

    def add_reminder(self, row: ReminderRow) -> None:
        self._note(Audience.add_reminder, row)
        self._reminders[row.id] = row
        self._reminders_of[row.meeting_id][row.id] = row
        self.version += 1

    def remove_reminder(self, reminder_id: int) -> None:
        self._note(Audience.remove_reminder, reminder_id)
        row = self._reminders.pop(reminder_id, None)
        if row is not None:
            self._reminders_of[row.meeting_id].pop(reminder_id, None)
            self.version += 1

    def has_subscription(self, owner: str, scope: tuple[ScopeKind, str]) -> bool:
        """Whether `owner` gets reminders of this scope by direct message."""
        return self._subscribers.has_dm(owner, scope)

    def subscriptions(self) -> list[SubscriptionRow]:
        return list(self._subscribers.every_row())

    def subscriptions_of(self, owner: str, channel_id: str = "") -> list[SubscriptionRow]:
        """The subscriptions `owner` made, and (given a channel) those delivered there; only
        these become row objects."""
        return self._subscribers.of(owner, channel_id)

    def reminders(self) -> list[ReminderRow]:
        return list(self._reminders.values())

    def reminder(self, reminder_id: int) -> ReminderRow | None:
        return self._reminders.get(reminder_id)

    def following(self, meeting: Meeting, index: AgendaIndex) -> list[SubscriptionRow]:
        """Every subscription whose scope covers the meeting."""
        found: list[SubscriptionRow] = []
        for held in self._covering(meeting, index):
            found.extend(self._subscribers.rows(held))
        return found

    def _covering(self, meeting: Meeting, index: AgendaIndex) -> Iterator[ScopeRows]:
        for scope in scopes_of(meeting, index):
            held = self._subscribers.scope(scope)
            if held is not None:
                yield held

    def override_leads(self, meeting: Meeting, index: AgendaIndex) -> set[timedelta]:
        leads = {
            timedelta(minutes=minutes)
            for held in self._covering(meeting, index)
            for minutes, count in held.lead_counts.items()
            if count > 0
        }
        leads |= {
            timedelta(minutes=r.lead_minutes)
            for r in self._reminders_of.get(meeting.id, {}).values()
            if r.lead_minutes is not None
        }
        return leads

    def routes(
        self,
        meeting: Meeting,
        index: AgendaIndex,
        lead: timedelta | None,
        ladder: Iterable[timedelta],
        due: datetime | None,
    ) -> dict[str, set[str]]:
        """Destinations for a reminder of `meeting` `lead` before it (None: every follower, as
        for a notice of change), each once: {key: mentions}. A subscription made after the
        reminder was due does not get it."""
        ladder_minutes = {int(lead.total_seconds() // 60) for lead in ladder}
        wanted = None if lead is None else int(lead.total_seconds() // 60)
        found: dict[str, set[str]] = {}
        due_seconds = due.timestamp() if due is not None else None
        subscribers = self._subscribers
        owner_of = subscribers.owners.owner
        for held in self._covering(meeting, index):
            for code, delivery, channel, leads, created in subscribers.deliveries_of(held):
                if due_seconds is not None and created > due_seconds:
                    continue
                if wanted is not None and wanted not in (leads or ladder_minutes):
                    continue
                route = route_of(owner_of(code), DELIVERIES[delivery], channel)
                mentions = found.setdefault(route.key, set())
                if route.mention:
                    mentions.add(route.mention)
        for reminder in self._reminders_of.get(meeting.id, {}).values():
            if reminder.lead_minutes is None:
                continue
            if wanted is not None and reminder.lead_minutes != wanted:
                continue
            if due is not None and reminder.created_at > due:
                continue
            found.setdefault(route_of(reminder.owner, Delivery.DM, "").key, set())
        return dict(found)
