"""People of the agenda (who chaired, opened or presented what) and which of it was known at an
instant: time travel sees a chair only once the session has reported it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from .model import Meeting, Person, Role


def people_at(
    people: Iterable[Person], instant: datetime | None, meetings: Mapping[str, Meeting]
) -> dict[str, Person]:
    """Each person with the roles known at `instant` (None: all) at meetings known then; a
    person with none is left out."""
    known = {}
    for person in people:
        roles = tuple(
            r
            for r in person.roles
            if r.meeting in meetings and (instant is None or r.known <= instant)
        )
        if roles:
            known[person.id] = replace(person, roles=roles)
    return known


def role_instants(people: Iterable[Person]) -> set[datetime]:
    """The instants at which a role became known: the agenda changes at each."""
    return {role.known for person in people for role in person.roles}


def roles_at_meeting(people: Iterable[Person], meeting_id: str) -> list[tuple[Person, Role]]:
    return [(p, r) for p in people for r in p.roles if r.meeting == meeting_id]


def roles_on_topic(people: Iterable[Person], topic_id: str) -> list[tuple[Person, Role]]:
    return [(p, r) for p in people for r in p.roles if r.topic == topic_id]


def role_text(role: Role) -> str:
    """What was done, as a fragment: "chaired the sessions as their newly elected Chair"."""
    return f"{role.did} {role.what}".strip()


def kind_label(person: Person) -> str:
    return "Delegation" if person.delegation else "Person"
