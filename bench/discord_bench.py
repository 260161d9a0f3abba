"""Discord latency benchmark: the real bot process against the in-process fake Discord, beside
the floor, a minimal discord.py bot answering a constant (`bench/minimal_bot.py`).

    python -m bench.discord_bench [--meetings 10000] [--topics 1000] [--rounds 5] [--commands 300]

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
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.figures import latency
from bench.generate import generate
from tests.fake_discord import FakeDiscord

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ("/next", "/topic", "/search")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds, as `bench.figures.latency` takes them."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000


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
        record = await self.fake.send_command(name, options)
        reply = await record.response(timeout=30)
        return reply.time - record.created

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
    ):
        ours, floor = Side("ours", ours_fake), Side("minimal", floor_fake)
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
            for side in (ours, floor):  # warm-up
                for label in COMMANDS:
                    for _ in range(20):
                        await side.ask(*make(label))

            figures: dict[tuple[str, str], list[tuple[float, float]]] = {}
            cpu: dict[tuple[str, str], float] = {}
            print(
                f"\nINTERACTION_CREATE sent -> callback received, at the fake; {args.rounds} "
                f"rounds of {args.commands} of each command, asked of the two bots in turn "
                "(p50 / p99 in ms):"
            )
            for number in range(1, args.rounds + 1):
                cells = {ours.label: [], floor.label: []}
                for label in COMMANDS:
                    samples: dict[str, list[float]] = {ours.label: [], floor.label: []}
                    before = {side.label: cpu_seconds(side.pid) for side in (ours, floor)}
                    for index in range(args.commands):
                        command = make(label)
                        # One after the other, the first in turn: both see the same machine.
                        for side in (ours, floor) if index % 2 == 0 else (floor, ours):
                            samples[side.label].append(await side.ask(*command))
                    for side in (ours, floor):
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

            asked = args.rounds * args.commands
            print("\nCPU time of the bot process per command (user + system, whole run):")
            for label in COMMANDS:
                ours_cpu = cpu["ours", label] / asked * 1000
                floor_cpu = cpu["minimal", label] / asked * 1000
                print(
                    f"  {label:<8} ours {ours_cpu:6.3f} ms   minimal {floor_cpu:6.3f} ms   "
                    f"{ours_cpu / floor_cpu:5.2f}x"
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
            ours_fake.assert_no_unknown_routes()
            floor_fake.assert_no_unknown_routes()
        finally:
            await asyncio.gather(ours.stop(), floor.stop())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=10_000)
    parser.add_argument("--topics", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (ours, floor)")
    parser.add_argument("--commands", type=int, default=300, help="of each command per round")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
