"""The search index's postings: each document's words counted by field weight, then weighed
for BM25 and grouped by term. Built a batch of documents at a time in compact arrays, so that
a large agenda's index is made quickly and in little memory (issue 16)."""

from __future__ import annotations

import mmap
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from .text import END, STOPWORDS, tokens, tokens_of_each

_K1 = 1.2
_B = 0.75
IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]
SmallArray = npt.NDArray[np.uint16 | np.int32]
WEIGHTS = (3, 2, 1)  # a title's words count three times, an alias's twice, the rest once
Fields = list[tuple[str, int]]  # a document's (text, weight: one of WEIGHTS)
_SLOT = {weight: slot for slot, weight in enumerate(WEIGHTS)}
_BATCH = 2048


class Postings:
    """(term, document, count) triples in compact arrays, then BM25 weights grouped by term.

    Documents are added a batch at a time: each batch's texts of one weight are read in one
    pass (text.tokens_of_each) and counted by numpy, and only the triples are kept, so that
    building the index of a large agenda stays small and costs little per document.
    """

    def __init__(self) -> None:
        self.term_ids: defaultdict[str, int] = defaultdict()
        self.term_ids.default_factory = self.term_ids.__len__  # a new term: the next number
        # Numbered first, and left out: the end of a text's tokens, then the stop words.
        self.term_ids[END] = 0
        for stopword in sorted(STOPWORDS):
            self.term_ids[stopword]  # numbered by the default factory
        self.reserved = len(self.term_ids)
        # Each batch's first document, then its postings' terms, documents (counted from its
        # first, in two bytes each where a batch's fit) and counts (two bytes each but
        # where one is larger): 8 bytes a posting, not 12, while all of them are kept.
        self.chunks: list[tuple[int, IntArray, SmallArray, SmallArray]] = []
        self.batch: list[list[str]] = [[] for _ in WEIGHTS]
        self.size = 0

    def add(self, fields: Fields) -> None:
        """A document's fields: their texts joined by weight, so that each weight's words
        are counted as often as it says."""
        # A list per weight, in the order of WEIGHTS (a dict made per document cost more).
        grouped: tuple[list[str], ...] = ([], [], [])
        for text, weight in fields:
            grouped[_SLOT[weight]].append(text)
        for texts, group in zip(self.batch, grouped, strict=True):
            texts.append(" ".join(group))
        self.size += 1
        if len(self.batch[0]) == _BATCH:
            self._count()

    def add_texts(self, heaviest: str, middle: str, lightest: str) -> None:
        """A document's texts already joined by weight (3, 2, 1), as `add` joins them."""
        title, alias, rest = self.batch
        title.append(heaviest)
        alias.append(middle)
        rest.append(lightest)
        self.size += 1
        if len(title) == _BATCH:
            self._count()

    def _count(self) -> None:
        count = len(self.batch[0])
        if not count:
            return
        first = self.size - count
        keys: list[npt.NDArray[np.int64]] = []
        times: list[IntArray] = []
        for texts, weight in zip(self.batch, WEIGHTS, strict=True):
            found = tokens_of_each(texts)
            if found is None:  # a text holds END: each read on its own
                found = [token for text in texts for token in (*tokens(text), END)]
            ids = np.fromiter(map(self.term_ids.__getitem__, found), np.int64, len(found))
            doc = np.cumsum(ids == 0)  # a token's document: the ENDs before it
            kept = ids >= self.reserved
            keys.append(ids[kept] * count + doc[kept])
            times.append(np.full(int(kept.sum()), weight, dtype=np.int32))
        # One key per (term, document), its count the sum of its tokens' weights.
        unique, where = np.unique(np.concatenate(keys), return_inverse=True)
        sums = np.bincount(where, weights=np.concatenate(times))
        terms, docs = np.divmod(unique, count)
        # In memory mapped for them alone, not taken from the heap: let go once weighed, it is
        # given back to the system at once, where the heap's freed blocks (36 MB at 100,000
        # meetings) stayed with the process: 18 MB less at the peak (issue 16).
        term_of, doc_of, tf_of = _mapped(
            terms.astype(np.int32),
            docs.astype(_small(count - 1)),
            sums.astype(_small(sums.max(initial=0))),
        )
        self.chunks.append((first, term_of, doc_of, tf_of))
        self.batch = [[] for _ in WEIGHTS]

    def weights(self) -> PostingLists:
        self._count()
        if not sum(len(chunk[1]) for chunk in self.chunks):  # not a word in any document
            return PostingLists({}, np.zeros(0, np.int32), np.zeros(0), np.zeros(1, np.intp))
        # Each chunk holds its postings grouped by term (np.unique ordered them by term, then
        # document), and the chunks follow the documents: each is put straight where its
        # postings go among all of them grouped by term, in the order a stable sort of all of
        # them by term gave, then let go. No array of every posting's term or position is made
        # (those, and a sort, were the peak of a large agenda's load).
        size = len(self.term_ids)
        counts = np.zeros(size, np.intp)
        # Whole numbers summed as floats: the same sums, chunk by chunk.
        lengths = np.zeros(self.size)
        for first, terms, docs, tfs in self.chunks:
            counts += np.bincount(terms, minlength=size)
            found = np.bincount(docs, weights=tfs)
            lengths[first : first + len(found)] += found
        norm = _K1 * (1 - _B + _B * lengths / lengths.mean())
        df = counts.astype(np.float64)
        idf = np.log(1 + (self.size - df + 0.5) / (df + 0.5))
        bounds = np.zeros(size + 1, np.intp)
        np.cumsum(counts, out=bounds[1:])
        doc_of = np.empty(bounds[-1], np.int32)
        weight = np.empty(bounds[-1])
        free = bounds[:-1].copy()  # where each term's next posting goes
        chunks, self.chunks = self.chunks, []
        chunks.reverse()
        while chunks:
            first, terms, docs, tfs = chunks.pop()
            here = np.bincount(terms, minlength=size)
            start = np.cumsum(here) - here  # where each term's postings start in the chunk
            at = free[terms] + (np.arange(len(terms)) - start[terms])
            doc = docs + np.int32(first)
            doc_of[at] = doc
            # Weighed a chunk at a time, step by step as the formula idf * tf * (K1 + 1) /
            # (tf + norm) reads: the same value to the last bit as weighing all at once, which
            # made an array of every posting's count beside the weights (issue 16).
            part = idf[terms]
            part *= tfs
            part *= _K1 + 1
            divisor = norm[doc]
            divisor += tfs
            part /= divisor
            weight[at] = part
            free += here
        numbers = {name: i for i, name in enumerate(self.term_ids) if i >= self.reserved}
        # The factory is the dict's own method: a cycle that would keep the dict, as large as
        # the vocabulary, until the next full collection (loading runs with the collector off).
        self.term_ids.default_factory = None
        return PostingLists(numbers, doc_of, weight, bounds)


