"""How a meeting's changes are counted for calendar feeds (SEQUENCE = revision + unexplained)."""

import pytest

from bot.service.changes import unexplained
from bot.storage import Snapshot


@pytest.mark.parametrize(
    ("before", "revision", "moved", "expected"),
    [
        (Snapshot("x", 0, None, 1), 2, True, 0),  # a revision moved it: counted once, by it
        (Snapshot("x", 0, None, 1), 1, True, 1),  # moved in place in a data file
        (Snapshot("x", 2, None, 3), 1, True, 5),  # history taken out, and moved: 6 > 5
        (Snapshot("x", 0, None, 3), 1, False, 2),  # history taken out: SEQUENCE stays 3
        (Snapshot("x", 1, None, 1), 4, False, 1),  # summaries revised: SEQUENCE 5
    ],
)
def test_sequence_grows_with_each_change_and_never_falls(before, revision, moved, expected):
    assert unexplained(before, revision, moved) == expected
    assert revision + expected >= before.revision + before.changes + moved
