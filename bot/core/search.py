"""Full-text search across meetings, topics and people, ranked by relevance (BM25 with field
weights)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import repeat
from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz

from .model import Agenda, Meeting, Person, Topic
from .model import Kind as MeetingKind
from .postings import Fields, Postings
from .ranking import Posting, best_of, final_scores, ranked, scored, universe
from .text import STOPWORDS, names_each, tokens

MAX_RESULTS = 50
Kind = Literal["meeting", "topic", "person"]
_new_tuple = tuple.__new__


class Hit(NamedTuple):
    """A tuple rather than a frozen dataclass: a search makes up to 50 of them, and a tuple is
    made in about half the time (its fields are read the same way)."""

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
        ids: list[str] = []  # each document's id, in the order numbered: meetings, topics, people
        postings = Postings()
        # Each document's names and aliases, gathered as its words are: a second walk over a
        # large agenda's meetings, in their order and not in memory's, cost a tenth as much.
        names: list[str] = []
        owners: list[int] = []
        # A body's names, as a meeting's fields join them: made once, not once per meeting.
        named = {body_id: " ".join(body.names) for body_id, body in agenda.bodies.items()}
        for meeting in agenda.meetings.values():
            doc = len(ids)
            ids.append(meeting.id)
            postings.add_texts(*_meeting_texts(agenda, meeting, named))
            names.append(meeting.title)
            owners.append(doc)
            for alias in meeting.aliases:
                names.append(alias)
                owners.append(doc)
        for topic in agenda.topics.values():
            _add(postings, topic, _topic_fields(agenda, topic), ids, names, owners)
        for person in agenda.people.values():
            _add(postings, person, _person_fields(agenda, person), ids, names, owners)
        self._postings = postings.weights()
        # Each document's kind and id, in arrays: a search takes its hits' from them at once.
        # Read from a pair per document, one place in memory apiece, they were a third of a
        # search in the bot, whose searches find them out of the cache; and the pairs, kept
        # beside the arrays, cost a large agenda 64 bytes a document more (6 MB at 100,000).
        kinds: list[Kind] = ["meeting", "topic", "person"]
        counts = [len(agenda.meetings), len(agenda.topics), len(agenda.people)]
        self._kinds = np.repeat(np.array(kinds, dtype=object), counts)
        self._ids = np.array(ids, dtype=object)
        self._vocabulary = sorted(self._postings)
        # Built with the index, where the agenda is loaded (a worker thread, then the cache):
        # built at the first misspelled search, it held up every command on the event loop.
        self._speller = _Speller(self._vocabulary)
        # A query that is exactly a document's name or alias ("kyoto convention") means it:
        # the document, or the documents (a tuple) when several have that name, or one has it
        # twice. A tuple for every name, or a list while they were gathered, cost a large
        # agenda megabytes; most names are one document's.
        self._names: dict[str, int | tuple[int, ...]] = {}
        more: dict[str, list[int]] = {}  # the names of more than one document, and theirs
        for doc, name in zip(owners, names_each(names), strict=True):
            if name in self._names:
                more.setdefault(name, [self._names[name]]).append(doc)  # type: ignore[list-item]
            else:
                self._names[name] = doc
        for name, docs in more.items():
            self._names[name] = tuple(docs)

    def search(
        self, query: str, limit: int | None = MAX_RESULTS, every_word: bool = False
    ) -> SearchResult:
        """The best `limit` documents for the query's words (None: every one found); with
        `every_word`, only those that have every word (or a completion or correction of it)."""
        words = tokens(query)
        typed = [t for t in dict.fromkeys(words) if t not in STOPWORDS] or words
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
        lists: list[list[Posting]] = [
            [self._postings[o] for o in options] for options in expansions
        ]
        phrases = {" ".join(words), " ".join(terms)}
        named = [doc for phrase in phrases for doc in self._named(phrase)]
        docs, lists, named = universe(lists, named, len(self._ids))
        count = len(self._ids) if docs is None else len(docs)
        scores, matched = scored(lists, count)
        wanted = max(1, len(expansions))
        if named:
            top = float(scores.max()) if count else 0.0
            for doc in named:
                scores[doc] += top
                matched[doc] = max(matched[doc], wanted)
        if every_word:
            # Documents that contain every word rank above those that contain some.
            final = final_scores(scores, matched, wanted)
            candidates = np.flatnonzero(matched >= wanted)
            if limit is not None and len(candidates) > limit:
                candidates = best_of(candidates, final[candidates], limit)
            # Best first, then in document order, as `ranked` gives them.
            values = final[candidates]
            order = np.lexsort((candidates, -values))
            best, values = candidates[order], values[order]
        else:
            best, values = ranked(scores, matched, wanted, limit)
        chosen = best if docs is None else docs[best]
        # As Python floats: reading numpy scalars one by one costs more than the ranking.
        # Each hit is a document's kind, id and score, made as a tuple of the class: a call
        # of Hit per hit, with its keywords, cost a quarter more.
        kinds, ids = self._kinds[chosen].tolist(), self._ids[chosen].tolist()
        made = zip(kinds, ids, rounded_scores(values), strict=True)
        hits = tuple(map(_new_tuple, repeat(Hit), made))
        return SearchResult(query, tuple(terms), corrected, hits)

    def _named(self, phrase: str) -> tuple[int, ...]:
        """The documents that have `phrase` as their name or an alias, each as often as it does."""
        found = self._names.get(phrase, ())
        return (found,) if type(found) is int else found  # type: ignore[return-value]

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


def _add(
    postings: Postings,
    item: Topic | Person,
    fields: Fields,
    ids: list[str],
    names: list[str],
    owners: list[int],
) -> None:
    """A topic's or a person's document: numbered next, its words and its names added."""
    doc = len(ids)
    ids.append(item.id)
    postings.add(fields)
    for name in item.names:
        names.append(name)
        owners.append(doc)


def rounded_scores(values: npt.NDArray[np.float64]) -> list[float]:
    """round(x, 4) of each value, to the last bit, made by numpy where that is sure (a round
    each cost a tenth of a search). Python's is the double nearest n / 10**4, n the integer
    nearest to x * 10**4 exactly (half to even). Below 2**52 every point halfway between two
    integers is a double, and rounding keeps order: x * 1e4 as numpy multiplies it is on the
    same side of each as the exact product, or on it. Where it is not on one (nor within
    _HALFWAY, a margin besides), its nearest integer (rint) is n, and n / 1e4, one division
    of exact numbers rounded once, is that double. Elsewhere each is rounded by Python."""
    if len(values) and np.abs(values).max() < 1e5:  # and not NaN: 1e9 once scaled
        scaled = values * 1e4
        near = np.rint(scaled)
        off = scaled - near
        np.abs(off, out=off)
        if off.max() < 0.5 - _HALFWAY:
            near /= 1e4
            exact: list[float] = near.tolist()
            return exact
    return list(map(round, values.tolist(), repeat(4)))


_HALFWAY = 1e-6


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


def _meeting_fields(agenda: Agenda, meeting: Meeting) -> Fields:
    parts = [(meeting.title, 3), (meeting.id.replace("-", " "), 2), (meeting.venue, 2)]
    parts += [(alias, 2) for alias in meeting.aliases]
    parts += [(meeting.summary, 1)]
    parts += [(meeting.confidence, 1), (meeting.outcome, 1)]  # read on its page, so searched
    parts += [(" ".join(str(n) for n in meeting.sessions), 2)]
    parts.append((meeting.kind.label, 1))
    for body_id in meeting.bodies:
        body = agenda.bodies.get(body_id)
        if body is not None:
            parts += [(name, 1) for name in body.names]
    for topic_id in meeting.topics:
        topic = agenda.topics.get(topic_id)
        if topic is not None:
            parts.append((topic.name, 1))
    return parts


_KIND_LABELS = {kind: kind.label for kind in MeetingKind}


def _meeting_texts(
    agenda: Agenda, meeting: Meeting, named: Mapping[str, str]
) -> tuple[str, str, str]:
    """_meeting_fields joined by weight, the same strings, made without a list of pairs for
    each meeting (a tenth of building a large agenda's index); `named` holds each body's names
    joined."""
    middle = " ".join(
        (
            meeting.id.replace("-", " "),
            meeting.venue,
            *meeting.aliases,
            " ".join(map(str, meeting.sessions)),
        )
    )
    rest = [meeting.summary, meeting.confidence, meeting.outcome, _KIND_LABELS[meeting.kind]]
    rest += [named[body_id] for body_id in meeting.bodies if body_id in named]
    topics = agenda.topics
    rest += [topics[topic_id].name for topic_id in meeting.topics if topic_id in topics]
    return meeting.title, middle, " ".join(rest)


def _topic_fields(agenda: Agenda, topic: Topic) -> Fields:
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


def _person_fields(agenda: Agenda, person: Person) -> Fields:
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
