"""What changed in the agenda since followers were last told: notices sent once; and the changes
no revision explains (a data file edited in place), which calendar feeds add to the revisions'
SEQUENCE and LAST-MODIFIED."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from functools import partial

from bot.core import Change, Meeting, Precision, Status
from bot.storage import Snapshot, Store
from schedules import Destination, ReminderEngine, State

from .agenda import AgendaService
from .reminders import NOTICE_PREFIX, Reminders

log = logging.getLogger(__name__)


class ChangeLog:
    """What derived views (the feeds) need to know: a generation that grows whenever the agenda,
    or what the bot knows of it, changes; and each meeting's changes no revision explains."""

    def __init__(self) -> None:
        self.generation = 0
        self.changes: dict[str, Change] = {}

    def record(self, changes: dict[str, Change]) -> None:
        self.changes = changes
        self.generation += 1


class Announcer:
    """Compares the agenda with what followers were last told (the snapshots in the database):
    tells them what changed, once, through the engine's ledger; counts each change."""

    def __init__(
        self,
        agenda: AgendaService,
        store: Store,
        reminders: Reminders,
        engine: ReminderEngine,
        log_of_changes: ChangeLog,
    ) -> None:
        self.agenda = agenda
        self.store = store
        self.reminders = reminders
        self.engine = engine
        self.changes = log_of_changes

    async def announce(self, quiet: Collection[str] = ()) -> None:
        """Only the process that sends reminders tells of changes and records them; the others
        learn the counts. Meetings in `quiet` are added without a notice (a calendar followed
        just now brings all its events at once)."""
        known = await self.store.snapshots()
        # Calendars want the real moment of a change (LAST-MODIFIED), also when living --as-of.
        clock = self.agenda.clock
        now = int(clock.to_real(clock.now()).timestamp())
        current: dict[str, Snapshot] = {}
        changes = []
        for meeting in self.agenda.agenda.meetings.values():
            before = known.get(meeting.id)
            printed = fingerprint(meeting)
            if before is None:
                current[meeting.id] = Snapshot(printed, revision=meeting.revision)
                if known and meeting.id not in quiet:
                    changes.append((meeting, "added", 0))
                continue
            moved = before.fingerprint != printed
            after = Snapshot(
                printed,
                unexplained(before, meeting.revision, moved),
                now if moved else before.changed,
                meeting.revision,
            )
            current[meeting.id] = after
            change = classify(before.fingerprint, meeting) if moved else None
            if change is not None:  # told under the meeting's new SEQUENCE: once per change
                changes.append((meeting, change, after.revision + after.changes))
        leading = self.engine.leading
        if not leading:
            current = {key: known.get(key, value) for key, value in current.items()}
        elif changes:
            sent = await self.notify(changes)
            log.info("%d meetings changed; %d notices sent", len(changes), sent)
        if leading and known != current:
            await self.store.save_snapshots(current)
        self.changes.record(
            {
                key: Change(value.changes, datetime.fromtimestamp(value.changed, UTC))
                for key, value in current.items()
                if value.changes and value.changed is not None
            }
        )

    async def notify(self, changes: Sequence[tuple[Meeting, str, int]]) -> int:
        """Tell every follower of each changed meeting, once per change and destination.
        `serial` grows with each of the meeting's changes, so that moving it back and forth is
        told each time, and a retry of the same change never twice."""
        sent = 0
        reminders = self.reminders
        for meeting, change, serial in changes:
            routes = reminders.audience.routes(meeting, self.agenda.index, None, (), None)
            key = f"{NOTICE_PREFIX}{meeting.id}:{change}:{serial}"
            for destination, mentions in sorted(routes.items()):
                outcome = await self.engine.send_once(
                    key,
                    Destination(destination),
                    partial(
                        reminders.send_notice, meeting, change, destination, tuple(sorted(mentions))
                    ),
                )
                sent += outcome is not None and outcome.state is State.SENT
        return sent


def unexplained(before: Snapshot, revision: int, moved: bool) -> int:
    """The changes a meeting's revisions do not count, so that revision + these (its feed's
    SEQUENCE) grows with every change seen and never falls: a moved meeting whose revision did
    not grow (a data file edited in place, or history taken out of it) counts one more."""
    return max(before.revision + before.changes + moved, revision + before.changes) - revision


def fingerprint(meeting: Meeting) -> str:
    """What subscribers are told about: status, date at its precision, zone, venue."""
    when = meeting.when
    return "|".join(
        str(part)
        for part in (
            meeting.status.value,
            when.precision.value,
            when.first_day,
            when.last_day,
            when.start_time,
            when.end_time,
            when.zone.key,
            meeting.venue,
        )
    )


def classify(old: str | None, meeting: Meeting) -> str | None:
    """The change a subscriber hears about, or None when nothing they care about changed."""
    new = fingerprint(meeting)
    if old == new:
        return None
    if old is None:
        return "added"
    status, precision, first, last, start, end, zone, venue = old.split("|", 7)
    if meeting.status is Status.CANCELLED and status != Status.CANCELLED.value:
        return "cancelled"
    if meeting.status is Status.POSTPONED and status != Status.POSTPONED.value:
        return "postponed"
    if not Status(status).is_live and meeting.is_live:
        return "reinstated"
    when = meeting.when
    if when.precision.has_day and precision not in (Precision.EXACT.value, Precision.DAY.value):
        return "dated"
    if (first, last, start, end, zone) != tuple(
        str(x)
        for x in (when.first_day, when.last_day, when.start_time, when.end_time, when.zone.key)
    ):
        return "moved"
    if venue != meeting.venue:
        return "venue"
    return None  # other status changes (tentative -> confirmed -> held) need no message
