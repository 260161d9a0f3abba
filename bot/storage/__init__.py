"""The bot's database: the truth about subscriptions, reminders, settings and deliveries."""

from .models import Delivery, ScopeKind
from .store import ReminderRow, Snapshot, StorageError, Store, SubscriptionRow

__all__ = [
    "Delivery",
    "ReminderRow",
    "ScopeKind",
    "Snapshot",
    "StorageError",
    "Store",
    "SubscriptionRow",
]
