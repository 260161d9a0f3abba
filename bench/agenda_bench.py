"""Agenda core benchmark: loading, /next, /topic, /search and calendar export.

    python -m bench.agenda_bench [--meetings 10000] [--topics 1000] [--rounds 2000]

Prints load and validation time for the bundled data set and for a generated agenda, p50/p99 of
the three commands (goals: p99 < 1 ms for /next and /topic, < 5 ms for /search), and the export
time of the large calendar with `ics` (ours) next to the same calendar written with `icalendar`
in the same run (goal: ours faster; both read back and counted). bench/export_bench.py times
cold and repeated exports in alternating rounds, against icalendar and the floor.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar

from bench.figures import latency
from bench.generate import generate
from bot.core import Agenda, FixedClock, Precision, Status, write_calendar
from bot.service import BUNDLED_DATA, AgendaService, load_agenda


def timed(action):
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def typo(rng: random.Random, text: str) -> str:
    if len(text) < 5:
        return text
    position = rng.randrange(1, len(text) - 1)
    return text[:position] + text[position + 1 :]


def measure(label: str, calls) -> None:
    samples = []
    for call in calls:
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    print(f"  {label:<8} {latency(samples)}   ({len(samples)} calls)")


def icalendar_export(agenda: Agenda) -> bytes:
    """The same calendar with icalendar, for comparison: same properties, same events."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//agenda-bot//bench//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", agenda.dataset.name)
    status = {
        Status.CANCELLED: "CANCELLED",
        Status.HELD: "CONFIRMED",
        Status.CONFIRMED: "CONFIRMED",
    }
    for meeting in agenda.meetings.values():
        when = meeting.when
        if not when.precision.has_day:
            continue
        event = icalendar.Event()
        event.add("uid", f"{meeting.id}@{agenda.dataset.uid_domain}")
        event.add("summary", meeting.title)
        stamp = meeting.updated or agenda.dataset.updated
        event.add("dtstamp", stamp)
        event.add("last-modified", stamp)
        event.add("sequence", meeting.revision)
        if when.precision is Precision.DAY:
            event.add("dtstart", when.first_day)
            event.add("dtend", when.last_day + timedelta(days=1))
        else:
            event.add("dtstart", when.start_utc)
            event.add("dtend", when.end_utc)
        event.add("status", status.get(meeting.status, "TENTATIVE"))
        event.add("location", meeting.venue)
        event.add("categories", [meeting.kind.label, *meeting.bodies])
        event.add(
            "description",
            meeting.summary + "\n\nSources: " + " ".join(s.url for s in meeting.sources),
        )
        if meeting.sources:
            event.add("url", meeting.sources[0].url)
        calendar.add_component(event)
    return calendar.to_ical()


def searches(agenda: Agenda, rounds: int, rng: random.Random) -> list[str]:
    """`rounds` queries of one to three words from topic names, a fifth with a letter dropped,
    and every tenth a person's family name with a word of what they did."""
    topics = list(agenda.topics.values())
    words = sorted({w for t in topics[:200] for w in t.name.lower().split() if w.isalpha()})
    people = list(agenda.people.values())[:200]
    queries = []
    for i in range(rounds):
        picked = rng.sample(words, rng.randrange(1, 4))
        if i % 5 == 0:
            picked[0] = typo(rng, picked[0])
        if i % 10 == 5 and people:
            person = people[rng.randrange(len(people))]
            picked = [person.name.split()[1], person.roles[0].did.split()[-1]]
        queries.append(" ".join(picked))
    return queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=10_000)
    parser.add_argument("--topics", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=2_000)
    args = parser.parse_args()
    rng = random.Random(11)

    bundled, seconds = timed(lambda: load_agenda(BUNDLED_DATA))
    print(
        f"bundled data set: {len(bundled.meetings)} meetings, {len(bundled.topics)} topics: "
        f"load + validate {seconds * 1000:.1f} ms"
    )
    _, seconds = timed(lambda: AgendaService(bundled, FixedClock(datetime.now(UTC))))
    print(f"  indexes built in {seconds * 1000:.1f} ms")

    with tempfile.TemporaryDirectory() as folder:
        directory, seconds = timed(lambda: generate(Path(folder), args.meetings, args.topics))
        print(
            f"\ngenerated agenda: {args.meetings} meetings, {args.topics} topics "
            f"(written in {seconds:.2f} s)"
        )
        agenda, seconds = timed(lambda: load_agenda(directory))
        print(f"  load + validate {seconds:.3f} s")
    clock = FixedClock(datetime(2025, 6, 1, tzinfo=UTC))
    service, seconds = timed(lambda: AgendaService(agenda, clock))
    print(f"  indexes built in {seconds:.3f} s")

    instants = [
        datetime(2015, 1, 1, tzinfo=UTC) + timedelta(hours=rng.randrange(24 * 365 * 20))
        for _ in range(args.rounds)
    ]
    bodies = list(agenda.bodies)

    def next_call(i: int):
        def call():
            clock.set(instants[i])
            return service.next_meeting(body=bodies[i % len(bodies)] if i % 2 else None)

        return call

    topics = list(agenda.topics.values())
    topic_queries = []
    for i in range(args.rounds):
        topic = topics[rng.randrange(len(topics))]
        form = i % 4
        topic_queries.append(
            [topic.name, topic.name.lower(), topic.aliases[0], typo(rng, topic.name)][form]
        )
    search_queries = searches(agenda, args.rounds, rng)

    print("\ncommand latency on the generated agenda (service call, reply rendered):")
    measure("/next", [next_call(i) for i in range(args.rounds)])
    clock.set(datetime(2025, 6, 1, tzinfo=UTC))
    measure("/topic", [lambda q=q: service.topic(q) for q in topic_queries])
    measure("/search", [lambda q=q: service.search(q) for q in search_queries])
    found = sum(
        1 for q in topic_queries if service.topic(q).title != "x" and not service.topic(q).is_error
    )
    print(
        f"  /topic resolved {found}/{len(topic_queries)} queries "
        "(exact names, lower case, aliases, one letter dropped)"
    )

    print("\ncalendar export of the generated agenda:")
    ours, ours_seconds = timed(
        lambda: write_calendar(agenda, agenda.meetings.values(), name=agenda.dataset.name)
    )
    theirs, theirs_seconds = timed(lambda: icalendar_export(agenda))
    ours_events = len(icalendar.Calendar.from_ical(ours.content).walk("VEVENT"))
    theirs_events = len(icalendar.Calendar.from_ical(theirs).walk("VEVENT"))
    print(
        f"  ics (ours)   {ours_seconds:6.3f} s  {len(ours.content):>10,} bytes  "
        f"{ours_events} events read back"
    )
    print(
        f"  icalendar    {theirs_seconds:6.3f} s  {len(theirs):>10,} bytes  "
        f"{theirs_events} events read back"
    )
    print(f"  ours is {theirs_seconds / ours_seconds:.2f}x the speed of icalendar")


if __name__ == "__main__":
    main()
