"""Calendar export benchmark: cold and repeated exports against icalendar and the floor.

    python -m bench.export_bench [--meetings 10000] [--topics 1000] [--rounds 5]

On the generated agenda, in alternating rounds of one run, times:
- cold: `write_calendar` with no event rendered yet (an empty event cache, VTIMEZONEs unbuilt);
- icalendar: the same calendar written with `icalendar` (bench.agenda_bench.icalendar_export);
- repeated: `write_calendar` again, every event taken from the cache;
- feed build: /feeds/agenda.ics rebuilt by `Feeds` after the agenda's generation moved (the
  events from the cache, plus its ETag digest and dates);
- floor: joining the lines of the same calendar, already rendered, into its bytes.
Prints the median of each and the ratios repeated/floor, feed build/floor and cold/icalendar
(goals: repeated and feed build <= 5x the floor; cold faster than icalendar). Figures on a shared
machine are noisy: read the medians, and more rounds if they disagree.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar

import bot.core.calendar as calendar_module
from bench.agenda_bench import icalendar_export
from bench.generate import generate
from bot.core import EventCache, FixedClock, write_calendar
from bot.service import AgendaService, load_agenda
from bot.service.audience import Audience
from bot.service.changes import ChangeLog
from bot.service.feeds import Feeds


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=10_000)
    parser.add_argument("--topics", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        agenda = load_agenda(generate(Path(folder), args.meetings, args.topics))
    meetings = list(agenda.meetings.values())
    name = agenda.dataset.name

    def cold() -> bytes:
        calendar_module._vtimezone.cache_clear()
        return write_calendar(agenda, meetings, name=name, cache=EventCache()).content

    warm_cache = EventCache()
    first = write_calendar(agenda, meetings, name=name, cache=warm_cache).content
    lines = first.split(b"\r\n")

    service = AgendaService(agenda, FixedClock(datetime(2025, 6, 1, tzinfo=UTC)))
    log = ChangeLog()
    feeds = Feeds(service, None, Audience(), log, None, refresh=timedelta(hours=1))
    feeds.public("all")  # its events rendered once

    def feed_build() -> bytes:
        log.record({})  # the agenda changed (elsewhere): the feed is built again
        feed = feeds.public("all")
        assert feed is not None
        return feed.content

    actions: dict[str, Callable[[], Any]] = {
        "cold (ours)": cold,
        "icalendar": lambda: icalendar_export(agenda),
        "repeated (ours)": lambda: (
            write_calendar(agenda, meetings, name=name, cache=warm_cache).content
        ),
        "feed build": feed_build,
        "floor": lambda: b"\r\n".join(lines),
    }
    samples: dict[str, list[float]] = {label: [] for label in actions}
    outputs: dict[str, Any] = {}
    for _ in range(args.rounds):
        for label, action in actions.items():
            outputs[label], seconds = timed(action)
            samples[label].append(seconds)

    assert outputs["cold (ours)"] == outputs["repeated (ours)"] == outputs["floor"] == first
    events = len(icalendar.Calendar.from_ical(first).walk("VEVENT"))
    theirs = len(icalendar.Calendar.from_ical(outputs["icalendar"]).walk("VEVENT"))
    print(
        f"export of {len(meetings)} generated meetings ({events} with a day, {len(first):,} "
        f"bytes; icalendar's {theirs} events): medians of {args.rounds} alternating rounds"
    )
    median = {label: statistics.median(values) for label, values in samples.items()}
    for label, value in median.items():
        spread = f"{min(samples[label]) * 1000:.1f}-{max(samples[label]) * 1000:.1f}"
        print(f"  {label:<16} {value * 1000:9.1f} ms   (range {spread} ms)")
    print(
        f"  repeated / floor     {median['repeated (ours)'] / median['floor']:6.2f}x  (goal <= 5)"
    )
    print(f"  feed build / floor   {median['feed build'] / median['floor']:6.2f}x  (goal <= 5)")
    print(f"  cold / icalendar     {median['cold (ours)'] / median['icalendar']:6.2f}x  (goal < 1)")


if __name__ == "__main__":
    main()
