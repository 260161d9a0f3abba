"""Issue 16: the faster ways of loading an agenda and building its search index give what the
plain ways gave (kept here as the reference)."""

import copy
import mmap
import re
from collections import Counter
from datetime import UTC, date, datetime, time
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bench.generate import generate
from bot.core import DataSetError, build_agenda
from bot.core import postings as postings_module
from bot.core.entries import _PLAIN_WEB_ADDRESS
from bot.core.lookup import NameIndex
from bot.core.postings import WEIGHTS, Postings
from bot.core.search import SearchIndex, _meeting_fields, _person_fields, _topic_fields
from bot.core.text import (
    END,
    STOPWORDS,
    _without_ordinals,
    fold,
    names_each,
    normalize,
    tokens,
    tokens_of_each,
)
from bot.core.when import LocalTimeError, day_start, localize
from bot.service import BUNDLED_DATA, load_agenda
from bot.service.datafiles import _loads

_ORDINAL = re.compile(r"\b([0-9]+)(?:st|nd|rd|th)\b")
_TOKEN = re.compile(r"[0-9a-z]+")
_NON_WORD = re.compile(r"[^0-9a-z]+")

texty = st.text(
    alphabet=st.sampled_from(list("0123456789 stndrdth_-,.'éÉøßﬁ\u0301\u00a8aZ\t")), max_size=40
)


def reference_tokens(text: str) -> list[str]:
    return _TOKEN.findall(_ORDINAL.sub(r"\1", fold(text)))


def reference_weighted(parts: list[tuple[str, int]]) -> Counter[str]:
    """The search index's term counts before issue 16."""
    by_weight: dict[int, list[str]] = {}
    for text, weight in parts:
        if text:
            by_weight.setdefault(weight, []).append(text)
    counts: Counter[str] = Counter()
    for weight, texts in by_weight.items():
        for token, times in Counter(reference_tokens(" ".join(texts))).items():
            if token not in STOPWORDS:
                counts[token] += times * weight
    return counts


@given(texty)
def test_tokens_and_names_read_ordinals_as_before(text):
    assert tokens(text) == reference_tokens(text)
    folded = _ORDINAL.sub(r"\1", fold(text))
    assert normalize(text) == " ".join(_NON_WORD.sub(" ", folded).split())


