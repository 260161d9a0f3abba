"""Cold load: a fresh process reading a generated agenda (no cache), validating it and building
its indexes (the search index too), as the bot does at start, after its imports; time and peak
memory, medians of alternating rounds.

    python -m bench.load_bench [--sizes 10000,100000] [--rounds 3]

Beside ours, for scale, the same process doing nothing but parsing the files with the standard
library's tomllib (what loading cost in parsing alone before). Goals (issue 16): 10,000 meetings
in 1.5 s; 100,000 in 15 s and 600 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.generate import generate

ROOT = Path(__file__).resolve().parents[1]

OURS = """
import json, resource, sys, time
from pathlib import Path
from bot.service import load_library  # the bot's imports are not the agenda's: left out
started = time.perf_counter()
library = load_library(Path(sys.argv[1]))
library.search  # built at the first search: a cold start builds every index
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "meetings": len(library.agenda.meetings),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

TOMLLIB = """
import json, resource, sys, time, tomllib
from pathlib import Path
started = time.perf_counter()
documents = [tomllib.loads(p.read_text("utf-8")) for p in sorted(Path(sys.argv[1]).glob("*.toml"))]
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "meetings": len(documents),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(script: str, folder: Path) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", script, str(folder)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            data = generate(Path(folder) / str(size), size, 1_000)
            ours: list[dict[str, float]] = []
            parse: list[dict[str, float]] = []
            for _ in range(args.rounds):  # alternating, so that both see the same machine
                ours.append(run(OURS, data))
                parse.append(run(TOMLLIB, data))
            seconds = statistics.median(r["seconds"] for r in ours)
            peak = statistics.median(r["peak_mb"] for r in ours)
            parsed = statistics.median(r["seconds"] for r in parse)
            print(
                f"{size:>7} meetings: cold load {seconds:6.2f} s, peak {peak:6.0f} MB   "
                f"(tomllib parsing alone {parsed:6.2f} s, ours / that {seconds / parsed:.2f}); "
                f"medians of {args.rounds}"
            )


if __name__ == "__main__":
    main()
