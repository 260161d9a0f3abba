"""Discord latency benchmark: the real bot process against the in-process fake Discord, beside
the floor, a minimal discord.py bot answering a constant (`bench/minimal_bot.py`).

    python -m bench.discord_bench [--meetings 10000] [--topics 1000] [--rounds 5] [--commands 300]
                                  [--no-shaped]

Starts `python -m bot` (as in production) on a generated agenda and the minimal bot, each as its
own process with the same environment (token, API base, gateway URL, dev guild), each against its
own instance of the fake in this process (the fake holds one gateway session), both connected for
the whole run. It then measures, for /next, /topic and /search, the time from INTERACTION_CREATE
sent by the fake to the interaction callback received by it. Each round asks both bots the same
commands with the same options, alternating one by one (ours, the floor, then the floor, ours...),
so that both see the same load on the machine. Printed: p50 and p99 of each round, their medians
over the rounds, and the ratio of the median p99s (issue 16: <= 1.3x the floor). Also ready
time, memory, the CPU time each bot process used per command (less disturbed than latency by
other work on the machine), and ours for autocomplete.

A third side (left out with --no-shaped) is the minimal bot answering with our answers' shape
(`bench/shaped_bot.py`): the embeds, and for /search the page buttons, that ours sent for the
same command at warm-up, 20 of each in turn. It is asked in the same alternation (the three in
each of their six orders in turn), and the figures split our ratio to the floor in two: the
same-shaped answer's to the floor (what discord.py costs to send our answers), and ours to the
same-shaped answer (what our service, rendering and embed-making add).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from bench.figures import latency
from bench.generate import generate
from tests.fake_discord import FakeDiscord, Reply

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ("/next", "/topic", "/search")
T = TypeVar("T")
WARM_UP = 20  # of each command, for each side; ours' answers then are the same-shaped answers


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ratio(numerator: float, denominator: float) -> float:
    """A ratio of CPU times, not a number when the denominator is under the clock's tick (the
    smoke test's few commands)."""
    return numerator / denominator if denominator else float("nan")


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds, as `bench.figures.latency` takes them."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000


def in_turn(sides: Sequence[T]) -> Iterator[tuple[T, ...]]:
    """The order to ask the sides in, one per command asked: each order of them in turn, carried on
    across /next, /topic, /search and the rounds, so that each side is first, second or last, and
    before each other, as often as the others to within one cycle (six asks for three sides). Begun
    again for each label in each round, --commands 100 put the first four orders one ask ahead
    every time.
    """
    return itertools.cycle(itertools.permutations(sides))


class Side:
    """One bot process and its fake."""

    def __init__(self, label: str, fake: FakeDiscord) -> None:
        self.label = label
        self.fake = fake
        self.process: asyncio.subprocess.Process | None = None
        self.ready = 0.0

    async def start(self, argv: list[str], environment: dict[str, str], cwd: Path) -> None:
        started = time.perf_counter()
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, *argv, env=environment, cwd=cwd
        )
        await self.fake.wait_for(lambda e: e.kind == "commands_synced", timeout=180)
        await self.fake.wait_for(
            lambda e: e.kind == "dispatch" and e["event"] == "GUILD_CREATE", timeout=180
        )
        self.ready = time.perf_counter() - started

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def ask(self, name: str, options: dict[str, str]) -> float:
        return (await self.answer(name, options))[0]

    async def answer(self, name: str, options: dict[str, str]) -> tuple[float, Reply]:
        """The time to the interaction callback, and the callback (the fake accepted it)."""
        record = await self.fake.send_command(name, options)
        reply = await record.response(timeout=30)
        return reply.time - record.created, reply

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


def environment_for(fake: FakeDiscord, extra: dict[str, str]) -> dict[str, str]:
    return dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        DISCORD_TOKEN=fake.token,
        DISCORD_API_BASE_URL=fake.api_base,
        DISCORD_GATEWAY_URL=fake.gateway_url,
        DISCORD_DEV_GUILD=str(fake.guild_id),
        LOG_LEVEL="WARNING",
        **extra,
    )


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as name:  # the agenda and database: not left in /tmp
        await _run_in(Path(name), args)


