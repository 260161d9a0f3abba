"""/manage: editors change the agenda. Each edit is a revision, checked by the rules of the data
files, stored in the database, and applied at once: the agenda is folded again, followers are
told, reminders re-planned and calendars bumped, as for any other revision."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Concatenate, ParamSpec, TypeVar

from bot.core import (
    MAX_INPUT,
    Kind,
    Meeting,
    Origin,
    Reply,
    Revision,
    Source,
    Status,
    TimeStyle,
    UnknownZoneError,
    clean_input,
    resolve_zone,
    slug,
)
from bot.core import managing as words
from bot.core.chronicle import state_problem
from bot.core.codec import (
    sets_to_data,
    sources_to_data,
    typed_dates,
    when_typed,
)
from bot.core.importing import first_sets
from bot.core.revisions import changes_of
from bot.storage import Edits, NewRevision

from .agenda import AgendaService
from .caller import Caller
from .naming import E, body_named, choice, topics_named
from .stored_revisions import revisions_by_meeting

_P = ParamSpec("_P")
T = TypeVar("T")


class _Refused(Exception):
    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.title)
        self.reply = reply


def _in_turn(
    edit: Callable[Concatenate[AgendaEditor, _P], Awaitable[Reply]],
) -> Callable[Concatenate[AgendaEditor, _P], Awaitable[Reply]]:
    """One edit at a time in this process, checked against the agenda as the database holds
    it: another process's edits are read first, so that new ids and the status rules see them."""

    @functools.wraps(edit)
    async def in_turn(self: AgendaEditor, *args: _P.args, **kwargs: _P.kwargs) -> Reply:
        async with self._turn:
            if await self.edits.changed_elsewhere():
                await self.load()
            return await edit(self, *args, **kwargs)

    return in_turn


