"""Discord latency benchmark: the real bot process against the in-process fake Discord.

    python -m bench.discord_bench [--meetings 10000] [--topics 1000] [--rounds 300]

Starts `python -m bot` (as in production) on a generated agenda, pointed at the fake, and
measures for /next, /topic and /search the time from INTERACTION_CREATE sent by the fake to the
interaction callback received by it: p50 and p99 (goal: p99 under 15 ms). Also prints the bot
process's memory (resident set) once it is ready.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from bench.figures import latency
from bench.generate import generate
from tests.fake_discord import FakeDiscord

ROOT = Path(__file__).resolve().parents[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp())
    data = generate(folder / "data", args.meetings, args.topics)
    agenda_names = [
        line.split("=", 1)[1].strip().strip('"')
        for line in (data / "topics.toml").read_text().splitlines()
        if line.startswith("name = ")
    ]
    rng = random.Random(5)
    async with FakeDiscord(token="bench-token", callback_deadline=None) as fake:
        environment = dict(
            os.environ,
            PYTHONPATH=str(ROOT),
            DISCORD_TOKEN=fake.token,
            DISCORD_API_BASE_URL=fake.api_base,
            DISCORD_GATEWAY_URL=fake.gateway_url,
            DISCORD_DEV_GUILD=str(fake.guild_id),
            AGENDA_DATA_DIR=str(data),
            DATABASE_URL=f"sqlite+aiosqlite:///{folder / 'bot.sqlite3'}",
            AGENDA_RELOAD_SECONDS="0",
            WEB_PORT="0",
            LOG_LEVEL="WARNING",
        )
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--as-of", "2025-06-01", env=environment, cwd=folder
        )
        try:
            await fake.wait_for(lambda e: e.kind == "commands_synced", timeout=120)
            await fake.wait_for(
                lambda e: e.kind == "dispatch" and e["event"] == "GUILD_CREATE", timeout=120
            )
            ready = time.perf_counter() - started
            print(
                f"bot process ready (login, commands synced, gateway) in {ready:.2f} s "
                f"on {args.meetings} meetings / {args.topics} topics"
            )
            print(f"bot process memory after start: {rss_mb(process.pid):.0f} MB resident")
            for _ in range(20):  # warm-up
                await (await fake.send_command("next")).response(timeout=30)
            cases = {
                "/next": lambda: ("next", {}),
                "/topic": lambda: ("topic", {"topic": rng.choice(agenda_names).lower()}),
                "/search": lambda: (
                    "search",
                    {
                        "query": " ".join(
                            rng.sample(rng.choice(agenda_names).lower().split()[:3], 2)
                        )
                    },
                ),
            }
            print("\nINTERACTION_CREATE sent -> callback received, at the fake:")
            for label, make in cases.items():
                samples = []
                for _ in range(args.rounds):
                    name, options = make()
                    record = await fake.send_command(name, options)
                    reply = await record.response(timeout=30)
                    samples.append(reply.time - record.created)
                print(f"  {label:<8} {latency(samples)}   ({len(samples)} interactions)")
            samples = []
            for _ in range(args.rounds):
                typed = rng.choice(agenda_names).lower()[: rng.randrange(3, 12)]
                record = await fake.send_autocomplete("meeting", "meeting", typed)
                reply = await record.response(timeout=30)
                samples.append(reply.time - record.created)
            print(f"  {'autocomplete':<8} {latency(samples)}   ({len(samples)} interactions)")
            print(f"\nbot process memory after the run: {rss_mb(process.pid):.0f} MB resident")
            fake.assert_no_unknown_routes()
        finally:
            process.terminate()
            await process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=10_000)
    parser.add_argument("--topics", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=300)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
