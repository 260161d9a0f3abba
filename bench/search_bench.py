"""Search benchmark: our index (BM25 with field weights, spelling correction, prefixes) against
SQLite FTS5 (stdlib sqlite3, BM25 with the same field weights, prefix queries), on the same
generated agenda and the same queries, in one run.

    python -m bench.search_bench [--meetings 10000] [--topics 1000] [--rounds 2000]

Prints, for each: build time, p50/p99 per query, how many queries found something (a fifth of
them have a letter dropped), and how often both put the same document first. Goal (issue 14):
our p99 under 5 ms on 10,000 meetings; keep whichever measures better.
"""

from __future__ import annotations

import argparse
import gc
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from bench.agenda_bench import searches, timed
from bench.figures import latency
from bench.generate import generate
from bot.core import Agenda, SearchIndex
from bot.core.search import _meeting_fields, _person_fields, _topic_fields
from bot.core.text import STOPWORDS, tokens
from bot.service import load_agenda


class Fts5Index:
    """The same documents in an FTS5 table: one column per field weight (3, 2, 1)."""

    def __init__(self, agenda: Agenda) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(kind UNINDEXED, id UNINDEXED, heavy, "
            "middle, light, tokenize = 'unicode61 remove_diacritics 2')"
        )
        rows = []
        for meeting in agenda.meetings.values():
            rows.append(("meeting", meeting.id, *_columns(_meeting_fields(agenda, meeting))))
        for topic in agenda.topics.values():
            rows.append(("topic", topic.id, *_columns(_topic_fields(agenda, topic))))
        for person in agenda.people.values():
            rows.append(("person", person.id, *_columns(_person_fields(agenda, person))))
        self.db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?)", rows)
        self.db.commit()

    def search(self, query: str, limit: int = 50) -> list[tuple[str, str]]:
        words = [w for w in tokens(query) if w not in STOPWORDS]
        if not words:
            return []
        match = " ".join(f'"{w}"*' for w in words)
        return self.db.execute(
            "SELECT kind, id FROM docs WHERE docs MATCH ? "
            "ORDER BY bm25(docs, 0, 0, 3.0, 2.0, 1.0) LIMIT ?",
            (match, limit),
        ).fetchall()


def _columns(parts: list[tuple[str, int]]) -> tuple[str, str, str]:
    by_weight: dict[int, list[str]] = {3: [], 2: [], 1: []}
    for text, weight in parts:
        if text:
            by_weight[min(3, max(1, weight))].append(text)
    return (" ".join(by_weight[3]), " ".join(by_weight[2]), " ".join(by_weight[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=10_000)
    parser.add_argument("--topics", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=2_000)
    args = parser.parse_args()
    rng = random.Random(14)
    with tempfile.TemporaryDirectory() as folder:
        agenda = load_agenda(generate(Path(folder), args.meetings, args.topics))
    ours, ours_build = timed(lambda: SearchIndex(agenda))
    fts, fts_build = timed(lambda: Fts5Index(agenda))
    queries = searches(agenda, args.rounds, rng)
    # As the bot does once started: what was built lives as long as the process, and a full
    # collection scanning it (a third of a second here) would land in whichever query set it off.
    gc.collect()
    gc.freeze()
    print(
        f"{len(agenda.meetings)} meetings, {len(agenda.topics)} topics; "
        f"{len(queries)} queries of 1-3 words, a fifth with a letter dropped\n"
    )
    results = {}
    for label, build, search in (
        ("ours", ours_build, lambda q: [(h.kind, h.id) for h in ours.search(q).hits]),
        ("FTS5", fts_build, fts.search),
    ):
        samples, answers = [], []
        for query in queries:
            start = time.perf_counter()
            found = search(query)
            samples.append(time.perf_counter() - start)
            answers.append(found)
        results[label] = (samples, answers)
        hit = sum(1 for a in answers if a)
        print(
            f"{label:<5} build {build:6.2f} s   {latency(samples)}   "
            f"found something for {hit}/{len(queries)}"
        )
    same = sum(
        1
        for a, b in zip(results["ours"][1], results["FTS5"][1], strict=True)
        if a and b and a[0] == b[0]
    )
    both = sum(1 for a, b in zip(results["ours"][1], results["FTS5"][1], strict=True) if a and b)
    p99 = {k: sorted(v[0])[min(len(v[0]) - 1, int(len(v[0]) * 0.99))] for k, v in results.items()}
    print(
        f"\nsame first hit where both found something: {same}/{both}\n"
        f"p99 ours / FTS5: {p99['ours'] / p99['FTS5']:.2f}"
    )


if __name__ == "__main__":
    main()