async def _run_in(folder: Path, args: argparse.Namespace) -> None:
    data = generate(folder / "data", args.meetings, args.topics)
    agenda_names = [
        line.split("=", 1)[1].strip().strip('"')
        for line in (data / "topics.toml").read_text().splitlines()
        if line.startswith("name = ")
    ]
    rng = random.Random(5)

    def make(label: str) -> tuple[str, dict[str, str]]:
        if label == "/next":
            return "next", {}
        if label == "/topic":
            return "topic", {"topic": rng.choice(agenda_names).lower()}
        words = rng.choice(agenda_names).lower().split()[:3]
        return "search", {"query": " ".join(rng.sample(words, 2))}

    ours_extra = {
        "AGENDA_DATA_DIR": str(data),
        "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'bot.sqlite3'}",
        "AGENDA_RELOAD_SECONDS": "0",
        "WEB_PORT": "0",
    }
    async with (
        FakeDiscord(token="bench-token", callback_deadline=None) as ours_fake,
        FakeDiscord(token="bench-token", callback_deadline=None) as floor_fake,
        FakeDiscord(token="bench-token", callback_deadline=None) as shaped_fake,
    ):
        ours, floor = Side("ours", ours_fake), Side("minimal", floor_fake)
        shaped = Side("shaped", shaped_fake)
        sides = [ours, floor]
        try:
            await asyncio.gather(
                ours.start(
                    ["-m", "bot", "--as-of", "2025-06-01"],
                    environment_for(ours_fake, ours_extra),
                    folder,
                ),
                floor.start(["-m", "bench.minimal_bot"], environment_for(floor_fake, {}), folder),
            )
            assert ours.process is not None and floor.process is not None
            print(
                f"bot process ready (login, commands synced, gateway) in {ours.ready:.2f} s "
                f"on {args.meetings} meetings / {args.topics} topics; "
                f"the minimal bot in {floor.ready:.2f} s"
            )
            print(
                f"memory after start: ours {rss_mb(ours.process.pid):.0f} MB resident, "
                f"the minimal bot {rss_mb(floor.process.pid):.0f} MB"
            )
            asked_at_warm_up: dict[str, list[tuple[str, dict[str, str]]]] = {}
            captured: dict[str, list[dict[str, Any]]] = {}
            for side in (ours, floor):  # warm-up
                for label in COMMANDS:
                    for _ in range(WARM_UP):
                        command = make(label)
                        _, reply = await side.answer(*command)
                        if side is ours:
                            asked_at_warm_up.setdefault(label, []).append(command)
                            captured.setdefault(label, []).append(reply.data)
            if args.shaped:
                await start_shaped(shaped, folder, captured, asked_at_warm_up)
                sides.append(shaped)

            figures: dict[tuple[str, str], list[tuple[float, float]]] = {}
            cpu: dict[tuple[str, str], float] = {}
            bots = "three" if args.shaped else "two"
            print(
                f"\nINTERACTION_CREATE sent -> callback received, at the fake; {args.rounds} "
                f"rounds of {args.commands} of each command, asked of the {bots} bots in turn "
                "(p50 / p99 in ms):"
            )
            orders = in_turn(sides)
            for number in range(1, args.rounds + 1):
                cells: dict[str, list[str]] = {side.label: [] for side in sides}
                for label in COMMANDS:
                    samples: dict[str, list[float]] = {side.label: [] for side in sides}
                    before = {side.label: cpu_seconds(side.pid) for side in sides}
                    for _ in range(args.commands):
                        command = make(label)
                        # One after the other, the first in turn: all see the same machine.
                        for side in next(orders):
                            samples[side.label].append(await side.ask(*command))
                    for side in sides:
                        used = cpu_seconds(side.pid) - before[side.label]
                        cpu[side.label, label] = cpu.get((side.label, label), 0.0) + used
                        p50, p99 = percentiles(samples[side.label])
                        figures.setdefault((side.label, label), []).append((p50, p99))
                        cells[side.label].append(f"{label} {p50:.2f}/{p99:.2f}")
                ours_cells, floor_cells = (
                    "  ".join(cells[ours.label]),
                    "  ".join(cells[floor.label]),
                )
                print(f"  round {number}: ours {ours_cells}   minimal {floor_cells}")
                if args.shaped:
                    indent = " " * len(f"round {number}:")
                    print(f"  {indent} same-shaped {'  '.join(cells[shaped.label])}")

            print(f"\nmedians of {args.rounds} rounds:")
            heads = ("ours p50", "ours p99", "min p50", "min p99")
            print(f"  {'':<8} {' '.join(f'{h:>9}' for h in heads)}  p99 ratio  (per round)")
            for label in COMMANDS:
                ours_p50 = statistics.median(p for p, _ in figures["ours", label])
                ours_p99 = statistics.median(p for _, p in figures["ours", label])
                floor_p50 = statistics.median(p for p, _ in figures["minimal", label])
                floor_p99 = statistics.median(p for _, p in figures["minimal", label])
                each = statistics.median(
                    o / f
                    for (_, o), (_, f) in zip(
                        figures["ours", label], figures["minimal", label], strict=True
                    )
                )
                print(
                    f"  {label:<8} {ours_p50:9.3f} {ours_p99:9.3f} {floor_p50:9.3f} "
                    f"{floor_p99:9.3f}  {ours_p99 / floor_p99:8.2f}x  ({each:.2f}x)"
                )
            if args.shaped:
                print_shaped_medians(figures, args.rounds)

            asked = args.rounds * args.commands
            print("\nCPU time of the bot process per command (user + system, whole run):")
            for label in COMMANDS:
                ours_cpu = cpu["ours", label] / asked * 1000
                floor_cpu = cpu["minimal", label] / asked * 1000
                print(
                    f"  {label:<8} ours {ours_cpu:6.3f} ms   minimal {floor_cpu:6.3f} ms   "
                    f"{ratio(ours_cpu, floor_cpu):5.2f}x"
                )
            if args.shaped:
                print("the same-shaped answer's CPU time per command, and the gap split in two:")
                for label in COMMANDS:
                    ours_cpu, floor_cpu, shaped_cpu = (
                        cpu[side, label] / asked * 1000 for side in ("ours", "minimal", "shaped")
                    )
                    print(
                        f"  {label:<8} same-shaped {shaped_cpu:6.3f} ms   "
                        f"same-shaped/minimal {ratio(shaped_cpu, floor_cpu):5.2f}x   "
                        f"ours/same-shaped {ratio(ours_cpu, shaped_cpu):5.2f}x"
                    )

            completions = []
            for _ in range(args.commands):
                typed = rng.choice(agenda_names).lower()[: rng.randrange(3, 12)]
                record = await ours_fake.send_autocomplete("meeting", "meeting", typed)
                reply = await record.response(timeout=30)
                completions.append(reply.time - record.created)
            print(
                f"\nours, autocomplete {latency(completions)}   ({len(completions)} interactions)"
            )
            print(
                f"memory after the run: ours {rss_mb(ours.process.pid):.0f} MB resident, "
                f"the minimal bot {rss_mb(floor.process.pid):.0f} MB"
            )
            if args.shaped:
                print(f"  the same-shaped bot {rss_mb(shaped.pid):.0f} MB")
            ours_fake.assert_no_unknown_routes()
            floor_fake.assert_no_unknown_routes()
            shaped_fake.assert_no_unknown_routes()
        finally:
            await asyncio.gather(ours.stop(), floor.stop(), shaped.stop())


