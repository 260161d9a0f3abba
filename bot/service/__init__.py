"""The service: loads the data set and answers every command for every adapter."""

from .agenda import AUTOCOMPLETE_LIMIT, AgendaService, OptionError
from .board import BoardError, EventBoard
from .caller import CONSOLE_CALLER, Caller
from .changes import ChangeLog
from .datafiles import BUNDLED_DATA, load_agenda, load_library
from .early import EarlySubscriptions
from .editing import AgendaEditor
from .feeds import Feed, Feeds
from .following import Follower, FollowSettings
from .mirroring import Mirror
from .reminders import Message, Reminders, Sender
from .runner import CommandRunner, lost_reply
from .runtime import Runtime
from .stored_revisions import revisions_by_meeting
from .subscriptions import ReminderCommands

__all__ = [
    "AUTOCOMPLETE_LIMIT",
    "BUNDLED_DATA",
    "CONSOLE_CALLER",
    "AgendaEditor",
    "AgendaService",
    "BoardError",
    "Caller",
    "ChangeLog",
    "CommandRunner",
    "EarlySubscriptions",
    "EventBoard",
    "Feed",
    "Feeds",
    "FollowSettings",
    "Follower",
    "Message",
    "Mirror",
    "OptionError",
    "ReminderCommands",
    "Reminders",
    "Runtime",
    "Sender",
    "load_agenda",
    "load_library",
    "lost_reply",
    "revisions_by_meeting",
]
