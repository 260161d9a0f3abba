"""Scoring a query's posting lists: each document's sum of weights, and the best of them in the
order the ranking gives (by score, then by document), the same whichever way is taken."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]
Posting = tuple[npt.NDArray[np.signedinteger[Any]], FloatArray]  # a word's documents and weights
# Scored among the documents that have a word rather than all, when all the words' postings
# together are fewer than 1/_SPARSE of the documents.
_SPARSE = 8
# The best of many documents are looked for among those near the top: those whose sums reach a
# line drawn from every _STRIDE-th document's final score, about twice the limit's documents;
# only when there are _SAMPLED times as many documents as the limit, and no more than
# _NEAR_MOST times as many near the top (past that, sorting them costs more than the rest).
_STRIDE = 8
_SAMPLED = 32
_NEAR_MOST = 16
# A final score is at most its sum of weights times (1 + 2**-53)**2 (times matched <= wanted,
# divided by wanted, each rounded once): a document whose sum is below the line by this much
# cannot reach it.
_BELOW = 1 - 2.0**-40


def universe(
    lists: list[list[Posting]], named: list[int], documents: int
) -> tuple[IntArray | None, list[list[Posting]], list[int]]:
    """Where to score: every document (None), or, when the words are rare, only the
    documents that have one or are named, in document order, the postings and names then
    given as places among them. Whole-length arrays cost the same for any query; a few
    hundred postings among a hundred thousand documents are scored for a small part of it.
    The order is kept, so the ranking and its ties are the same either way."""
    size = sum(len(ids) for options in lists for ids, _ in options)
    if size * _SPARSE >= documents:
        return None, lists, named
    parts = [ids for options in lists for ids, _ in options]
    parts.append(np.array(named, np.int32))
    # Sorted and told apart by hand: np.unique imports numpy.ma at its first call, tens of ms
    # (hundreds without bytecode) that the first such query of a process would wait for.
    found = np.sort(np.concatenate(parts))
    docs: IntArray = (
        found[np.concatenate(([True], found[1:] != found[:-1]))] if found.size else found
    )
    placed = [[(np.searchsorted(docs, ids), weights) for ids, weights in o] for o in lists]
    return docs, placed, np.searchsorted(docs, named).tolist()


def scored(lists: list[list[Posting]], count: int) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    """Each document's score, the sum of its words' weights, and how many of the words it has.
    A word and its completions count once per document, at the best of their weights."""
    # Most words have one posting list. Those the query starts with are counted in one pass over
    # their postings together: bincount adds in the order given, so each document's weights are
    # summed word by word as they were one list at a time, the same sums to the last bit. A
    # posting list names a document once: counted into a whole-length array, its weights add
    # where they are and zeros elsewhere, for a third of the time of adding at the indexes.
    lead = next((i for i, options in enumerate(lists) if len(options) > 1), len(lists))
    if lead:
        # Joined as the index type: bincount would cast the stored int32 ids once per count.
        ids = np.concatenate([options[0][0] for options in lists[:lead]], dtype=np.intp)
        weights = np.concatenate([options[0][1] for options in lists[:lead]])
        scores = cast(FloatArray, np.bincount(ids, weights, count))
        matched = np.bincount(ids, minlength=count)
    else:
        scores, matched = np.zeros(count), np.zeros(count, np.intp)
    for options in lists[lead:]:
        if len(options) == 1:
            ids, weights = options[0]
            scores += np.bincount(ids, weights, count)
            matched += np.bincount(ids, minlength=count)
            continue
        strongest = np.zeros(count)
        for ids, weights in options:
            strongest[ids] = np.maximum(strongest[ids], weights)
        scores += strongest
        matched += strongest > 0
    return scores, matched


def best_of(
    candidates: npt.NDArray[np.intp], values: FloatArray, limit: int
) -> npt.NDArray[np.intp]:
    """The `limit` best candidates (in document order) as the ranking orders them: by value,
    then by document. Those equal to the last value that makes the cut are taken in document
    order, so a page holds the first of the whole ranking, whatever the limit (0, or less:
    none, where the (n - limit)-th smallest would be past the end)."""
    if limit <= 0:
        return candidates[:0]
    if limit >= len(values):  # a negative place would count from the end
        return candidates
    cut = len(values) - limit  # the limit-th largest is the (n - limit)-th smallest
    last = np.partition(values, cut)[cut]
    keep = values > last
    tied = np.flatnonzero(values == last)[: limit - int(np.count_nonzero(keep))]
    keep[tied] = True
    chosen: npt.NDArray[np.intp] = candidates[keep]
    return chosen


def best_found(scores: FloatArray, limit: int | None) -> npt.NDArray[np.intp]:
    """The documents scoring above zero, in document order, and of them, when there are more
    than `limit`, the `limit` best as `best_of` takes them. The cut is found among all the
    scores: when the `limit`-th largest is above zero, at least `limit` documents are, and
    those above it and the first tied with it are the best; otherwise no more than `limit`
    are above zero, and all are taken. One partition of the whole-length scores costs less
    than gathering those above zero to partition them."""
    if limit is not None and limit <= 0:
        return np.flatnonzero(scores[:0])
    if limit is not None and limit < len(scores):
        cut = len(scores) - limit
        last = np.partition(scores, cut)[cut]
        if last > 0:
            keep = scores > last
            tied = np.flatnonzero(scores == last)[: limit - int(np.count_nonzero(keep))]
            keep[tied] = True
            return np.flatnonzero(keep)
    return np.flatnonzero(scores > 0)


def final_scores(scores: FloatArray, matched: npt.NDArray[np.intp], wanted: int) -> FloatArray:
    """Each document's score as ranked: those with every word (`wanted`) above those with
    some. Divided in place, and not by one: the same values, one array fewer."""
    final: FloatArray = scores * matched
    if wanted > 1:
        final /= wanted
    return final


def ranked(
    scores: FloatArray, matched: npt.NDArray[np.intp], wanted: int, limit: int | None
) -> tuple[npt.NDArray[np.intp], FloatArray]:
    """The documents found (final score above zero), or the best `limit` of them as
    `best_found` takes them, best first then in document order, with their final scores."""
    near = _near_top(scores, matched, wanted, limit)
    if near is not None:
        return near
    final = final_scores(scores, matched, wanted)
    candidates = best_found(final, limit)
    # Best first, then in document order: no two candidates are equal on both keys, so any
    # sort gives this order; numpy's, on the two arrays, costs less than a key per item.
    values = final[candidates]
    order = np.lexsort((candidates, -values))
    return candidates[order], values[order]


def _near_top(
    scores: FloatArray, matched: npt.NDArray[np.intp], wanted: int, limit: int | None
) -> tuple[npt.NDArray[np.intp], FloatArray] | None:
    """`ranked`'s answer found among the documents near the top, or None where that does not
    hold it for sure. When at least `limit` final scores reach a line above zero, the
    `limit`-th best does, and so does every document `best_found` keeps: all are among those
    whose sums reach the line (less _BELOW's margin), and the first `limit` of those, sorted
    as the ranking sorts, are its first. A common word is in half the documents: the final
    scores of all of them, and the partition of those, cost a fifth of a search."""
    if limit is None or limit <= 0 or len(scores) < _SAMPLED * limit:
        return None
    # The same values as the whole-length final scores have there: each is computed alone.
    sample = final_scores(scores[::_STRIDE], matched[::_STRIDE], wanted)
    place = max(0, len(sample) - 1 - 2 * limit // _STRIDE)
    line = float(np.partition(sample, place)[place])
    if not line > 0:
        return None
    near = np.flatnonzero(scores >= line * _BELOW)
    if len(near) > _NEAR_MOST * limit:
        return None
    values = final_scores(scores[near], matched[near], wanted)
    order = np.lexsort((near, -values))[:limit]
    if len(order) < limit or values[order[-1]] < line:  # fewer than `limit` reach the line
        return None
    return near[order], values[order]