async def start_shaped(
    shaped: Side,
    folder: Path,
    captured: dict[str, list[dict[str, Any]]],
    asked: dict[str, list[tuple[str, dict[str, str]]]],
) -> None:
    """Start the same-shaped bot on ours' answers at warm-up, and warm it up with the same
    commands; it must answer each with the embeds and buttons ours did."""
    answers = folder / "shaped_answers.json"
    answers.write_text(json.dumps({label[1:]: captured[label] for label in COMMANDS}))
    # The path as an argument, not a name imported from the bot: this process, whose garbage
    # collections every side's latencies go through, stays without discord.py.
    environment = environment_for(shaped.fake, {})
    await shaped.start(["-m", "bench.shaped_bot", str(answers)], environment, folder)
    print(
        f"the minimal bot answering with the shape of ours (embeds, buttons) ready in "
        f"{shaped.ready:.2f} s, {rss_mb(shaped.pid):.0f} MB resident"
    )
    kinds = []
    for label in COMMANDS:
        sizes = [len(json.dumps(data.get("embeds"))) for data in captured[label]]
        paged = sum(bool(data.get("components")) for data in captured[label])
        private = sum(int(data.get("flags") or 0) & 64 != 0 for data in captured[label])
        kinds.append(
            f"{label} {len(sizes)} ({statistics.mean(sizes) / 1000:.1f} kB of embeds on average, "
            f"{paged} with page buttons, {private} ephemeral)"
        )
    print(f"  answering in turn those ours sent at warm-up: {'; '.join(kinds)}")
    for label in COMMANDS:
        for command, ours_data in zip(asked[label], captured[label], strict=True):
            _, reply = await shaped.answer(*command)
            if not same_shape(reply.data, ours_data):  # not an assert: -O would drop it
                raise RuntimeError(
                    f"the same-shaped bot's {label} {reply.data} is not ours' {ours_data}"
                )


