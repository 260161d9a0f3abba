"""Each meeting's VEVENT, rendered once and reused by every export and feed build while nothing it
is made from changes.

Rendering an event with `ics` costs about 100 times what copying its bytes does, and a feed or an
export is rebuilt whole whenever anything in the agenda changes, though most of its events did
not. An entry is found by what the event is made from:
- the setting: what of the agenda, beyond the meeting, goes into an event (see `setting_of`);
- the meeting's id and the alarms' lead times (None without alarms);
and it is used only if the meeting and the change the bot observed are equal to those it was
rendered from (a meeting is a new object after every fold of the agenda, so identity alone would
miss). Entries are dropped least recently used first once their size passes `max_bytes`, so an
agenda edited often, or many personal feeds, cannot grow it without limit. An entry's size is its
bytes plus `HELD`: the meeting it keeps for comparison may belong to an agenda since replaced.

Not thread-safe: feeds and exports are built on the event loop (or in a one-shot CLI).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from .model import Agenda, Meeting

if TYPE_CHECKING:
    from .calendar import Change

Leads = tuple[timedelta, ...] | None
_Key = tuple[int, str, Leads]


@dataclass(frozen=True, slots=True)
class _Entry:
    meeting: Meeting
    change: Change | None
    content: bytes


def setting_of(agenda: Agenda) -> Hashable:
    """Everything of the agenda other than the meeting that an event is written from: the UID
    domain, the data set's date (DTSTAMP of meetings never updated), the bodies (names in the
    description and CATEGORIES), the topics' names (CATEGORIES, the latest change's words) and
    how long a meeting known by its start is taken to last. The alarms' ladders are not here:
    the lead times are part of each entry's key."""
    dataset = agenda.dataset
    ladders = agenda.ladders
    return (
        dataset.uid_domain,
        dataset.updated,
        tuple(agenda.bodies.items()),
        tuple((key, topic.name) for key, topic in agenda.topics.items()),
        ladders.length,
        tuple(ladders.lengths.items()),
    )


class EventCache:
    """Rendered events (folded, UTF-8) by what they were made from, least recently used dropped
    first past `max_bytes`."""

    SETTINGS_KEPT = 8
    HELD = 2048  # about what a meeting with a few revisions holds, once no agenda shares it

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self.size = 0  # bytes of the events held, plus HELD each
        self._entries: OrderedDict[_Key, _Entry] = OrderedDict()
        # A setting is hashed once per build and named by a number that is never reused, so
        # entries of a setting no longer seen can only age out, never be mistaken for current.
        self._settings: OrderedDict[Hashable, int] = OrderedDict()
        self._issued = 0

    def __len__(self) -> int:
        return len(self._entries)

    def setting(self, agenda: Agenda) -> int:
        fingerprint = setting_of(agenda)
        number = self._settings.get(fingerprint)
        if number is None:
            self._issued += 1
            number = self._settings[fingerprint] = self._issued
            while len(self._settings) > self.SETTINGS_KEPT:
                self._settings.popitem(last=False)
        else:
            self._settings.move_to_end(fingerprint)
        return number

    def get(
        self, setting: int, meeting: Meeting, leads: Leads, change: Change | None
    ) -> bytes | None:
        key = (setting, meeting.id, leads)
        found = self._entries.get(key)
        if found is None or found.change != change:
            return None
        if found.meeting is not meeting and found.meeting != meeting:
            return None
        self._entries.move_to_end(key)
        return found.content

    def put(
        self, setting: int, meeting: Meeting, leads: Leads, change: Change | None, content: bytes
    ) -> None:
        key = (setting, meeting.id, leads)
        # A changed meeting takes its old version's place rather than adding to it.
        old = self._entries.pop(key, None)
        if old is not None:
            self.size -= len(old.content) + self.HELD
        if len(content) + self.HELD > self.max_bytes:
            return
        self._entries[key] = _Entry(meeting, change, content)
        self.size += len(content) + self.HELD
        while self.size > self.max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self.size -= len(dropped.content) + self.HELD

    def clear(self) -> None:
        self._entries.clear()
        self._settings.clear()
        self.size = 0