def _small(largest: float) -> type[np.uint16 | np.int32]:
    """The type of an array of whole numbers from 0 to `largest`: two bytes each where they fit."""
    return np.uint16 if largest < 1 << 16 else np.int32


def _mapped(*arrays: npt.NDArray[Any]) -> list[npt.NDArray[Any]]:
    """Copies of `arrays`, in the order given, in one block of memory mapped privately for them
    alone (laid out widest items first, so that each is aligned): unmapped, and so given back
    to the system, once none of them is held. Private: a process forked meanwhile does not
    share it, nor keep it once this one lets it go."""
    total = max(1, sum(array.nbytes for array in arrays))
    block = mmap.mmap(-1, total, flags=mmap.MAP_PRIVATE)  # anonymous: no file behind it
    copies: dict[int, npt.NDArray[Any]] = {}
    at = 0
    for number in sorted(range(len(arrays)), key=lambda n: -arrays[n].itemsize):
        array = arrays[number]
        copies[number] = np.frombuffer(block, array.dtype, len(array), at)
        copies[number][:] = array
        at += array.nbytes
    return [copies[number] for number in range(len(arrays))]


class PostingLists(Mapping[str, tuple[IntArray, FloatArray]]):
    """Each term's documents and weights, as slices of two arrays made when asked (a pair of
    arrays per term, for every term of a large agenda, cost more to make and to hold)."""

    def __init__(
        self,
        numbers: dict[str, int],
        docs: IntArray,
        weights: FloatArray,
        bounds: npt.NDArray[np.intp],
    ) -> None:
        self._numbers = numbers
        self._docs = docs
        self._weights = weights
        self._bounds = bounds

    def __getitem__(self, term: str) -> tuple[IntArray, FloatArray]:
        number = self._numbers[term]
        start, end = self._bounds[number], self._bounds[number + 1]
        return self._docs[start:end], self._weights[start:end]

    def __contains__(self, term: object) -> bool:
        return term in self._numbers

    def __iter__(self) -> Iterator[str]:
        return iter(self._numbers)

    def __len__(self) -> int:
        return len(self._numbers)