def same_shape(sent: dict[str, Any], ours: dict[str, Any]) -> bool:
    """Whether the same-shaped bot sent ours' message data: embeds, flags and buttons, and the
    rest alike (allowed mentions, content, tts), which discord.py sends and the fake reads too."""
    return sent == ours


def print_shaped_medians(
    figures: dict[tuple[str, str], list[tuple[float, float]]], rounds: int
) -> None:
    """The same-shaped side's medians, and the p99 ratios that split ours to the floor in two."""

    def p99_ratio(side: str, other: str, label: str) -> str:
        """The ratio of the median p99s, and (in brackets) the median of each round's ratio."""
        mine, theirs = figures[side, label], figures[other, label]
        whole = statistics.median(p for _, p in mine) / statistics.median(p for _, p in theirs)
        each = statistics.median(m / t for (_, m), (_, t) in zip(mine, theirs, strict=True))
        return f"{whole:.2f}x ({each:.2f}x)"

    print(
        f"the same-shaped answer (the minimal bot sending ours' embeds and buttons), "
        f"medians of {rounds} rounds; p99 ratios (per round):"
    )
    heads = ("shp p50", "shp p99")
    print(
        f"  {'':<8} {' '.join(f'{h:>9}' for h in heads)}  {'same-shaped/min':>16}"
        f"  {'ours/same-shaped':>16}"
    )
    for label in COMMANDS:
        shaped_p50 = statistics.median(p for p, _ in figures["shaped", label])
        shaped_p99 = statistics.median(p for _, p in figures["shaped", label])
        print(
            f"  {label:<8} {shaped_p50:9.3f} {shaped_p99:9.3f}  "
            f"{p99_ratio('shaped', 'minimal', label):>16}  {p99_ratio('ours', 'shaped', label):>16}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=10_000)
    parser.add_argument("--topics", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (ours, floor)")
    parser.add_argument("--commands", type=int, default=300, help="of each command per round")
    parser.add_argument(
        "--no-shaped",
        dest="shaped",
        action="store_false",
        help="leave out the third side, the minimal bot answering with our answers' shape",
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
