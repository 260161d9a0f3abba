"""Issue 16: the faster ways of loading an agenda and building its search index give what the
plain ways gave (kept here as the reference)."""

import copy
import re
from collections import Counter
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core import DataSetError, build_agenda
from bot.core.entries import _PLAIN_WEB_ADDRESS
from bot.core.search import SearchIndex, _meeting_fields, _person_fields, _Tokens, _topic_fields
from bot.core.text import STOPWORDS, fold, normalize, tokens
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
        for token, times in Counter(tokens(" ".join(texts))).items():
            if token not in STOPWORDS:
                counts[token] += times * weight
    return counts


@given(texty)
def test_tokens_and_names_read_ordinals_as_before(text):
    assert tokens(text) == reference_tokens(text)
    folded = _ORDINAL.sub(r"\1", fold(text))
    assert normalize(text) == " ".join(_NON_WORD.sub(" ", folded).split())


fields = st.lists(st.tuples(texty, st.integers(1, 3)), max_size=6)


@given(fields, fields)
def test_term_counts_are_what_they_were(own, shared):
    counted = _Tokens()
    expected = reference_weighted(own + shared)
    assert counted.weighted((own, shared)) == expected
    assert counted.weighted((own, shared)) == expected  # shared texts read from the cache


def test_every_document_of_the_bundled_agenda_counts_as_before():
    agenda = load_agenda(BUNDLED_DATA)
    counted = _Tokens()
    for meeting in agenda.meetings.values():
        own, shared = _meeting_fields(agenda, meeting)
        assert counted.weighted((own, shared)) == reference_weighted(own + shared)
    for topic in agenda.topics.values():
        own, shared = _topic_fields(agenda, topic)
        assert counted.weighted((own, shared)) == reference_weighted(own + shared)
    for person in agenda.people.values():
        own, shared = _person_fields(agenda, person)
        assert counted.weighted((own, shared)) == reference_weighted(own + shared)
    index = SearchIndex(agenda)
    assert index.search("211th PTC").hits == index.search("211 ptc").hits


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
