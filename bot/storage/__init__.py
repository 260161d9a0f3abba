"""The bot's database: the truth about subscriptions, reminders, settings and deliveries."""

from .models import Delivery, ScopeKind
from .store import ReminderRow, Snapshot, Store, SubscriptionRow

__all__ = ["Delivery", "ReminderRow", "ScopeKind", "Snapshot", "Store", "SubscriptionRow"]
