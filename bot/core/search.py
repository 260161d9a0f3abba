"""Full-text search across meetings, topics and people, ranked by relevance (BM25 with field
weights)."""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz

from .model import Agenda, Meeting, Person, Topic
from .text import STOPWORDS, tokens

_K1 = 1.2
_B = 0.75
MAX_RESULTS = 50
IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]
Kind = Literal["meeting", "topic", "person"]


@dataclass(frozen=True, slots=True)
class Hit:
    kind: Kind
    id: str
    score: float


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    terms: tuple[str, ...]  # the words searched for, after spelling correction
    corrected: dict[str, str]  # typed word -> the word searched instead
    hits: tuple[Hit, ...]


class SearchIndex:
    def __init__(self, agenda: Agenda) -> None:
        self._docs: list[tuple[Kind, str]] = []
        postings = _Postings()
        for meeting in agenda.meetings.values():
            self._docs.append(("meeting", meeting.id))
            postings.add(_weighted(_meeting_fields(agenda, meeting)))
        for topic in agenda.topics.values():
            self._docs.append(("topic", topic.id))
            postings.add(_weighted(_topic_fields(agenda, topic)))
        for person in agenda.people.values():
            self._docs.append(("person", person.id))
            postings.add(_weighted(_person_fields(agenda, person)))
        self._postings = postings.weights()
        self._vocabulary = sorted(self._postings)
        self._speller = _Speller(self._vocabulary)
        # A query that is exactly a document's name or alias ("kyoto convention") means it.
        self._names: dict[str, list[int]] = {}
        items: dict[Kind, Mapping[str, Meeting | Topic | Person]] = {
            "meeting": agenda.meetings,
            "topic": agenda.topics,
            "person": agenda.people,
        }
        for doc, (kind, item_id) in enumerate(self._docs):
            for name in items[kind][item_id].names:
                self._names.setdefault(" ".join(tokens(name)), []).append(doc)

    def search(
        self, query: str, limit: int | None = MAX_RESULTS, every_word: bool = False
    ) -> SearchResult:
        """The best `limit` documents for the query's words (None: every one found); with
        `every_word`, only those that have every word (or a completion or correction of it)."""
        typed = [t for t in dict.fromkeys(tokens(query)) if t not in STOPWORDS] or tokens(query)
        corrected: dict[str, str] = {}
        terms: list[str] = []
        expansions: list[tuple[str, ...]] = []
        for word in typed[:12]:
            options = self._expand(word)
            if not options:
                continue
            if options[0] != word:
                corrected[word] = options[0]
            terms.append(options[0])
            expansions.append(options)
        count = len(self._docs)
        scores = np.zeros(count)
        matched = np.zeros(count)
        for options in expansions:
            if len(options) == 1:  # most words: one posting list, added where it is
                ids, weights = self._postings[options[0]]
                scores[ids] += weights
                matched[ids] += 1
                continue
            # A word and its completions count once per document, at the best of their weights.
            best = np.zeros(count)
            for option in options:
                ids, weights = self._postings[option]
                best[ids] = np.maximum(best[ids], weights)
            scores += best
            matched += best > 0
        wanted = max(1, len(expansions))
        top = float(scores.max()) if count else 0.0
        for phrase in {" ".join(tokens(query)), " ".join(terms)}:
            for doc in self._names.get(phrase, ()):
                scores[doc] += top
                matched[doc] = max(matched[doc], wanted)
        # Documents that contain every word rank above those that contain some.
        final = scores * matched / wanted
        candidates = np.flatnonzero((matched >= wanted) if every_word else (final > 0))
        if limit is not None and len(candidates) > limit:
            cut = np.argpartition(-final[candidates], limit - 1)[:limit]
            candidates = candidates[cut]
        # As Python floats: reading numpy scalars one by one costs more than the ranking.
        found = zip(final[candidates].tolist(), candidates.tolist(), strict=True)
        ranked = sorted(found, key=lambda item: (-item[0], item[1]))
        docs = self._docs
        hits = tuple(Hit(docs[doc][0], docs[doc][1], round(score, 4)) for score, doc in ranked)
        return SearchResult(query, tuple(terms), corrected, hits)

    def _expand(self, word: str) -> tuple[str, ...]:
        """The indexed words a query word stands for: itself, then its completions, then the
        closest spelling (so 'print' finds 'printing' and 'kyotto' finds 'kyoto')."""
        found: list[str] = [word] if word in self._postings else []
        if len(word) >= 3:
            start = bisect_left(self._vocabulary, word)
            for candidate in self._vocabulary[start : start + 8]:
                if not candidate.startswith(word):
                    break
                if candidate != word:
                    found.append(candidate)
        if not found and len(word) >= 4:
            close = self._speller.correct(word)
            if close:
                found.append(close)
        return tuple(found)


