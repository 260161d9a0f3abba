"""Turning query results into neutral replies (Markdown text), written once for every adapter."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from .commands import COMMANDS, CommandSpec
from .formatting import PlainTimes, TimeStyle, date_long, place, relative_text, when_text
from .histories import latest_change_text
from .lookup import Resolution
from .model import Agenda, Meeting, Person, Topic
from .people_text import PeopleText
from .queries import AgendaFilter, NextMeetings, Page
from .reply import Field, Paging, Reply, not_found, sources_text
from .search import Hit, SearchResult

RENDERINGS_KEPT = 1024  # answers kept per agenda; past that, all are let go and made again


def _times_key(times: TimeStyle) -> object:
    """How times are shown, as answers are kept under it: plain times by what they hold (the
    console changes its reader's zone in place; the web makes one for each page), any other
    style (Discord's, which holds nothing) by itself."""
    if isinstance(times, PlainTimes):
        return (PlainTimes, times.reader_zone, times.reader_label)
    return times


_EVER_SINCE = datetime.min.replace(tzinfo=UTC)
_FOR_EVER = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class _Kept:
    """A rendered answer, what it was rendered from, and the span of time within which it
    holds, from `since` (included) to `until` (excluded): the key holds the source's id, which
    another object can have once this one is gone (the answer is kept only for this very one)."""

    source: object
    reply: Reply
    since: datetime = _EVER_SINCE
    until: datetime = _FOR_EVER


class Renderer:
    def __init__(self, agenda: Agenda, times: TimeStyle) -> None:
        self.agenda = agenda
        self.times = times

    # -- pieces ----------------------------------------------------------------------------------

    def meeting_line(self, meeting: Meeting, now: datetime) -> str:
        """One line about a meeting for lists: date, place, status, how far away."""
        parts = [when_text(meeting.when, self.times, now)]
        if meeting.venue:
            parts.append(meeting.venue)
        status = meeting.status_at(now)
        parts.append(status.value)
        relative = relative_text(meeting.when, now, self.times)
        if relative:
            parts.append(relative)
        return " · ".join(parts) + f"\n`/meeting {meeting.id}`"

    def meeting_field(self, meeting: Meeting, now: datetime) -> Field:
        return Field(meeting.title, self.meeting_line(meeting, now))

    # -- replies ---------------------------------------------------------------------------------

    def agenda_list(
        self, page: Page[Meeting], where: AgendaFilter, past: bool, now: datetime, command: str
    ) -> Reply:
        what = "Past meetings" if past else "Upcoming meetings"
        title = what + self._filter_text(where)
        if not page.items:
            other = "upcoming meetings" if past else "past meetings"
            flip = "" if past else " past:yes"
            hint = f"Try `/agenda` without filters, or `{command}{flip}` for {other}."
            hint += self._as_of_hint(now) if not past else ""
            return not_found(f"No {what.lower()}{self._filter_text(where)}", hint)
        return Reply(
            title=title,
            body=f"As of {date_long(now.date())}.",
            fields=tuple(self.meeting_field(m, now) for m in page.items),
            paging=Paging(page.number, page.pages, page.total, command),
        )

    def next_meeting(self, found: NextMeetings, body: str | None, now: datetime) -> Reply:
        # Besides the agenda, which keeps it, the answer depends on what was found (the same
        # object for as long as it holds: `queries._Timeline.around`), the body, how times are
        # shown, the day, and, of the first meeting, whether it has ended and how far away it
        # is: kept under those, it is written once for as long as they hold.
        first = found.first
        ended = first is not None and first.when.has_ended(now)
        relative = relative_text(first.when, now, self.times) if first is not None else ""
        key = ("next", id(found), body, _times_key(self.times), now.date(), ended, relative)
        return self._kept(key, found, lambda: self._next_meeting(found, body, now))

    def _kept(self, key: tuple[object, ...], source: object, make: Callable[[], Reply]) -> Reply:
        """The answer kept under `key` for this very `source`, else `make`'s, kept."""
        renderings = self.agenda.renderings
        kept = renderings.get(key)
        if isinstance(kept, _Kept) and kept.source is source:
            return kept.reply
        return self._keep(key, _Kept(source, make()))

    def _keep(self, key: tuple[object, ...], kept: _Kept) -> Reply:
        renderings = self.agenda.renderings
        if len(renderings) >= RENDERINGS_KEPT:
            renderings.clear()
        renderings[key] = kept
        return kept.reply

    def _next_meeting(self, found: NextMeetings, body: str | None, now: datetime) -> Reply:
        scope = f" of the {self.agenda.bodies[body].label}" if body else ""
        first = found.first
        if first is None:
            text = f"Nothing is coming{scope} with a known date, as of {date_long(now.date())}."
            text += " See `/agenda past:yes` for what was held." + self._as_of_hint(now)
            return not_found(f"No upcoming meeting{scope}", text)
        heading = "Under way" if first in found.ongoing else "Next"
        fields = [self.meeting_field(first, now)]
        later = [m for m in (*found.ongoing, *found.upcoming) if m is not first]
        if later:
            fields.append(Field("After that", self._short_lines(later)))
        if found.undated_before:
            fields.append(
                Field("Not yet dated, may come earlier", self._short_lines(found.undated_before))
            )
        summary = first.summary
        return Reply(
            title=f"{heading}{scope}: {first.title}",
            body=summary,
            fields=tuple(fields),
            footer=f"As of {date_long(now.date())}",
        )

    def meeting(self, meeting: Meeting, now: datetime, others: Sequence[Meeting] = ()) -> Reply:
        when = meeting.when
        date_value = when_text(when, self.times, now)
        relative = relative_text(when, now, self.times)
        if relative:
            date_value += f" ({relative})"
        date_value += f"\nVenue time zone: {when.zone.key}"
        fields = [Field("When", date_value)]
        if meeting.venue:
            fields.append(Field("Where", meeting.venue))
        kind = meeting.kind.label
        if meeting.sessions:
            kind += ", no. " + "/".join(str(n) for n in meeting.sessions)
        fields.append(Field("Body", f"{self._bodies_long(meeting)}\nKind: {kind}"))
        status = meeting.status_at(now)
        fields.append(Field("Status", status.value))
        outcome = meeting.outcome_at(now)
        if outcome:
            fields.append(Field("Outcome", outcome))
        people = PeopleText(self.agenda, self.times).at_meeting(meeting.id)
        if people:
            fields.append(Field("People", people))
        if meeting.topics:
            fields.append(
                Field(
                    "Topics",
                    ", ".join(
                        f"{self.agenda.topics[t].name} (`/topic {t}`)" for t in meeting.topics
                    ),
                )
            )
        if meeting.confidence:
            fields.append(Field("How sure we are", meeting.confidence))
        if meeting.sources:
            fields.append(Field("Sources", sources_text(meeting.sources)))
        if others:
            fields.append(
                Field("Also matching", ", ".join(f"{m.title} (`/meeting {m.id}`)" for m in others))
            )
        changed = latest_change_text(self.agenda, meeting)
        if changed:
            fields.append(Field("Latest change", f"{changed} `/history {meeting.id}`"))
        footer = f"id {meeting.id}"
        if meeting.revision:
            footer += f" · revision {meeting.revision}"
        if meeting.updated is not None:
            footer += f" · updated {meeting.updated:%Y-%m-%d}"
        return Reply(
            title=meeting.title,
            body=meeting.summary,
            fields=tuple(fields),
            footer=footer,
        )

    def topic(self, topic: Topic, now: datetime) -> Reply:
        # Besides the agenda (never changed in place: it keeps what is rendered from it), the
        # answer depends only on the topic, how times are shown, and which of its meetings are
        # over: kept under those, it is rendered again only when one of them changes. Most of a
        # /topic's time was spent writing its meetings' lines, the same at every asking. The
        # same ones are over from the end of the last one over to the end of the next one to
        # end: kept with that span, asked again within it, the answer is taken without looking
        # at each meeting (a kept answer took 27 us, 6 us now, measured alone).
        key = ("topic", id(topic), _times_key(self.times))
        kept = self.agenda.renderings.get(key)
        if isinstance(kept, _Kept) and kept.source is topic and kept.since <= now < kept.until:
            return kept.reply
        # Told apart in one pass, each meeting looked at once: `When.has_ended`, with the ends
        # that bound the span.
        meetings = self.agenda.meetings
        coming: list[Meeting] = []
        held: list[Meeting] = []
        since, until = _EVER_SINCE, _FOR_EVER
        for meeting_id in topic.meetings:
            meeting = meetings[meeting_id]
            end = meeting.when.end_utc
            if end is not None and end <= now:
                held.append(meeting)
                if end > since:
                    since = end
            else:
                coming.append(meeting)
                if end is not None and end < until:
                    until = end
        return self._keep(key, _Kept(topic, self._topic(topic, coming, held), since, until))

    def _topic(self, topic: Topic, coming: list[Meeting], held: list[Meeting]) -> Reply:
        fields = []
        if topic.aliases:
            fields.append(Field("Also called", ", ".join(topic.aliases)))
        if topic.involved:
            fields.append(Field("Who is involved", ", ".join(topic.involved)))
        if topic.bodies:
            fields.append(
                Field("Bodies", ", ".join(self.agenda.bodies[b].label for b in topic.bodies))
            )
        if coming:
            fields.append(Field("Coming up", self._short_lines(coming)))
        if held:
            fields.append(Field("Discussed at", self._short_lines(reversed(held))))
        people = PeopleText(self.agenda, self.times).on_topic(topic.id)
        if people:
            fields.append(Field("People", people))
        if topic.confidence:
            fields.append(Field("Not verified", topic.confidence))
        if topic.sources:
            fields.append(Field("Sources", sources_text(topic.sources)))
        return Reply(
            title=topic.name, body=topic.summary, fields=tuple(fields), footer=f"id {topic.id}"
        )

    def person(self, person: Person) -> Reply:
        return PeopleText(self.agenda, self.times).reply(person)

    def topics(self, page: Page[Topic]) -> Reply:
        fields = tuple(
            Field(t.name, f"{first_sentence(t.summary)}\n`/topic {t.id}`") for t in page.items
        )
        return Reply(
            title="Topics",
            body=f"{page.total} topics the meetings deal with.",
            fields=fields,
            paging=Paging(page.number, page.pages, page.total, "/topics"),
        )

    def search(
        self,
        result: SearchResult,
        page: Page[Hit],
        now: datetime,
        command: str,
        within: str = "",
        soonest: bool = False,
        held: frozenset[str] = frozenset(),
    ) -> Reply:
        """`within`: the period the query named ("March 2016"), whose meetings (`held`) only
        are shown, and people's roles at them; `soonest`: in date order ("next PTC")."""
        lead = (
            f"Meetings in {within}. " if within else "Meetings still to come. " if soonest else ""
        )
        if result.corrected:
            fixes = ", ".join(f"'{new}' for '{old}'" for old, new in result.corrected.items())
            lead += f"Searched {fixes}. "
        if not result.hits:
            return not_found(
                f"Nothing found for '{result.query}'",
                lead + "Try fewer or other words, `/topics` for every topic, or `/agenda` for "
                "the meetings.",
            )
        fields = []
        for hit in page.items:
            if hit.kind == "meeting":
                meeting = self.agenda.meetings[hit.id]
                fields.append(Field(meeting.title, self.meeting_line(meeting, now)))
            elif hit.kind == "person":
                person = self.agenda.people[hit.id]
                people = PeopleText(self.agenda, self.times)
                fields.append(people.hit(person, result.terms, held))
            else:
                topic = self.agenda.topics[hit.id]
                fields.append(
                    Field(
                        f"Topic: {topic.name}",
                        f"{first_sentence(topic.summary)}\n`/topic {topic.id}`",
                    )
                )
        return Reply(
            title=f"Search: {result.query}",
            body=lead
            + f"{len(result.hits)} match{'es' if len(result.hits) != 1 else ''}, "
            + ("in date order." if soonest or (within and not result.terms) else "best first."),
            fields=tuple(fields),
            paging=Paging(page.number, page.pages, page.total, command),
        )

    def unresolved(self, what: str, resolution: Resolution, command: str) -> Reply:
        """'No meeting matches ...', with the closest names to type instead."""
        names = [self._name_of(what, item) for item in resolution.suggestions]
        query = resolution.query
        if names:
            listed = "\n".join(f"• {name}" for name in names)
            text = f"Did you mean:\n{listed}\n\nOr look through everything: `/search {query}`."
        else:
            text = f"Nothing has a name close to that. Try `/search {query}`"
            text += "." if what == "body" else f" or `/{what}s`." if what == "topic" else "."
        return not_found(f"No {what} matches '{query}'", text)

    def help(self, command: CommandSpec | None = None) -> Reply:
        dataset = self.agenda.dataset
        if command is not None:
            lines = [command.description]
            for part in command.subcommands or (command,):
                lines += ["", f"`{part.usage}`: {part.description}"]
                lines += [
                    f"• `{o.name}`: {o.description}"
                    + (f" ({', '.join(o.choices)})" if o.choices else "")
                    for o in part.options
                ]
            examples = [e for part in command.subcommands or (command,) for e in part.examples]
            lines += ["", "Examples: " + ", ".join(f"`{e}`" for e in examples)]
            return Reply(title=f"/{command.name}", body="\n".join(lines))
        fields = tuple(
            Field(f"/{c.name}", f"{c.description}. Example: `{_examples(c)[0]}`") for c in COMMANDS
        )
        body = f"{dataset.name} ({dataset.organisation})."
        if dataset.description:
            body += f" {dataset.description}"
        body += "\nOptions are written `name:value`; `/help <command>` explains one command."
        return Reply(title="What I can do", body=body, fields=fields)

    # -- helpers ---------------------------------------------------------------------------------

    def _short_lines(self, meetings: Iterable[Meeting]) -> str:
        times = self.times
        return "\n".join(
            [f"{m.title}: {when_text(m.when, times)} (`/meeting {m.id}`)" for m in meetings]
        )

    def _bodies_long(self, meeting: Meeting) -> str:
        return " / ".join(
            self.agenda.bodies[b].label if b in self.agenda.bodies else b for b in meeting.bodies
        )

    def _filter_text(self, where: AgendaFilter) -> str:
        parts = []
        if where.body:
            parts.append(f"of the {self.agenda.bodies[where.body].label}")
        if where.kind:
            parts.append(f"of kind {where.kind.label}")
        if where.topic:
            parts.append(f"on {self.agenda.topics[where.topic].name}")
        if where.status:
            parts.append(f"with status {where.status.value}")
        return (" " + ", ".join(parts)) if parts else ""

    def _as_of_hint(self, now: datetime) -> str:
        as_of = self.agenda.dataset.as_of
        if as_of is None or now.date() <= as_of:
            return ""
        return (
            f" This agenda describes {date_long(as_of)}; run the bot with "
            f"`--as-of {as_of.isoformat()}` to see it as it was then."
        )

    def _name_of(self, what: str, item_id: str) -> str:
        if what == "meeting" and item_id in self.agenda.meetings:
            meeting = self.agenda.meetings[item_id]
            return f"{meeting.title}: `/meeting {item_id}`"
        if what == "topic" and item_id in self.agenda.topics:
            return f"{self.agenda.topics[item_id].name}: `/topic {item_id}`"
        if what == "person" and item_id in self.agenda.people:
            return f"{self.agenda.people[item_id].label}: `/who {item_id}`"
        if what == "body" and item_id in self.agenda.bodies:
            return self.agenda.bodies[item_id].label
        return item_id


def _examples(command: CommandSpec) -> tuple[str, ...]:
    return command.examples or tuple(e for sub in command.subcommands for e in sub.examples)


def first_sentence(text: str, limit: int = 200) -> str:
    # Up to the first ". " only: a summary is not split into every sentence to keep the first.
    sentence = text.partition(". ")[0].strip()
    if len(sentence) > limit:
        sentence = sentence[: limit - 1].rsplit(" ", 1)[0] + "…"
    return sentence if sentence.endswith((".", "…")) else sentence + "."


__all__ = ["Renderer", "first_sentence", "place", "sources_text"]
