"""Revisions: loading 10,000 meetings with 5 revisions each, and /agenda as known at an arbitrary
date on them, beside the same agenda without revisions (one revision each), in one run.

    python -m bench.revisions_bench [--meetings 10000] [--revisions 5] [--calls 2000]

Goal (issue 11): /agenda as of an arbitrary date, p99 under 2 ms.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.figures import latency
from bench.generate import generate
from bot.core import FixedClock
from bot.core.revisions import epochs
from bot.service import AgendaService, load_agenda


def data(meetings: int, revisions: int) -> Path:
    folder = Path(tempfile.gettempdir()) / f"agenda-bench-{meetings}-rev{revisions}"
    if not (folder / "meetings.toml").exists():
        generate(folder, meetings, 1_000, revisions=revisions)
    return folder


def measure(meetings: int, revisions: int, calls: int) -> None:
    folder = data(meetings, revisions)
    started = time.perf_counter()
    agenda = load_agenda(folder)
    loaded = time.perf_counter() - started
    count = sum(len(r.revisions) for r in agenda.records.values())
    clock = FixedClock(datetime(2020, 1, 1, tzinfo=UTC))
    service = AgendaService(agenda, clock)
    started = time.perf_counter()
    service.agenda_list()  # builds the indexes and the table of versions once
    first = time.perf_counter() - started
    instants = epochs(agenda)
    rng = random.Random(11)
    samples = []
    for _ in range(calls):
        # An instant at which something became known: the agenda differs at each of them.
        position = rng.randrange(len(instants))
        clock.set(instants[position])
        started = time.perf_counter()
        service.agenda_list(page=rng.randrange(1, 4))
        samples.append(time.perf_counter() - started)
    print(
        f"{meetings:,} meetings, {count:,} revisions: load {loaded:.2f} s, first /agenda "
        f"{first * 1e3:.0f} ms; /agenda at {calls:,} arbitrary dates: {latency(samples)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--meetings", type=int, default=10_000)
    parser.add_argument("--revisions", type=int, default=5)
    parser.add_argument("--calls", type=int, default=2_000)
    args = parser.parse_args()
    measure(args.meetings, 1, args.calls)  # today's figure: one revision each
    measure(args.meetings, args.revisions, args.calls)


if __name__ == "__main__":
    main()
