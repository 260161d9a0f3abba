import pytest

from bot.core import SearchIndex


@pytest.fixture(scope="module")
def search(wco):
    return SearchIndex(wco)


def top(search, query, n=1):
    return [(hit.kind, hit.id) for hit in search.search(query).hits[:n]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("3d printing", ("topic", "3d-printing")),
        ("passenger name record", ("topic", "api-pnr")),
        ("kyoto convention", ("topic", "rkc")),
        ("Punta Cana", ("meeting", "pc-74")),
        ("Cancún", ("meeting", "aeo-global-3")),
        ("cancun", ("meeting", "aeo-global-3")),
        ("customs brokers korea", ("topic", "customs-brokers")),
        ("mercator programme", ("topic", "mercator")),
    ],
)
def test_best_match_first(search, query, expected):
    assert top(search, query) == [expected]


def test_typos_are_corrected_and_reported(search):
    result = search.search("kyotto convension")
    assert result.corrected == {"kyotto": "kyoto", "convension": "convention"}
    assert (result.hits[0].kind, result.hits[0].id) == ("topic", "rkc")


def test_prefixes_complete(search):
    assert ("topic", "3d-printing") in top(search, "print", 5)


def test_documents_with_every_word_rank_above_those_with_some(search):
    hits = search.search("digital customs haiti").hits
    assert (hits[0].kind, hits[0].id) == ("topic", "digital-customs")


def test_scores_are_descending(search):
    scores = [hit.score for hit in search.search("customs trade facilitation").hits]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("query", ["", "   ", "the of and", "qqqqqqqq", "!!!", "é"])
def test_nothing_found_is_an_empty_result_not_an_error(search, query):
    result = search.search(query)
    assert isinstance(result.hits, tuple)


def test_results_are_limited(search):
    assert len(search.search("customs", limit=3).hits) == 3
