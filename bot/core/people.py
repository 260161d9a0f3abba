"""People of the agenda (who chaired, opened or presented what) and which of it was known at an
instant: time travel sees a chair only once the session has reported it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from .model import Agenda, Meeting, Person, Role
from .when import When

if TYPE_CHECKING:
    from .revisions import MeetingRecord


def people_at(
    people: Iterable[Person], instant: datetime | None, meetings: Mapping[str, Meeting]
) -> dict[str, Person]:
    """Each person with the roles known at `instant` (None: all) at `meetings` (those known
    then); a person with none is left out."""
    known = {}
    for person in people:
        roles = tuple(r for r in person.roles if _known(r, instant, meetings))
        if roles:
            known[person.id] = replace(person, roles=roles)
    return known


def _known(role: Role, instant: datetime | None, meetings: Mapping[str, Meeting]) -> bool:
    meeting = meetings.get(role.meeting)
    if meeting is None:
        return False
    if instant is None:
        return True
    if role.known is not None:
        return role.known <= instant
    return meeting.when.has_ended(instant)


def role_instants(people: Iterable[Person], records: Mapping[str, MeetingRecord]) -> set[datetime]:
    """The instants at which a role may become known: its `known`, else each end its meeting
    was ever given (the view at an instant holds the meeting as known then)."""
    found: set[datetime] = set()
    for person in people:
        for role in person.roles:
            if role.known is not None:
                found.add(role.known)
                continue
            record = records.get(role.meeting)
            for revision in record.revisions if record is not None else ():
                when = revision.sets.get("when")
                if isinstance(when, When) and when.end_utc is not None:
                    found.add(when.end_utc)
    return found


def roles_at_meeting(agenda: Agenda, meeting_id: str) -> list[tuple[Person, Role]]:
    """Who did what at a meeting: whoever chaired it, then whoever opened it, then the rest;
    people before delegations."""
    found = list(agenda.roles_by_meeting.get(meeting_id, ()))
    found.sort(key=lambda item: (_deed_rank(item[1].did), item[0].delegation))
    return found


def _deed_rank(did: str) -> int:
    words = did.casefold().split()
    if "vice-chair" not in words and any(w in ("chaired", "chair") for w in words):
        return 0
    return 1 if "opened" in words else 2


def roles_on_topic(agenda: Agenda, topic_id: str) -> list[tuple[Person, Role]]:
    return list(agenda.roles_by_topic.get(topic_id, ()))


def role_text(role: Role) -> str:
    """What was done, as a fragment: "chaired the sessions as their newly elected Chair"."""
    return f"{role.did} {role.what}".strip()


def kind_label(person: Person) -> str:
    return "Delegation" if person.delegation else "Person"