class _Speller:
    """The indexed word a mistyped one stands for: one letter dropped, added, changed or two
    swapped. Every word and each of its one-letter deletions is a key, so a lookup costs a few
    dict probes, however large the agenda (a scan of the vocabulary grew with it). Words with
    digits (ids, numbers, session numbers) are not corrected to: a typo there is another number.
    """

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self._by_deletion: dict[str, list[str]] = {}
        for word in vocabulary:
            if len(word) < 3 or not word.isalpha():
                continue
            for key in {word, *_deletions(word)}:
                self._by_deletion.setdefault(key, []).append(word)

    def correct(self, word: str) -> str | None:
        """The closest word (fuzz.ratio at least 78), the first in alphabetical order on a tie."""
        candidates: set[str] = set()
        for key in (word, *_deletions(word)):
            candidates.update(self._by_deletion.get(key, ()))
        scored = [(-fuzz.ratio(word, c), c) for c in candidates]
        best = min(scored, default=None)
        return best[1] if best is not None and -best[0] >= 78 else None


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class _Postings:
    """(term, document, count) triples in compact arrays, then BM25 weights grouped by term.

    Documents are added one at a time so that only their term counts, not every document's,
    are alive at once: building the index of a large agenda stays small.
    """

    def __init__(self) -> None:
        self.term_ids: dict[str, int] = {}
        self.terms = array("i")
        self.docs = array("i")
        self.counts = array("i")
        self.size = 0

    def add(self, counts: Counter[str]) -> None:
        ids = self.term_ids
        terms = [ids.setdefault(term, len(ids)) for term in counts]
        self.terms.extend(terms)
        self.docs.extend(array("i", (self.size,)) * len(terms))
        self.counts.extend(counts.values())
        self.size += 1

    def weights(self) -> dict[str, tuple[IntArray, FloatArray]]:
        if not self.terms:
            return {}
        term_of = np.frombuffer(self.terms, dtype=np.int32)
        doc_of = np.frombuffer(self.docs, dtype=np.int32)
        tf_of = np.frombuffer(self.counts, dtype=np.int32).astype(np.float64)
        lengths = np.bincount(doc_of, weights=tf_of, minlength=self.size)
        norm = _K1 * (1 - _B + _B * lengths / lengths.mean())
        df = np.bincount(term_of, minlength=len(self.term_ids)).astype(np.float64)
        idf = np.log(1 + (self.size - df + 0.5) / (df + 0.5))
        weight = idf[term_of] * tf_of * (_K1 + 1) / (tf_of + norm[doc_of])
        order = np.argsort(term_of, kind="stable")
        bounds = np.searchsorted(term_of[order], np.arange(len(self.term_ids) + 1))
        docs_sorted, weights_sorted = doc_of[order].copy(), weight[order]
        return {
            name: (
                docs_sorted[bounds[i] : bounds[i + 1]],
                weights_sorted[bounds[i] : bounds[i + 1]],
            )
            for i, name in enumerate(self.term_ids)
        }


def _weighted(parts: Iterable[tuple[str, int]]) -> Counter[str]:
    """Term counts of a document, each field's words counted `weight` times."""
    by_weight: dict[int, list[str]] = {}
    for text, weight in parts:
        if text:
            by_weight.setdefault(weight, []).append(text)
    counts: Counter[str] = Counter()
    for weight, texts in by_weight.items():
        found = Counter(tokens(" ".join(texts)))  # counted in C
        for token, times in found.items():
            if token not in STOPWORDS:
                counts[token] += times * weight
    return counts


def _meeting_fields(agenda: Agenda, meeting: Meeting) -> list[tuple[str, int]]:
    parts = [(meeting.title, 3), (meeting.id.replace("-", " "), 2), (meeting.venue, 2)]
    parts += [(alias, 2) for alias in meeting.aliases]
    parts += [(meeting.summary, 1), (meeting.kind.label, 1)]
    parts += [(meeting.confidence, 1), (meeting.outcome, 1)]  # read on its page, so searched
    parts += [(" ".join(str(n) for n in meeting.sessions), 2)]
    for body_id in meeting.bodies:
        body = agenda.bodies.get(body_id)
        if body is not None:
            parts += [(name, 1) for name in body.names]
    for topic_id in meeting.topics:
        topic = agenda.topics.get(topic_id)
        if topic is not None:
            parts.append((topic.name, 1))
    return parts


def _topic_fields(agenda: Agenda, topic: Topic) -> list[tuple[str, int]]:
    parts = [(topic.name, 3)]
    parts += [(alias, 2) for alias in topic.aliases]
    parts += [(keyword, 2) for keyword in topic.keywords]
    parts += [(topic.summary, 1), (topic.confidence, 1)]
    parts += [(who, 1) for who in topic.involved]
    for body_id in topic.bodies:
        body = agenda.bodies.get(body_id)
        if body is not None:
            parts.append((body.acronym or body.name, 1))
    return parts


# The WCO works in English and French: "qui a présidé le CTP" finds who chaired it.
_DEEDS_IN_FRENCH = {
    "chaired": "présidé présidée",
    "opened": "ouvert ouverte",
    "presented": "présenté présentée",
    "reported": "rendu compte",
}


def _person_fields(agenda: Agenda, person: Person) -> list[tuple[str, int]]:
    """A name beats a passing mention: the name weighs as a title, other spellings as aliases."""
    parts = [(person.name, 3), *((alias, 2) for alias in person.aliases)]
    parts += [(person.country, 1), (person.summary, 1)]
    for role in person.roles:
        parts += [(role.did, 2), (_DEEDS_IN_FRENCH.get(role.did, ""), 2)]
        parts += [(role.what, 1), (role.position, 1), (role.confidence, 1)]
        meeting = agenda.meetings.get(role.meeting)
        if meeting is not None:
            parts += [(name, 1) for name in meeting.names]
        topic = agenda.topics.get(role.topic or "")
        if topic is not None:
            parts.append((topic.name, 1))
    return parts
