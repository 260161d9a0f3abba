"""Finding things by the names people actually type: aliases, acronyms, accents and typos."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from .text import STOPWORDS, names_each, normalize

# Scores are rapidfuzz's 0-100 similarity; an exact (normalised) name scores 101 so it always wins.
EXACT = 101.0
CONFIDENT = 86.0
SUGGEST = 55.0
_WORD_CANDIDATE_LIMIT = 400


@dataclass(frozen=True, slots=True)
class Ranked:
    id: str
    score: float
    name: str  # the (normalised) name that matched


class NameIndex:
    """Names of items (id, name) answering "which item does this text mean?", best first.

    Exact normalised names are a dict hit. Otherwise every query word (spelling-corrected against
    the index's vocabulary, or completed as a prefix) narrows the candidates, which are scored with
    rapidfuzz; a cheap whole-string ratio over all names catches typos that break words apart.
    """

    def __init__(self, entries: Iterable[tuple[str, str]]) -> None:
        owners: dict[str, list[str]] = {}
        pairs = list(entries)
        keys = names_each([name for _, name in pairs])  # normalize(name) of each
        for (item_id, _), key in zip(pairs, keys, strict=True):
            if key and item_id not in owners.setdefault(key, []):
                owners[key].append(item_id)
        self._exact = {key: tuple(ids) for key, ids in owners.items()}
        self._names: list[str] = list(self._exact)
        self._owners: list[tuple[str, ...]] = [self._exact[name] for name in self._names]
        words: dict[str, list[int]] = {}
        for index, name in enumerate(self._names):
            for word in name.split():
                found = words.setdefault(word, [])
                if not found or found[-1] != index:  # a word twice in one name: once
                    found.append(index)
        # Tuples: most words are in one name (an id's number), and a set each cost four times
        # the memory (a tenth of a large agenda's).
        self._words = {word: tuple(found) for word, found in words.items()}
        self._vocabulary = sorted(words)

    def __len__(self) -> int:
        return len(self._names)

    def exact(self, query: str) -> tuple[str, ...]:
        return self._exact.get(normalize(query), ())

    def rank(self, query: str, limit: int = 8) -> list[Ranked]:
        key = normalize(query)
        if not key:
            return []
        best: dict[str, Ranked] = {}

        def offer(index: int, score: float) -> None:
            for item_id in self._owners[index]:
                current = best.get(item_id)
                if current is None or score > current.score:
                    best[item_id] = Ranked(item_id, score, self._names[index])

        if key in self._exact:
            for item_id in self._exact[key]:
                best[item_id] = Ranked(item_id, EXACT, key)
        words = [self._correct(word) for word in key.split()]
        candidates = self._candidates([w for w in words if w])
        # A name matches what was typed only as far as it has the typed words: "Pacific Customs
        # Forum" shares one word of three with "Customs Co-operation Council", and is not it.
        typed = [w for w in key.split() if w not in STOPWORDS] or key.split()
        found = [w for w, options in zip(key.split(), words, strict=True) if options and w in typed]
        coverage = len(found) / len(typed)
        if candidates:
            corrected = " ".join(w[0] if w else "" for w in words).strip()
            subset = [self._names[i] for i in candidates]
            for _, score, position in process.extract(
                corrected, subset, scorer=fuzz.WRatio, limit=limit * 3, score_cutoff=SUGGEST
            ):
                # A corrected spelling is a guess: keep it just below an exact hit.
                offer(candidates[position], min(float(score), 99.0) * coverage)
        for _, score, index in process.extract(
            key, self._names, scorer=fuzz.QRatio, limit=limit, score_cutoff=70
        ):
            offer(index, float(score))
        ranked = sorted(best.values(), key=lambda r: (-r.score, r.name, r.id))
        return ranked[:limit]

    def _correct(self, word: str) -> tuple[str, ...]:
        """Vocabulary words a query word may mean: itself, its completions, or a near spelling."""
        if word in self._words:
            return (word,)
        if len(word) >= 3:
            start = bisect_left(self._vocabulary, word)
            completions = []
            for candidate in self._vocabulary[start : start + 20]:
                if not candidate.startswith(word):
                    break
                completions.append(candidate)
            if completions:
                return tuple(completions)
        if len(word) >= 4:
            found = process.extractOne(word, self._vocabulary, scorer=fuzz.ratio, score_cutoff=75)
            if found:
                return (found[0],)
        return ()

    def _candidates(self, words: Sequence[tuple[str, ...]]) -> list[int]:
        if not words:
            return []
        sets = []
        for options in words:
            union: set[int] = set()
            for option in options:
                union.update(self._words[option])
            sets.append(union)
        sets.sort(key=len)
        result = set(sets[0])
        for other in sets[1:]:
            narrowed = result & other
            if narrowed:
                result = narrowed
        return sorted(result)[:_WORD_CANDIDATE_LIMIT]


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a name resolved to: `found` when one item is clearly meant, otherwise suggestions."""

    query: str
    found: str | None
    suggestions: tuple[str, ...] = ()


def decide(query: str, ranked: Sequence[Ranked], suggestions: int = 5) -> Resolution:
    """One clear winner, or the closest names to offer instead."""
    if not ranked:
        return Resolution(query, None)
    top = ranked[0]
    runner_up = ranked[1].score if len(ranked) > 1 else 0.0
    clear = top.score >= EXACT and runner_up < EXACT
    clear = clear or (top.score >= CONFIDENT and top.score - runner_up >= 4)
    if clear:
        return Resolution(query, top.id, tuple(r.id for r in ranked[1:suggestions]))
    return Resolution(query, None, tuple(r.id for r in ranked[:suggestions] if r.score >= SUGGEST))


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest choice, or '' when nothing is close."""
    options = list(choices)
    if not options:
        return ""
    found = process.extractOne(word, options, scorer=fuzz.ratio, score_cutoff=60)
    return f" (did you mean '{found[0]}'?)" if found else ""
