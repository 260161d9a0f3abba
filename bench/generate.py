"""A large synthetic agenda (in the bundled format) for benchmarks: N meetings, M topics."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

ZONES = [
    "Europe/Brussels",
    "America/Cancun",
    "Africa/Nairobi",
    "Africa/Lome",
    "America/Santo_Domingo",
    "Asia/Tokyo",
    "Pacific/Auckland",
    "America/Bogota",
    "Europe/Stockholm",
    "Asia/Kolkata",
]
WORDS = [
    "customs",
    "trade",
    "facilitation",
    "digital",
    "printing",
    "passenger",
    "data",
    "kyoto",
    "convention",
    "brokers",
    "performance",
    "measurement",
    "enforcement",
    "security",
    "risk",
    "management",
    "single",
    "window",
    "origin",
    "valuation",
    "tariff",
    "classification",
    "harmonized",
    "system",
    "commerce",
    "integrity",
    "capacity",
    "building",
    "drones",
    "tobacco",
    "counterfeit",
    "transit",
    "cooperation",
    "tax",
    "exchange",
    "border",
    "agency",
    "coordination",
    "revenue",
    "compliance",
    "audit",
    "laboratory",
    "training",
    "rules",
    "intellectual",
    "property",
    "cultural",
    "objects",
    "wildlife",
    "weapons",
    "precursors",
    "cash",
    "smuggling",
    "maritime",
    "container",
    "air",
    "cargo",
    "postal",
    "express",
    "consignments",
    "statistics",
    "research",
    "innovation",
    "blockchain",
    "biometrics",
    "analytics",
]
KINDS = ["session", "session", "session", "workshop", "conference", "joint-session", "milestone"]
STATUSES = ["planned", "tentative", "confirmed", "held", "postponed", "cancelled"]


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def generate(
    target: Path,
    meetings: int = 10_000,
    topics: int = 1_000,
    seed: int = 7,
    revisions: int = 1,
    people: int | None = None,
) -> Path:
    """`revisions` > 1: each meeting is announced a while before it starts and changes
    `revisions - 1` times after (dates, venue, status), each change known on a later day.
    `people`: how many people with one to three roles each (a tenth of the meetings if None)."""
    rng = random.Random(seed)
    changes = random.Random(seed + 1)  # apart, so that the rest is the same with or without
    target.mkdir(parents=True, exist_ok=True)
    (target / "agenda.toml").write_text(
        '[dataset]\nname = "Synthetic agenda"\norganisation = "Bench"\n'
        'updated = 2020-01-01T00:00:00Z\nuid_domain = "bench.invalid"\nas_of = 2020-01-01\n',
        encoding="utf-8",
    )
    bodies = [f"body-{i}" for i in range(50)]
    lines = []
    for i, body in enumerate(bodies):
        name = " ".join(rng.sample(WORDS, 2)).title() + f" Committee {i}"
        lines += [
            "[[body]]",
            f'id = "{body}"',
            f"name = {quote(name)}",
            f'acronym = "B{i}C"',
            f'aliases = ["committee {i}"]',
            "",
        ]
    (target / "bodies.toml").write_text("\n".join(lines), encoding="utf-8")
    topic_ids = [f"topic-{i}" for i in range(topics)]
    lines = []
    for i, topic in enumerate(topic_ids):
        name = " ".join(rng.sample(WORDS, 3)).capitalize() + f" {i}"
        alias = " ".join(rng.sample(WORDS, 2)) + f" {i}"
        summary = " ".join(rng.choices(WORDS, k=40)).capitalize() + "."
        lines += [
            "[[topic]]",
            f'id = "{topic}"',
            f"name = {quote(name)}",
            f"aliases = [{quote(alias)}]",
            f"keywords = [{quote(rng.choice(WORDS))}]",
            f"summary = {quote(summary)}",
            f'bodies = ["{rng.choice(bodies)}"]',
            'sources = [{ title = "Source", url = "https://example.org/t" }]',
            "",
        ]
    (target / "topics.toml").write_text("\n".join(lines), encoding="utf-8")
    lines = []
    start = date(2015, 1, 1)
    for i in range(meetings):
        day = start + timedelta(days=rng.randrange(365 * 20))
        roll = rng.random()
        if roll < 0.88:
            last = day + timedelta(days=rng.randrange(4))
            when = f"start = {day.isoformat()}\nend = {last.isoformat()}"
        elif roll < 0.93:
            hour = rng.randrange(8, 17)
            when = f"start = {day.isoformat()}T{hour:02d}:00:00\nend = {day.isoformat()}T18:00:00"
        elif roll < 0.96:
            when = f'start = "{day:%Y-%m}"'
        elif roll < 0.98:
            when = f'start = "{day.year}"'
        else:
            when = ""
        status = rng.choice(STATUSES) if when else "planned"
        body = rng.choice(bodies)
        title = " ".join(rng.sample(WORDS, 3)).title() + f", {i}th Session"
        chosen = rng.sample(topic_ids, rng.randrange(1, 4))
        summary = " ".join(rng.choices(WORDS, k=30)).capitalize() + "."
        lines += [
            "[[meeting]]",
            f'id = "m-{i}"',
            f"title = {quote(title)}",
            f'bodies = ["{body}"]',
            f'kind = "{rng.choice(KINDS)}"',
            f"sessions = [{i + 1}]",
            when,
            f'timezone = "{rng.choice(ZONES)}"',
            f'venue = "City {i % 300}"',
            f'status = "{status}"',
            f"topics = [{', '.join(quote(t) for t in chosen)}]",
            f"summary = {quote(summary)}",
            f'sources = [{{ title = "Minutes {i}", url = "https://example.org/m/{i}" }}]',
        ]
        if revisions > 1:
            lines += _history(changes, day, revisions - 1, bool(when))
        lines.append("")
    (target / "meetings.toml").write_text("\n".join(lines), encoding="utf-8")
    count = meetings // 10 if people is None else people
    if count and meetings:
        text = _people(random.Random(seed + 2), count, meetings, topic_ids)
        (target / "people.toml").write_text(text, encoding="utf-8")
    (target / "ladders.toml").write_text(
        '[ladders]\ndefault = ["1d"]\nconference = ["30d", "7d", "1d"]\nsession = ["7d", "1d"]\n'
        'workshop = ["3d", "1d"]\n',
        encoding="utf-8",
    )
    return target


def _history(rng: random.Random, day: date, count: int, dated: bool) -> list[str]:
    """An announcement 30 to 400 days before the meeting, then `count` later changes."""
    known = day - timedelta(days=rng.randrange(30, 400))
    lines = [f"announced = {known.isoformat()}"]
    for number in range(count):
        known += timedelta(days=rng.randrange(1, 20))
        lines += ["", "[[meeting.history]]", f"known = {known.isoformat()}"]
        choice = number % 3
        if choice == 0 and dated:
            moved = day + timedelta(days=rng.randrange(-3, 4))
            lines.append(f"start = {moved.isoformat()}")
        elif choice == 1:
            lines.append(f'venue = "City {rng.randrange(300)}, room {number}"')
        else:
            lines.append(f'summary = "Revised summary {number}."')
        lines.append(f'note = "change {number + 1}"')
    return lines


NAMES = ["Ana", "Rob", "Kim", "Lena", "Omar", "Yuki", "Paulo", "Ines", "Tariq", "Mei", "Jon", "Ada"]
FAMILIES = ["Van Dijk", "Okafor", "Tanaka", "Silva", "Haddad", "Novak", "Larsen", "Mensah", "Zhu"]
DEEDS = ["chaired", "opened", "presented", "reported", "was elected Vice-Chair"]


def _people(rng: random.Random, count: int, meetings: int, topic_ids: list[str]) -> str:
    """People, each with a name, another spelling, a country and one to three roles."""
    lines = []
    for i in range(count):
        name = f"{rng.choice(NAMES)} {rng.choice(FAMILIES)} {i}"
        lines += [
            "[[person]]",
            f'id = "p-{i}"',
            f"name = {quote(name)}",
            f"aliases = [{quote(' '.join(reversed(name.split())))}]",
            f'country = "Country {i % 150}"',
            "",
        ]
        for _ in range(rng.randrange(1, 4)):
            what = " ".join(rng.choices(WORDS, k=8))
            lines += [
                "[[person.roles]]",
                f"did = {quote(rng.choice(DEEDS))}",
                f"what = {quote(what)}",
                f'meeting = "m-{rng.randrange(meetings)}"',
                f"topic = {quote(rng.choice(topic_ids))}" if topic_ids else "",
                "known = 2020-01-01",
                'sources = [{ title = "Report", url = "https://example.org/p" }]',
                "",
            ]
    return "\n".join(lines)