class AgendaEditor:
    """Editors' changes to the agenda, for every adapter; `preview` says what an edit would do
    without saving it (Discord shows it with a confirm button), and `expect` (the preview's
    stamp) refuses to save it if the meeting changed since it was shown."""

    def __init__(
        self, agenda: AgendaService, edits: Edits, applied: Callable[[], Awaitable[None]]
    ) -> None:
        self.agenda = agenda
        self.edits = edits
        self.applied = applied  # after an edit: notices, re-planning, feeds
        self._turn = asyncio.Lock()
        self._stored: dict[str, list[Revision]] = {}  # as last read, by meeting

    async def load(self) -> None:
        """Read every stored revision into the agenda."""
        self._stored = revisions_by_meeting(await self.edits.all())
        self.agenda.set_revisions(self._stored)

    async def store(self, revisions: Sequence[NewRevision]) -> None:
        """Revisions made elsewhere (a followed calendar's reading): saved and read into the
        agenda in turn with the editors' edits, all or none."""
        async with self._turn:
            seen = self.edits.seen
            stored = await self.edits.add_all(revisions)
            if self.edits.seen != seen + 1:  # another process wrote too: read them all
                await self.load()
                return
            added = dict(self._stored)
            for meeting_id, more in revisions_by_meeting(stored).items():
                added[meeting_id] = [*added.get(meeting_id, ()), *more]
            self._stored = added
            self.agenda.set_revisions(added)

    # -- the commands ----------------------------------------------------------------------------

    @_in_turn
    async def add(
        self,
        caller: Caller,
        title: str,
        body: str,
        kind: str,
        start: str,
        source: str,
        end: str | None = None,
        venue: str | None = None,
        timezone: str | None = None,
        topics: str | None = None,
        status: str | None = None,
        reason: str | None = None,
        times: TimeStyle | None = None,
        preview: bool = False,
        expect: str | None = None,
    ) -> Reply:
        try:
            self._editor(caller)
            name = _text(title, "title")
            body_id = self._body(body)
            zone = self._zone(timezone) if timezone else self._usual_zone(body_id)
            sets: dict[str, Any] = {
                "title": name,
                "when": _when(start, end, zone),
                "venue": clean_input(venue or "", MAX_INPUT),
                "status": _choice(Status, status or "planned", "status"),
                "summary": "",
                **first_sets(
                    body_id,
                    _choice(Kind, kind, "kind"),
                    self._topics(topics) if topics else (),
                ),
            }
            sources = (_source(source),)
        except _Refused as refused:
            return refused.reply
        problem = state_problem(sets["when"], sets["status"])
        if problem is not None:
            return words.bad_option("meeting", f"{problem[:1].upper()}{problem[1:]}.")
        meeting_id = self._new_id(name)
        fields = words.change_fields(self.agenda.agenda, None, sets, self._times(times))
        why = clean_input(reason or "", MAX_INPUT) or "added"
        if preview:
            return words.preview(
                name, "This meeting would be added.", fields, why, words.stamp_of(None)
            )
        await self._save(meeting_id, sets, sources, caller, why)
        return words.done(
            f"Added: {name}", f"It is on the agenda as `{meeting_id}`.", fields, meeting_id
        )

    @_in_turn
    async def change(
        self,
        caller: Caller,
        meeting: str,
        source: str,
        reason: str,
        start: str | None = None,
        end: str | None = None,
        venue: str | None = None,
        timezone: str | None = None,
        status: str | None = None,
        title: str | None = None,
        topics: str | None = None,
        times: TimeStyle | None = None,
        preview: bool = False,
        expect: str | None = None,
    ) -> Reply:
        try:
            self._editor(caller)
            found = self._meeting(meeting)
            sets: dict[str, Any] = {}
            if title:
                sets["title"] = _text(title, "title")
            if start or end or timezone:
                sets["when"] = self._moved(found, start, end, timezone)
            if venue is not None and venue.strip():
                sets["venue"] = clean_input(venue, MAX_INPUT)
            if status:
                sets["status"] = _transition(found, _choice(Status, status, "status"))
            if topics is not None and topics.strip():
                sets["topics"] = self._topics(topics)
            sources = (_source(source),)
            why = _text(reason, "reason")
        except _Refused as refused:
            return refused.reply
        return await self._edit(caller, found, sets, sources, why, times, preview, expect)

    @_in_turn
    async def set_status(
        self,
        caller: Caller,
        meeting: str,
        status: Status,
        reason: str | None = None,
        source: str | None = None,
        times: TimeStyle | None = None,
        preview: bool = False,
        expect: str | None = None,
    ) -> Reply:
        """/manage cancel, postpone and confirm."""
        try:
            self._editor(caller)
            found = self._meeting(meeting)
            if found.status is status:
                return words.already(found)
            sets = {"status": _transition(found, status)}
            sources = (_source(source),) if source else ()
            why = clean_input(reason or "", MAX_INPUT) or status.value
        except _Refused as refused:
            return refused.reply
        return await self._edit(caller, found, sets, sources, why, times, preview, expect)

    @_in_turn
    async def undo(
        self,
        caller: Caller,
        meeting: str,
        times: TimeStyle | None = None,
        preview: bool = False,
        expect: str | None = None,
    ) -> Reply:
        """Revert the latest edit (an undo included) by a new revision setting back what it
        changed."""
        try:
            self._editor(caller)
            found = self._meeting(meeting)
        except _Refused as refused:
            return refused.reply
        history = found.history
        edited = [i for i, r in enumerate(history) if r.origin is Origin.EDITOR]
        if not edited or edited[-1] == 0:
            return words.NOTHING_TO_UNDO
        last = edited[-1]
        sets = {name: before for name, (before, _) in changes_of(history, last).items()}
        if not sets:
            return words.NOTHING_TO_UNDO
        why = f"undo: {history[last].why}" if history[last].why else "undo"
        return await self._edit(caller, found, sets, (), why, times, preview, expect)

    # -- applying --------------------------------------------------------------------------------

    async def _edit(
        self,
        caller: Caller,
        meeting: Meeting,
        sets: dict[str, Any],
        sources: tuple[Source, ...],
        why: str,
        times: TimeStyle | None,
        preview: bool,
        expect: str | None,
    ) -> Reply:
        if expect is not None and expect != words.stamp_of(meeting):
            return words.changed_since_preview(meeting)
        sets = {name: value for name, value in sets.items() if getattr(meeting, name) != value}
        if not sets:
            return words.NOTHING_TO_CHANGE
        problem = state_problem(sets.get("when", meeting.when), sets.get("status", meeting.status))
        if problem is not None:
            return words.bad_option("change", f"{problem[:1].upper()}{problem[1:]}.")
        fields = words.change_fields(self.agenda.agenda, meeting, sets, self._times(times))
        if preview:
            stamp = words.stamp_of(meeting)
            return words.preview(meeting.title, "This would change:", fields, why, stamp)
        await self._save(meeting.id, sets, sources, caller, why)
        return words.done(f"Changed: {meeting.title}", "Saved.", fields, meeting.id)

    async def _save(
        self,
        meeting_id: str,
        sets: dict[str, Any],
        sources: tuple[Source, ...],
        caller: Caller,
        why: str,
    ) -> None:
        now = self.agenda.clock.now()
        await self.edits.add(
            meeting_id,
            int(now.timestamp()),
            json.dumps(sets_to_data(sets)),
            json.dumps(sources_to_data(sources)),
            caller.owner,
            why,
            Origin.EDITOR.value,
        )
        await self.load()
        await self.applied()

    # -- reading what an editor typed ------------------------------------------------------------

    def _times(self, times: TimeStyle | None) -> TimeStyle:
        return times or self.agenda.times

    @staticmethod
    def _editor(caller: Caller) -> None:
        if not caller.can_edit:
            raise _Refused(words.NOT_AN_EDITOR)

    def _meeting(self, text: str) -> Meeting:
        cleaned = clean_input(text, MAX_INPUT)
        resolution = self.agenda.index.find_meeting(cleaned, self.agenda.clock.now())
        if resolution.found is None:
            raise _Refused(self.agenda.meeting(cleaned or " "))
        return self.agenda.agenda.meetings[resolution.found]

    def _body(self, text: str) -> str:
        return _accepted(body_named(self.agenda, text))

    def _topics(self, text: str) -> tuple[str, ...]:
        return _accepted(topics_named(self.agenda, text))

    @staticmethod
    def _zone(text: str) -> str:
        try:
            return resolve_zone(clean_input(text, 80)).key
        except UnknownZoneError as problem:
            raise _Refused(words.bad_option("time zone", str(problem))) from None

    def _usual_zone(self, body_id: str) -> str:
        """Where the body usually meets: the zone of its latest meeting (else UTC)."""
        meetings = [m for m in self.agenda.agenda.meetings.values() if body_id in m.bodies]
        return meetings[-1].when.zone.key if meetings else "UTC"

    def _moved(
        self, meeting: Meeting, start: str | None, end: str | None, timezone: str | None
    ) -> Any:
        """A new start replaces the span (with the end given, if any); an end alone moves the
        end; a zone alone reads the same dates in it."""
        zone = self._zone(timezone) if timezone else meeting.when.zone.key
        old_start, old_end = typed_dates(meeting.when)
        if start:
            return _when(start, end, zone)
        return _when(old_start, end or old_end, zone)

    def _new_id(self, title: str) -> str:
        base = slug(title, 70) or "meeting"
        taken = self.agenda.everything.records
        candidate, number = base, 2
        while candidate in taken:
            candidate, number = f"{base}-{number}", number + 1
        return candidate


def _text(value: str | None, name: str) -> str:
    text = clean_input(value or "", MAX_INPUT)
    if not text:
        raise _Refused(words.bad_option(name, f"Give a {name}."))
    return text


def _when(start: str | None, end: str | None, zone: str) -> Any:
    try:
        return when_typed(start, end, zone)
    except ValueError as problem:
        raise _Refused(words.bad_option("date", f"{problem}.")) from None


def _choice(enum: type[E], text: str, name: str) -> E:
    return _accepted(choice(enum, text, name))


def _accepted(value: T | Reply) -> T:
    """The value named, or the refusal that says what to write instead."""
    if isinstance(value, Reply):
        raise _Refused(value)
    return value


def _transition(meeting: Meeting, status: Status) -> Status:
    if not meeting.status.may_become(status):
        raise _Refused(words.status_refused(meeting, status))
    return status


def _source(url: str | None) -> Source:
    address = (url or "").strip()
    source = words.source_of(address)
    if source is None:
        raise _Refused(words.bad_option("source", words.source_problem(address)))
    return source
