"""The agenda as a list of what became known, and when: each meeting is the fold of its
revisions, and the agenda seen at an instant folds only the revisions known by then. A meeting
announced later does not exist yet; a date firmed up later is not known yet.

Revisions come from the data files, editors and followed calendars alike; this module does not
care which.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from .model import REQUIRED, Agenda, Meeting, Revision, Topic
from .people import people_at, role_instants
from .pickling import quick_unpickling


@quick_unpickling
@dataclass(frozen=True, slots=True)  # one per meeting: no dict each (issue 16)
class MeetingRecord:
    """Every revision of one meeting, oldest first, and the meeting after each of them."""

    id: str
    revisions: tuple[Revision, ...]
    versions: tuple[Meeting, ...]
    base: int = 0  # changes counted before the first revision

    @classmethod
    def of(cls, meeting_id: str, revisions: Iterable[Revision], base: int = 0) -> MeetingRecord:
        """Fold `revisions` (any order: they are sorted by when they became known). `base`
        counts changes made before the first revision (a data file's own `revision`).
        Raises ValueError if the first revision does not set every REQUIRED field."""
        ordered = tuple(revisions)
        if len(ordered) > 1:  # most meetings of the data files have one: nothing to sort
            ordered = tuple(sorted(ordered, key=_known))
        versions: list[Meeting] = []
        current: Meeting | None = None
        for count, revision in enumerate(ordered, start=1):
            # The latest version's history is `ordered` itself (a whole slice of a tuple is
            # the tuple): one tuple for both, not one each, for every meeting of the agenda.
            current = apply(meeting_id, current, revision, base, ordered[:count])
            versions.append(current)
        return cls(meeting_id, ordered, tuple(versions), base)

    @property
    def latest(self) -> Meeting:
        return self.versions[-1]

    @property
    def first_known(self) -> datetime:
        return self.revisions[0].known

    def at(self, instant: datetime | None) -> Meeting | None:
        """The meeting as known at `instant` (None: everything known); None before it was
        announced."""
        if instant is None:
            return self.versions[-1]
        position = bisect_right([r.known for r in self.revisions], instant)
        return self.versions[position - 1] if position else None


def apply(
    meeting_id: str,
    current: Meeting | None,
    revision: Revision,
    base: int = 0,
    history: tuple[Revision, ...] | None = None,
) -> Meeting:
    """The meeting after `revision`: its fields replaced, the revision counted if it changed
    anything, its sources added, and the instant it became known recorded. `history`, when
    given, is the history this makes (the current one and `revision`), as a tuple to share."""
    sets: Mapping[str, Any] = revision.sets
    if current is None:
        if not sets.keys() >= _REQUIRED:
            missing = [name for name in REQUIRED if name not in sets]
            raise ValueError(f"the first revision must set {', '.join(missing)}")
        return Meeting(
            id=meeting_id,
            **sets,
            revision=base,
            updated=revision.known,
            sources=_merged((), revision.sources),
            known=revision.known,
            history=history or (revision,),
        )
    changed = any(getattr(current, name) != value for name, value in sets.items())
    return replace(
        current,
        **sets,
        revision=current.revision + changed,
        updated=revision.known,
        sources=_merged(current.sources, revision.sources),
        history=history or (*current.history, revision),
    )


_REQUIRED = frozenset(REQUIRED)


def _known(revision: Revision) -> datetime:
    return revision.known


def changes_of(history: Sequence[Revision], index: int) -> dict[str, tuple[Any, Any]]:
    """What revision `index` of a history changed: {field: (before, after)}; `before` is None
    for the first revision (what was announced)."""
    before: dict[str, Any] = {}
    for revision in history[:index]:
        before.update(revision.sets)
    return {
        name: (before.get(name), value)
        for name, value in history[index].sets.items()
        if before.get(name) != value
    }


def view_at(agenda: Agenda, instant: datetime | None) -> Agenda:
    """The agenda as known at `instant`: each meeting folded from the revisions known by then,
    those not yet announced left out, each topic's meetings among those known, and the people
    with the roles known by then. `agenda` is the whole agenda (known_at None)."""
    meetings = [m for m in (r.at(instant) for r in agenda.records.values()) if m is not None]
    # Flat: a key nesting sort_key's tuple compares it twice at each step (a third of the sort).
    meetings.sort(key=lambda m: (*m.when.sort_key(), m.title, m.id))
    by_id = {m.id: m for m in meetings}
    return replace(
        agenda,
        meetings=by_id,
        topics=topics_of(agenda.topics.values(), meetings),
        known_at=instant,
        people=people_at(agenda.people.values(), instant, by_id),
    )


def topics_of(topics: Iterable[Topic], meetings: Sequence[Meeting]) -> dict[str, Topic]:
    """Each topic with the meetings related to it (those naming it, and those it names), in
    the order of `meetings`."""
    # In the order of `meetings`, each once: a meeting names a topic in consecutive steps.
    naming: dict[str, list[str]] = {}
    for meeting in meetings:
        for topic_id in meeting.topics:
            found = naming.setdefault(topic_id, [])
            if not found or found[-1] != meeting.id:
                found.append(meeting.id)
    order: dict[str, int] | None = None  # made for the first topic that lists meetings
    related: dict[str, Topic] = {}
    for topic in topics:
        named = naming.get(topic.id, [])
        if topic.listed:
            if order is None:
                order = {meeting.id: index for index, meeting in enumerate(meetings)}
            listed = {m for m in topic.listed if m in order}
            if listed:  # merged into the order of the meetings
                named = sorted(listed.union(named), key=order.__getitem__)
        related[topic.id] = replace(topic, meetings=tuple(named))
    return related


def epochs(agenda: Agenda) -> list[datetime]:
    """Every instant at which something became known, in order: between two of them the agenda
    does not change."""
    known = {r.known for record in agenda.records.values() for r in record.revisions}
    return sorted(known | role_instants(agenda.people.values(), agenda.records))


def with_revisions(
    agenda: Agenda, added: Mapping[str, Sequence[Revision]]
) -> tuple[Agenda, list[str]]:
    """The agenda with more revisions (editors', followed calendars'): existing meetings get
    them after their own, new meetings are made of them; everything known (known_at None). A
    meeting whose revisions do not make one is left as it was, and named in the problems."""
    records = dict(agenda.records)
    problems = []
    for meeting_id, revisions in added.items():
        earlier = records.get(meeting_id)
        own = earlier.revisions if earlier is not None else ()
        base = earlier.base if earlier is not None else 0
        try:
            records[meeting_id] = MeetingRecord.of(meeting_id, (*own, *revisions), base)
        except ValueError as problem:
            problems.append(f"meeting '{meeting_id}': {problem}")
    return view_at(replace(agenda, records=records), None), problems


def _merged(sources: tuple[Any, ...], more: Iterable[Any]) -> tuple[Any, ...]:
    if not sources:  # a meeting's first revision: nothing to leave out
        return tuple(more)
    return sources + tuple(s for s in more if s not in sources)
