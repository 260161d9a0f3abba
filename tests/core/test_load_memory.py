"""Issue 16, the cold load's peak memory: what a large agenda's load no longer keeps, or makes
all at once, and that it gives the same agenda, index and messages as before."""

import gc
import pickle
import sys
import tracemalloc
from datetime import date

import pytest

from bot.core import DataSetError, SearchIndex, build_agenda
from bot.core.entries import MeetingEntry
from bot.core.model import REVISED
from bot.core.schema import AgendaReader
from bot.core.text import END, names_each, normalize
from bot.service import BUNDLED_DATA, load_agenda
from tests.core.test_schema import BODY, DATASET, TOPIC
from tests.core.test_schema import meeting as one_meeting


def meeting(number: int, **changes: object) -> dict[str, object]:
    return one_meeting(**{"id": f"ptc-{number}", "title": f"PTC {number}", **changes})


def test_a_meeting_entry_is_let_go_as_soon_as_it_is_read():
    """Every entry was kept until the meetings were built: 100,000 of them were the peak."""
    reader = AgendaReader()
    reader.read("agenda.toml", {"dataset": DATASET})
    reader.read("meetings.toml", {"meeting": [meeting(n) for n in range(20)]})
    gc.collect()
    assert not [o for o in gc.get_objects() if isinstance(o, MeetingEntry)]
    reader.read("bodies.toml", {"body": [BODY]})
    assert len(reader.agenda().meetings) == 20


def _with_dataset_in(name: str, meetings: list[dict[str, object]]) -> dict[str, dict]:
    """Meetings read before the data set (its file named after theirs) wait for it, as all of
    them did; read after it, each is read at once."""
    return {
        name: {"dataset": DATASET},
        "bodies.toml": {"body": [BODY]},
        "meetings.toml": {"meeting": meetings},
        "topics.toml": {"topic": [TOPIC]},
    }


def test_meetings_read_before_or_after_the_data_set_get_the_same_messages():
    meetings = [
        meeting(1, bodies=["ptc", "nope"], topics=["tfa", "tfx"]),
        meeting(2, timezone="Europe/Brusels"),
        meeting(3, history=[{"known": date(2016, 1, 2), "topics": ["zzz"]}]),
        meeting(4, outcome="Adopted."),  # known before it ended
        meeting(5, status="held", start="TBA"),
        meeting(6, history=[{"known": date(2015, 1, 1), "title": "Earlier"}]),
        meeting(7, topics=["tfa"], start=date(2016, 3, 5), end=date(2016, 3, 4)),
    ]
    messages = []
    for name in ("agenda.toml", "zz.toml"):
        with pytest.raises(DataSetError) as raised:
            build_agenda(_with_dataset_in(name, [dict(m) for m in meetings]))
        messages.append([str(p) for p in raised.value.problems if p.file == "meetings.toml"])
    assert messages[0] == messages[1]
    assert len(messages[0]) >= len(meetings)


def test_meetings_read_before_or_after_the_data_set_make_the_same_agenda():
    meetings = [
        meeting(n, history=[{"known": date(2016, 4, 1), "topics": ["tfa"]}]) for n in (1, 2)
    ]
    meetings.append(meeting(3, announced=date(2015, 12, 1)))
    early = build_agenda(_with_dataset_in("agenda.toml", [dict(m) for m in meetings]))
    late = build_agenda(_with_dataset_in("zz.toml", [dict(m) for m in meetings]))
    assert early.records == late.records
    assert early.meetings == late.meetings


def test_a_meeting_s_own_revision_keeps_its_field_names_once_for_all(wco):
    """A dict of its own for each meeting's first revision was 65 MB at 100,000 meetings."""
    for record in wco.records.values():
        sets = record.revisions[0].sets
        assert type(sets) is dict and list(sets) == list(REVISED)
        assert sys.getsizeof(sets) < sys.getsizeof(dict(sets)) / 2
        assert pickle.loads(pickle.dumps(sets)) == sets == dict(sets)
        assert repr(sets) == repr(dict(sets))


def test_the_names_of_many_texts_are_not_all_split_into_words_at_once():
    """Every name's words at once, a string each, were the peak of building the search index."""

    def made_beside(count: int) -> int:
        texts = [
            f"Integrity Cargo Number {n}, {n}th Session of the Committee" for n in range(count)
        ]
        tracemalloc.start()
        try:
            names = names_each(texts)
            held, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert len(names) == count
        return peak - held

    assert made_beside(40_000) < 1.5 * made_beside(10_000)


def test_the_names_of_many_texts_are_each_text_s_name():
    texts = [f"The {n}th Meeting: Part {n % 3}" for n in range(9000)]
    texts[5000] = f"holds the end {END} mark, 2nd"  # read on its own, in its batch
    assert names_each(texts) == [normalize(text) for text in texts]


def test_a_name_of_one_document_is_kept_without_a_tuple_of_its_own():
    index = SearchIndex(load_agenda(BUNDLED_DATA))
    single = [docs for docs in index._names.values() if type(docs) is int]
    assert len(single) > len(index._names) / 2
    for name in index._names:
        assert all(type(doc) is int for doc in index._named(name))


def test_a_name_several_documents_have_or_one_has_twice_names_each_as_often():
    documents = {
        "agenda.toml": {"dataset": DATASET},
        "bodies.toml": {"body": [BODY]},
        "meetings.toml": {
            "meeting": [
                meeting(1, title="Same Name"),
                meeting(2, title="Same name", aliases=["Other"]),
                meeting(3, title="Twice", aliases=["twice", "Same NAME"]),
            ]
        },
    }
    agenda = build_agenda(documents)
    index = SearchIndex(agenda)
    ids = index._ids.tolist()
    named = {name: [ids[doc] for doc in index._named(name)] for name in index._names}
    assert named["same name"] == ["ptc-1", "ptc-2", "ptc-3"]
    assert named["twice"] == ["ptc-3", "ptc-3"]
    assert named["other"] == ["ptc-2"]
    assert index._named("nothing") == ()


def test_the_search_index_keeps_each_documents_kind_and_id_once(wco):
    # Review of the hits taken from arrays: a (kind, id) pair per document was kept in a list
    # beside the arrays of kinds and ids, 64 bytes a document (6 MB at 100,000 documents).
    index = SearchIndex(wco)
    documents = len(wco.meetings) + len(wco.topics) + len(wco.people)
    assert len(index._kinds) == len(index._ids) == documents
    per_document = [
        name
        for name, value in vars(index).items()
        if isinstance(value, list | tuple | dict) and len(value) == documents
    ]
    assert per_document == []
