"""The bot's database: the truth about subscriptions, reminders, settings and deliveries."""

from .columns import SubscriptionColumns
from .edits import Edits, NewRevision, StoredRevision
from .following import FeedRow, FollowedFeeds
from .guard import DatabaseLost, FileWatch, async_url, ensure_writable, watch_file
from .models import Delivery, ScopeKind
from .server_events import LinkRow, MirrorRow, ServerEvents
from .store import ReminderRow, Snapshot, StorageError, Store, SubscriptionRow

__all__ = [
    "DatabaseLost",
    "Delivery",
    "Edits",
    "FeedRow",
    "FileWatch",
    "FollowedFeeds",
    "LinkRow",
    "MirrorRow",
    "NewRevision",
    "ReminderRow",
    "ScopeKind",
    "ServerEvents",
    "Snapshot",
    "StorageError",
    "Store",
    "StoredRevision",
    "SubscriptionColumns",
    "SubscriptionRow",
    "async_url",
    "ensure_writable",
    "watch_file",
]