class ReferencePostings:
    """The search index's postings before issue 16: a Counter per document, in Python."""

    def __init__(self) -> None:
        self.term_ids: dict[str, int] = {}
        self.terms: list[int] = []
        self.docs: list[int] = []
        self.counts: list[int] = []
        self.size = 0

    def add(self, fields: list[tuple[str, int]]) -> None:
        counts = reference_weighted(fields)
        for term, times in counts.items():
            self.terms.append(self.term_ids.setdefault(term, len(self.term_ids)))
            self.docs.append(self.size)
            self.counts.append(times)
        self.size += 1

    def weights(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        if not self.terms:
            return {}
        term_of = np.array(self.terms, dtype=np.int32)
        doc_of = np.array(self.docs, dtype=np.int32)
        tf_of = np.array(self.counts, dtype=np.int32).astype(np.float64)
        lengths = np.bincount(doc_of, weights=tf_of, minlength=self.size)
        norm = 1.2 * (1 - 0.75 + 0.75 * lengths / lengths.mean())
        df = np.bincount(term_of, minlength=len(self.term_ids)).astype(np.float64)
        idf = np.log(1 + (self.size - df + 0.5) / (df + 0.5))
        weight = idf[term_of] * tf_of * (1.2 + 1) / (tf_of + norm[doc_of])
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


def same_postings(documents: list[list[tuple[str, int]]], index: SearchIndex | None = None) -> None:
    reference, ours = ReferencePostings(), Postings()
    for fields in documents:
        reference.add(fields)
        ours.add(fields)
    expected = reference.weights()
    found = ours.weights() if index is None else index._postings
    assert found.keys() == expected.keys()
    for term, (docs, weights) in expected.items():
        assert found[term][0].tolist() == docs.tolist(), term
        assert found[term][1].tolist() == weights.tolist(), term  # to the last bit


fields = st.lists(st.tuples(texty, st.sampled_from(WEIGHTS)), max_size=6)


@given(st.lists(fields, min_size=1, max_size=12), st.integers(1, 5))
def test_postings_are_what_they_were(documents, batch):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(postings_module, "_BATCH", batch)
        same_postings(documents)


def test_every_document_of_a_generated_agenda_has_the_postings_it_had(tmp_path):
    agenda = load_agenda(generate(tmp_path / "data", 600, 60, revisions=2, people=40))
    bundled = load_agenda(BUNDLED_DATA)
    for each in (agenda, bundled):
        documents = [_meeting_fields(each, m) for m in each.meetings.values()]
        documents += [_topic_fields(each, t) for t in each.topics.values()]
        documents += [_person_fields(each, p) for p in each.people.values()]
        same_postings(documents)
        same_postings(documents, SearchIndex(each))
    index = SearchIndex(bundled)
    assert index.search("211th PTC").hits == index.search("211 ptc").hits


def test_a_word_counted_more_often_than_two_bytes_hold_is_weighed_as_before():
    # Counts wait to be weighed in two bytes each where they fit: these do not.
    same_postings([[("a " * 22_000, 3), ("b", 1)], [("a b", 1)], [("b " * 70_000, 1)]])


def test_postings_waiting_to_be_weighed_take_eight_bytes_each():
    """Term, document and count: 12 bytes a posting were a tenth of a large agenda's peak."""
    postings = Postings()
    for number in range(3000):
        postings.add([(f"title {number} of meeting", 3), (f"summary words {number % 7}", 1)])
    postings._count()
    kept = sum(len(chunk[-1]) for chunk in postings.chunks)  # the counts, last
    arrays = [part for chunk in postings.chunks for part in chunk if isinstance(part, np.ndarray)]
    assert kept > 3000 * 5
    assert sum(part.nbytes for part in arrays) == 8 * kept


def test_postings_waiting_to_be_weighed_are_in_memory_of_their_own():
    """Taken from the heap, the memory they held stayed with the process once they were let
    go: a tenth of a large agenda's peak. Mapped for them, it is given back."""
    postings = Postings()
    for number in range(5000):
        postings.add([(f"title {number}", 3), ("" if number % 9 else "summary", 1)])
    postings._count()
    assert len(postings.chunks) > 1
    for _, *arrays in postings.chunks:
        assert {type(array.base.obj) for array in arrays} == {mmap.mmap}  # through a view
        assert all(array.flags.writeable and array.flags.aligned for array in arrays)
    same_postings([[(f"title {number}", 3)] for number in range(5000)])


def test_a_batch_of_more_documents_than_two_bytes_count_keeps_each_its_own_postings():
    """A batch's documents wait counted from its first, in two bytes each where they fit: a
    batch larger than that (_BATCH raised) wrapped round, its later documents taken for its
    first ones."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(postings_module, "_BATCH", 70_000)
        same_postings([[(f"doc {n % 7}", 1)] for n in range(66_000)] + [[("last one", 3)]])


_MAPS = Path("/proc/self/maps")


def _mapping_of(array: np.ndarray) -> str:
    """The permissions of the mapping (in /proc/self/maps) that holds `array`'s data."""
    address = array.__array_interface__["data"][0]
    with _MAPS.open() as maps:
        for line in maps:
            span, permissions = line.split()[:2]
            start, end = (int(bound, 16) for bound in span.split("-"))
            if start <= address < end:
                return permissions
    raise AssertionError("not mapped")


@pytest.mark.skipif(not _MAPS.exists(), reason="Linux's /proc only")
def test_postings_waiting_to_be_weighed_are_in_private_memory():
    """Mapped shared (mmap's default), a process forked while the index was built shared the
    postings' memory, and kept it after this one let it go."""
    postings = Postings()
    for number in range(3000):
        postings.add([(f"title {number}", 3)])
    postings._count()
    for _, *arrays in postings.chunks:
        assert all(_mapping_of(array)[3] == "p" for array in arrays)


def test_a_text_holding_the_end_mark_is_read_on_its_own():
    same_postings([[("a\x00b 2nd", 3), ("c", 1)], [("b", 1)], [("\x00", 2)]])


addresses = st.text(alphabet=st.sampled_from(list("hts:/pwxe.-[]@?#9 \t\nA%")), max_size=30)


@given(st.one_of(addresses, addresses.map(lambda rest: "https://" + rest)))
def test_an_address_taken_without_urlsplit_is_one_urlsplit_takes(value):
    if _PLAIN_WEB_ADDRESS.match(value):
        parts = urlsplit(value)
        assert parts.scheme in ("http", "https") and parts.netloc
        assert not any(c in value for c in " \n")


def test_entries_let_go_while_read_make_the_same_agenda():
    documents = {
        path.name: _loads(path.read_text(encoding="utf-8")) for path in BUNDLED_DATA.glob("*.toml")
    }
    kept = build_agenda(documents)
    released = build_agenda(documents, release=True)
    assert released == kept


def test_entries_let_go_while_read_get_the_same_messages():
    documents = {
        path.name: _loads(path.read_text(encoding="utf-8")) for path in BUNDLED_DATA.glob("*.toml")
    }
    first = documents["meetings.toml"]["meeting"][0]
    documents["meetings.toml"]["meeting"] += [
        dict(first),  # a duplicate id
        {**first, "id": "odd", "kind": "sesion", "timezone": "Europe/Brusels", "topics": ["x"]},
        {"title": "no id"},
    ]
    messages = []
    for release in (False, True):
        with pytest.raises(DataSetError) as raised:
            build_agenda(copy.deepcopy(documents), release=release)
        messages.append(str(raised.value))
    assert messages[0] == messages[1]
    assert "duplicate meeting id" in messages[0] and "meeting #" in messages[0]


@given(st.lists(st.one_of(texty, st.just("a\x00 1st")), max_size=8))
def test_texts_read_together_give_each_text_s_tokens_and_name(texts):
    assert names_each(texts) == [" ".join(reference_tokens(text)) for text in texts]
    assert names_each(texts) == [normalize(text) for text in texts]
    found = tokens_of_each(texts)
    if found is not None:
        each: list[list[str]] = [[]]
        for token in found:
            each.append([]) if token == END else each[-1].append(token)
        assert each == [*(reference_tokens(text) for text in texts), []]


@given(
    st.dates(min_value=date(1900, 1, 2), max_value=date(2200, 12, 30)),
    st.sampled_from(
        [
            "Europe/Brussels",
            "America/Santiago",  # midnight skipped by daylight saving
            "Asia/Beirut",
            "America/Havana",
            "Pacific/Apia",
            "Australia/Lord_Howe",
            "UTC",
            "America/Sao_Paulo",
            "Africa/Casablanca",
        ]
    ),
)
@example(date(2016, 8, 14), "America/Santiago")  # midnight skipped
@example(date(2016, 5, 15), "America/Santiago")  # midnight twice (clocks back at 24:00)
@example(date(2011, 12, 30), "Pacific/Apia")  # a day that never was
def test_a_day_starts_when_it_started_before(day, name):
    zone = ZoneInfo(name)
    wall = datetime.combine(day, time(0))
    try:
        expected = localize(wall, zone).astimezone(UTC)
    except LocalTimeError:
        expected = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    found = day_start(day, zone)
    assert found == expected and found.tzinfo is expected.tzinfo and found.fold == expected.fold


# Letters and digits of other scripts are word characters to the word boundary an ordinal needs.
next_to_digits = st.text(
    alphabet=st.sampled_from(list("0123456789 stndrdthx_-.ßé٣²\u0301\x00AZ\t")), max_size=30
)


@given(next_to_digits)
@example("1st 2nd_ 3rd٣ é4th ²5th 6th² 7th\u0301 _8th x9th 10th")
def test_ordinals_are_found_where_the_word_boundary_found_them(text):
    assert _without_ordinals(text) == _ORDINAL.sub(r"\1", text)


def former_tokens_of_each(texts: list[str]) -> list[str] | None:
    """tokens_of_each as it was before it read ASCII text by splitting."""
    joined = " \x00 ".join(map(fold, texts)) + " \x00"
    if joined.count(END) != len(texts):
        return None
    return re.findall(r"[0-9a-z\x00]+", _ORDINAL.sub(r"\1", joined))


@given(
    st.lists(
        st.one_of(st.text(alphabet=st.characters(max_codepoint=127), max_size=30), texty),
        max_size=8,
    )
)
@example([])
@example(["ℂ 1ST", "a\x00b"])
@example(["A\x1cb\x1fc\x0bd 2nd", "ﬁ 3rd"])
def test_texts_read_together_give_the_tokens_they_gave(texts):
    assert tokens_of_each(texts) == former_tokens_of_each(texts)


def test_the_agenda_is_in_the_order_its_former_sort_key_gave(tmp_path):
    import random

    agenda = load_agenda(generate(tmp_path / "data", 800, 40, revisions=2, people=20))
    meetings = list(agenda.meetings.values())
    shuffled = meetings[:]
    random.Random(3).shuffle(shuffled)
    shuffled.sort(key=lambda m: (m.when.sort_key(), m.title, m.id))  # before issue 16
    assert [m.id for m in shuffled] == [m.id for m in meetings]


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), texty), max_size=12))
@example([("a", "kyoto 2 kyoto"), ("b", "kyoto")])
def test_a_name_index_s_words_are_the_names_that_hold_them(entries):
    """Each word's names, kept as a tuple (a set each before issue 16): every name holding the
    word, once, in the order of the names."""
    index = NameIndex(entries)
    expected: dict[str, set[int]] = {}
    for number, name in enumerate(index._names):
        for word in name.split():
            expected.setdefault(word, set()).add(number)
    assert index._words == {word: tuple(sorted(found)) for word, found in expected.items()}
