"""People in replies: who did what at a meeting, on a topic, in a search hit, and `/who`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from .formatting import TimeStyle, when_text
from .model import Agenda, Person, Role
from .people import kind_label, role_text, roles_at_meeting, roles_on_topic
from .reply import Field, Reply, sources_text
from .text import tokens

_LAST = datetime.max.replace(tzinfo=UTC)


class PeopleText:
    def __init__(self, agenda: Agenda, times: TimeStyle) -> None:
        self.agenda = agenda
        self.times = times

    def reply(self, person: Person) -> Reply:
        """Who someone is and what they did at which meeting, as known now."""
        fields = []
        if person.aliases:
            fields.append(Field("Also written", ", ".join(person.aliases)))
        if person.country and person.delegation:
            fields.append(Field("For", person.country))
        roles = sorted(person.roles, key=lambda r: self._order(r.meeting))
        for role in roles:
            lines = [_sentence(role_text(role))]
            if role.position:
                lines.append(f"As {role.position}.")
            topic = self.agenda.topics.get(role.topic or "")
            if topic is not None:
                lines.append(f"Topic: {topic.name} (`/topic {topic.id}`)")
            if role.confidence:
                lines.append(f"Not verified: {role.confidence}")
            lines.append(f"`/meeting {role.meeting}`")
            fields.append(Field(self._dated(role.meeting), "\n".join(lines)))
        sources = list(dict.fromkeys((*person.sources, *(s for r in roles for s in r.sources))))
        if sources:
            fields.append(Field("Sources", sources_text(sources)))
        return Reply(
            title=f"{kind_label(person)}: {person.label}",
            body=person.summary,
            fields=tuple(fields),
            footer=f"id {person.id}",
        )

    def at_meeting(self, meeting_id: str) -> str:
        """Who did what at a meeting, one line per deed (in `roles_at_meeting`'s order):
        "Chaired: Rob Van Kuik (Netherlands)"; `/who` tells the rest."""
        found = roles_at_meeting(self.agenda, meeting_id)
        by_deed: dict[str, list[str]] = {}
        for person, role in found:
            name = person.label + (f", {role.position}" if role.position else "")
            if name not in by_deed.setdefault(role.did, []):
                by_deed[role.did].append(name)
        if not by_deed:
            return ""
        lines = [f"{did[:1].upper()}{did[1:]}: {', '.join(who)}" for did, who in by_deed.items()]
        return "\n".join(lines) + "\n`/who <name>` tells what each did."

    def on_topic(self, topic_id: str) -> str:
        return "\n".join(
            f"{p.label}: {role_text(r)} ({self._title(r.meeting)}; `/who {p.id}`)"
            for p, r in roles_on_topic(self.agenda, topic_id)
        )

    def hit(
        self, person: Person, terms: Sequence[str], held: frozenset[str] = frozenset()
    ) -> Field:
        """A search hit: the role at a meeting of the period asked about (`held`), with most of
        the words searched for (the first on a tie)."""

        def fit(role: Role) -> tuple[bool, int]:
            topic = self.agenda.topics.get(role.topic or "")
            said = set(tokens(f"{role_text(role)} {topic.name if topic else ''}"))
            return role.meeting in held, sum(1 for term in terms if term in said)

        role = max(person.roles, key=fit)
        line = f"{self._dated(role.meeting)}: {role_text(role)}."
        return Field(f"{kind_label(person)}: {person.label}", f"{line}\n`/who {person.id}`")

    def _dated(self, meeting_id: str) -> str:
        """A meeting's title and dates: "WCO Council, 127th/128th Sessions (14-16 July 2016)"."""
        meeting = self.agenda.meetings.get(meeting_id)
        if meeting is None:
            return meeting_id
        return f"{meeting.title} ({when_text(meeting.when, self.times)})"

    def _title(self, meeting_id: str) -> str:
        meeting = self.agenda.meetings.get(meeting_id)
        return meeting.title if meeting is not None else meeting_id

    def _order(self, meeting_id: str) -> tuple[int, datetime, int]:
        meeting = self.agenda.meetings.get(meeting_id)
        return meeting.when.sort_key() if meeting is not None else (2, _LAST, 0)


def _sentence(text: str) -> str:
    return f"{text[:1].upper()}{text[1:]}."
