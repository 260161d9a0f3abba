"""Who follows what, in memory: the database's subscriptions and reminders, indexed by scope.

The database is the truth; this index is rebuilt from it at start and kept in step with every
change, so that planning and fan-out never query the database per meeting.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core import AgendaIndex, Meeting
from bot.storage import Delivery, ReminderRow, ScopeKind, SubscriptionRow

from .caller import CONSOLE


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
    """Who follows what: subscriptions by scope and personal reminders by meeting."""

    def __init__(
        self, subscriptions: Iterable[SubscriptionRow] = (), reminders: Iterable[ReminderRow] = ()
    ) -> None:
        self.version = 0  # grows with every change, so derived views (feeds) know to rebuild
        self.reset(subscriptions, reminders)

    def reset(
        self, subscriptions: Iterable[SubscriptionRow], reminders: Iterable[ReminderRow]
    ) -> None:
        """Hold exactly these subscriptions and reminders (read again from the database)."""
        self._by_scope: dict[tuple[ScopeKind, str], dict[int, SubscriptionRow]] = defaultdict(dict)
        # Per scope, how many subscriptions ask for each lead of their own: planning asks this
        # for every meeting, so it must not walk the subscriptions.
        self._leads: dict[tuple[ScopeKind, str], Counter[int]] = defaultdict(Counter)
        self._reminders: dict[int, ReminderRow] = {}
        self._reminders_of: dict[str, dict[int, ReminderRow]] = defaultdict(dict)
        for row in subscriptions:
            self.add_subscription(row)
        for reminder in reminders:
            self.add_reminder(reminder)
        self.version += 1

    def __len__(self) -> int:
        return sum(len(rows) for rows in self._by_scope.values())

    def add_subscription(self, row: SubscriptionRow) -> None:
        scope = (row.scope_kind, row.scope_id)
        self.remove_subscription(row)
        self._by_scope[scope][row.id] = row
        self._leads[scope].update(row.leads)
        self.version += 1

    def remove_subscription(self, row: SubscriptionRow) -> None:
        scope = (row.scope_kind, row.scope_id)
        old = self._by_scope.get(scope, {}).pop(row.id, None)
        if old is not None:
            self._leads[scope].subtract(old.leads)
            self.version += 1

    def add_reminder(self, row: ReminderRow) -> None:
        self._reminders[row.id] = row
        self._reminders_of[row.meeting_id][row.id] = row
        self.version += 1

    def remove_reminder(self, reminder_id: int) -> None:
        row = self._reminders.pop(reminder_id, None)
        if row is not None:
            self._reminders_of[row.meeting_id].pop(reminder_id, None)
            self.version += 1

    def has_subscription(self, owner: str, scope: tuple[ScopeKind, str]) -> bool:
        """Whether `owner` gets reminders of this scope by direct message."""
        rows = self._by_scope.get(scope, {}).values()
        return any(r.owner == owner and r.delivery is Delivery.DM for r in rows)

    def subscriptions(self) -> list[SubscriptionRow]:
        return [row for rows in self._by_scope.values() for row in rows.values()]

    def reminders(self) -> list[ReminderRow]:
        return list(self._reminders.values())

    def reminder(self, reminder_id: int) -> ReminderRow | None:
        return self._reminders.get(reminder_id)

    def following(self, meeting: Meeting, index: AgendaIndex) -> list[SubscriptionRow]:
        """Every subscription whose scope covers the meeting."""
        found: list[SubscriptionRow] = []
        for scope in scopes_of(meeting, index):
            found.extend(self._by_scope.get(scope, {}).values())
        return found

    def override_leads(self, meeting: Meeting, index: AgendaIndex) -> set[timedelta]:
        leads = {
            timedelta(minutes=minutes)
            for scope in scopes_of(meeting, index)
            for minutes, count in self._leads.get(scope, Counter()).items()
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
        for row in self.following(meeting, index):
            if due_seconds is not None and row.created > due_seconds:
                continue
            if wanted is not None and wanted not in (set(row.leads) or ladder_minutes):
                continue
            route = route_of(row.owner, row.delivery, row.channel_id)
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
