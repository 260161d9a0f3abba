"""The ranking of scored documents: the best found near the top are those of the whole ranking."""

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bot.core.ranking as ranking
from bot.core import SearchIndex


def _whole_ranking(scores, matched, wanted, limit):
    """The ranking as it was before the best were looked for near the top: every document's
    final score, cut by best_found, sorted by value then document."""
    final = scores * matched
    if wanted > 1:
        final /= wanted
    candidates = ranking.best_found(final, limit)
    values = final[candidates]
    order = np.lexsort((candidates, -values))
    return candidates[order].tolist(), values[order].tolist()


@st.composite
def _scored(draw):
    wanted = draw(st.integers(1, 4))
    size = draw(st.integers(1, 300))
    few = st.sampled_from([0.0, 0.5, 1.0, 1.0 / 3, 2.0, 2.6594, 7.25])
    value = few | st.floats(0, 20, allow_nan=False, allow_infinity=False)
    scores = np.array(draw(st.lists(value, min_size=size, max_size=size)))
    matched = np.array(draw(st.lists(st.integers(0, wanted), min_size=size, max_size=size)))
    limit = draw(st.one_of(st.none(), st.integers(-1, 60)))
    return scores, matched.astype(np.intp), wanted, limit


@settings(max_examples=400, deadline=None)
@given(_scored(), st.sampled_from([1, 2, 3, 8]))
def test_the_best_near_the_top_are_the_first_of_the_whole_ranking(case, stride):
    # Issue 16: the best of many documents are looked for among those whose sums reach a line
    # drawn from a sample; the same documents, order, ties and final scores to the last bit.
    scores, matched, wanted, limit = case
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ranking, "_SAMPLED", 1)  # near the top even among a few documents
        patch.setattr(ranking, "_STRIDE", stride)
        chosen, values = ranking.ranked(scores, matched, wanted, limit)
    assert (chosen.tolist(), values.tolist()) == _whole_ranking(scores, matched, wanted, limit)


def test_a_final_score_rounded_above_its_sum_is_still_near_the_top(monkeypatch):
    # A sum times 3 then divided by 3, each rounded, can come out one unit above the sum: a
    # document whose sum is just below the line can still reach it, and is looked at (with
    # no margin, the two documents after it were taken, though it comes first among the tied).
    below = 1.44338333254607
    final = below * 3 / 3
    assert final > below and final * 3 / 3 == final
    scores = np.array([below, final, final])
    matched = np.full(3, 3, np.intp)
    monkeypatch.setattr(ranking, "_SAMPLED", 1)
    monkeypatch.setattr(ranking, "_STRIDE", 1)
    chosen, values = ranking.ranked(scores, matched, 3, 2)
    assert (chosen.tolist(), values.tolist()) == ([0, 1], [final, final])
    assert (chosen.tolist(), values.tolist()) == _whole_ranking(scores, matched, 3, 2)


def test_a_common_words_best_are_found_near_the_top():
    # Each of two words in half of 12,000 documents: the best 50 are found near the top, and
    # are the first 50 of the whole ranking.
    rng = np.random.default_rng(16)
    count = 12_000
    lists = []
    for _ in range(2):
        ids = np.sort(rng.choice(count, count // 2, replace=False)).astype(np.int32)
        lists.append([(ids, np.round(rng.uniform(0.5, 1.5, len(ids)), 2))])
    scores, matched = ranking.scored(lists, count)
    assert ranking._near_top(scores, matched, 2, 50) is not None
    chosen, values = ranking.ranked(scores, matched, 2, 50)
    assert (chosen.tolist(), values.tolist()) == _whole_ranking(scores, matched, 2, 50)


@pytest.mark.parametrize("sampled", [1, 10**9], ids=["near-the-top", "whole-ranking"])
def test_searches_rank_the_same_near_the_top_as_in_the_whole_ranking(wco, sampled, monkeypatch):
    import tests.core.test_search as reference

    monkeypatch.setattr(ranking, "_SAMPLED", sampled)
    monkeypatch.setattr(ranking, "_STRIDE", 2)
    search = SearchIndex(wco)
    rng = random.Random(16)
    for _ in range(200):
        typed = [rng.choice(search._vocabulary) for _ in range(rng.randrange(1, 5))]
        query = " ".join(word if rng.random() < 0.7 else word[:3] for word in typed)
        for limit in (None, 1, 10, 50):
            hits = search.search(query, limit=limit).hits
            expected = reference._ranked_as_before(search, query, limit, False)
            assert [tuple(h) for h in hits] == expected


def _halfway(k: int) -> float:
    return (2 * k + 1) / 20_000  # as near as a double gets to halfway between 4-place decimals


_score = (
    st.floats(allow_nan=True, allow_infinity=True)
    | st.floats(0, 100)
    | st.integers(-(10**9), 10**9).map(_halfway)
    | st.integers(-(10**9), 10**9).map(_halfway).map(lambda x: math.nextafter(x, math.inf))
    | st.integers(-(10**9), 10**9).map(_halfway).map(lambda x: math.nextafter(x, -math.inf))
    | st.integers(-(10**9), 10**9).map(lambda k: k / 10_000)
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_score, max_size=60))
def test_scores_are_rounded_as_python_rounds_them(values):
    # Issue 16: the hits' scores are rounded by numpy where that is sure, else by Python; the
    # same doubles as round(x, 4) (numpy's own round differs: 0.00025 is 0.0002 by it, 0.0003
    # by Python), NaN and infinities and zeros' signs included.
    from bot.core.search import rounded_scores

    got = rounded_scores(np.array(values, dtype=np.float64))
    assert [x.hex() for x in got] == [round(x, 4).hex() for x in values]


def test_halfway_scores_are_rounded_as_python_rounds_them():
    from bot.core.search import rounded_scores

    values = [0.00025, 0.00035, 0.00095, 0.00115, 2.6594, 1.25]
    assert np.round(np.array(values), 4).tolist() != [round(x, 4) for x in values]
    assert rounded_scores(np.array(values)) == [0.0003, 0.0003, 0.0009, 0.0011, 2.6594, 1.25]
    common = np.array([2.65943217, 1.5, 0.12345678])
    assert rounded_scores(common) == [2.6594, 1.5, 0.1235]


def test_a_search_index_read_back_from_the_cache_finds_the_same_hits(wco):
    # The agenda cache pickles the library: the kinds and ids the hits are taken from come
    # back in step with the documents, the ids as the agenda's own strings (no second copy).
    import pickle

    from bot.core import Library

    library = Library.build(wco)
    back = pickle.loads(pickle.dumps(library, protocol=pickle.HIGHEST_PROTOCOL))
    agenda, index = back.agenda, back.search
    items = [*agenda.meetings.values(), *agenda.topics.values(), *agenda.people.values()]
    kinds = ["meeting"] * len(agenda.meetings) + ["topic"] * len(agenda.topics)
    assert index._kinds.tolist() == kinds + ["person"] * len(agenda.people)
    assert all(a is b.id for a, b in zip(index._ids.tolist(), items, strict=True))
    for query in ("revised kyoto convention", "council", "kyotto", "print", "zzzzqq", ""):
        for limit, every_word in ((None, False), (3, False), (50, True)):
            hits = index.search(query, limit=limit, every_word=every_word).hits
            assert hits == library.search.search(query, limit=limit, every_word=every_word).hits
