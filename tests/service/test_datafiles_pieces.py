"""Issue 16: a large data file is read in pieces (rtoml holds a whole file in its own form while
it makes the Python one) and its entries are let go once validated; what is read, and every
message for bad data, must be what reading the file whole gives."""

import tomllib
from datetime import timezone

import pytest
import rtoml

from bench.generate import generate
from bot.core import DataSetError
from bot.service import datafiles, load_agenda
from bot.service.datafiles import _in_pieces, _loads


@pytest.fixture
def small_pieces(monkeypatch):
    monkeypatch.setattr(datafiles, "PIECES_FROM", 100)
    monkeypatch.setattr(datafiles, "PIECE", 7)


def meetings(count: int, start: int = 0) -> str:
    return "".join(
        f'[[meeting]]\nid = "m-{i}"\ntitle = "T {i}"\n\n[[meeting.history]]\nknown = 2016-01-0'
        f"{1 + i % 9}\nvenue = 'V'\n\n"
        for i in range(start, start + count)
    )


def test_a_generated_agenda_read_in_pieces_is_what_reading_it_whole_gives(tmp_path, small_pieces):
    folder = generate(tmp_path / "data", 300, 40, revisions=3, people=30)
    for path in folder.glob("*.toml"):
        text = path.read_text(encoding="utf-8")
        whole = rtoml.loads(text)
        read = _in_pieces(text)
        if path.name in ("meetings.toml", "people.toml", "topics.toml"):
            assert read is not None, path.name
        if read is not None:
            assert read == whole, path.name
            assert list(read) == list(whole), path.name


@pytest.mark.parametrize(
    "text",
    [
        "x = 1\n\n" + meetings(30) + "[other]\nb = 2\n",  # keys before and after the entries
        meetings(30) + "[other]\nb = 2\n" + meetings(30, 30) + "[other.more]\nc = 3\n",
        meetings(30) + "[[meeting]]  \r\nid = 'spaced'\n",
        "[[body]]\nid = 'b'\n" + meetings(30) + "[[body]]\nid = 'c'\n",
    ],
)
def test_pieces_join_as_the_whole_file_reads(text, small_pieces):
    read = _loads(text)
    assert read == tomllib.loads(text)
    assert list(read) == list(tomllib.loads(text))


@pytest.mark.parametrize(
    "text",
    [
        "meeting = []\n" + meetings(30),  # appending to a static array
        "[other]\nb = 1\n" + meetings(30) + "[other]\nb = 2\n",  # a table defined twice
        meetings(30) + "z = 1\n" + meetings(30, 30) + "[x]\n[x]\n",
        meetings(30) + "[[meeting]]x = 1\n",
    ],
)
def test_what_only_the_whole_file_can_tell_is_told_as_reading_it_whole_does(text, small_pieces):
    with pytest.raises(tomllib.TOMLDecodeError) as whole:
        tomllib.loads(text)
    with pytest.raises(tomllib.TOMLDecodeError) as read:
        _loads(text)
    assert str(read.value) == str(whole.value)


def test_a_multi_line_string_that_holds_a_header_line_is_read_whole(small_pieces):
    text = meetings(20) + '[[meeting]]\nid = "s"\nsummary = """\n[[meeting]]\nid = "no"\n"""\n'
    assert _in_pieces(text) is None
    assert _loads(text) == tomllib.loads(text)


def test_offsets_are_plain_in_pieces_and_skipped_only_where_there_are_none(small_pieces):
    text = meetings(30) + "[[meeting]]\nid = 'o'\nupdated = 2016-01-01T10:00:00+01:00\n"
    read = _loads(text)
    assert read == tomllib.loads(text)
    assert type(read["meeting"][-1]["updated"].tzinfo) is timezone
    local = meetings(30) + "[[meeting]]\nid = 'l'\nstart = 2016-01-01T10:00:00\n"
    assert _loads(local) == tomllib.loads(local)


def test_a_large_agenda_with_bad_entries_gets_every_message_it_got_whole(
    data_dir, small_pieces, monkeypatch
):
    entries = "".join(
        f'[[meeting]]\nid = "m-{i}"\ntitle = "Meeting {i}"\nbodies = ["ptc"]\nkind = "session"\n'
        f'start = 2016-03-0{1 + i % 9}\ntimezone = "Europe/Brussels"\nstatus = "planned"\n\n'
        for i in range(40)
    )
    bad = (
        entries + '[[meeting]]\nid = "m-3"\ntitle = "Again"\nbodies = ["ptc"]\nkind = "session"\n'
        'timezone = "Europe/Brussels"\nstatus = "planned"\n\n'
        '[[meeting]]\nid = "bad"\ntitle = ""\nbodies = ["nobody"]\nkind = "sesion"\n'
        'timezone = "Europe/Brusels"\nstatus = "planned"\n'
    )
    directory = data_dir(extra=bad)
    with pytest.raises(DataSetError) as pieces:
        load_agenda(directory)
    monkeypatch.setattr(datafiles, "PIECES_FROM", 10**12)
    with pytest.raises(DataSetError) as whole:
        load_agenda(directory)
    assert str(pieces.value) == str(whole.value)
    assert len(pieces.value.problems) >= 3


def test_a_file_of_a_few_thousand_meetings_is_read_in_pieces_as_set(tmp_path):
    """With the sizes the bot uses (not the small ones above): a file of 2,000 generated
    meetings, over 1 MB, is read in pieces, and gives what reading it whole does."""
    text = (generate(tmp_path / "data", 2_000, 40) / "meetings.toml").read_text(encoding="utf-8")
    assert len(text) > datafiles.PIECES_FROM
    read = _in_pieces(text)
    assert read is not None
    assert read == rtoml.loads(text)


def told(directory) -> str:
    """What loading `directory` says: the agenda's meetings, or every problem."""
    try:
        agenda = load_agenda(directory)
    except DataSetError as error:
        return str(error)
    return repr(sorted(agenda.meetings.items()))


def entry(i: int, *, title: str = "", with_id: bool = True) -> str:
    named = f'id = "m-{i}"\n' if with_id else ""
    return (
        f'[[meeting]]\n{named}title = "{title or f"Meeting {i}"}"\nbodies = ["ptc"]\n'
        f'kind = "session"\nstart = 2016-03-0{1 + i % 9}\ntimezone = "Europe/Brussels"\n'
        'status = "planned"\n\n'
    )


@pytest.mark.parametrize(
    "text",
    [
        # entries without ids, numbered across pieces; a bad one in an early piece
        "".join(entry(i, with_id=i % 5 != 0, title=" " if i == 3 else "") for i in range(40)),
        # a later piece that is not TOML: the file is a problem as a whole, nothing of it read
        "".join(entry(i, title=" " if i == 3 else "") for i in range(40)) + "title = = 1\n",
        # a table before the first meeting and again after it: read whole, as before
        '[durations]\ndefault = "2h"\n\n'
        + "".join(entry(i) for i in range(30))
        + '[durations]\nsession = "1h"\n',
        # tables after the meetings, one of them unknown, told after the meetings' problems
        "".join(entry(i, title=" " if i == 20 else "") for i in range(30))
        + '[ladders]\ndefault = ["nope"]\n\n[extra]\nx = 1\n',
        # an array the agenda does not know of: told once, as reading the file whole does
        "".join(f'[[meetin]]\nid = "m-{i}"\n\n' for i in range(30)),
        # an array of tables named as a table: told once
        "".join(f'[[dataset]]\nname = "d{i}"\n\n' for i in range(30)),
    ],
)
def test_a_file_read_a_piece_at_a_time_tells_what_reading_it_whole_tells(
    text, data_dir, small_pieces, monkeypatch
):
    directory = data_dir(extra=text)
    told_before = told(directory)
    monkeypatch.setattr(datafiles, "PIECES_FROM", 10**12)
    assert told_before == told(directory)


def test_ids_of_a_file_that_is_not_toml_are_not_taken(data_dir, small_pieces, monkeypatch):
    """A file read before the mini agenda's meetings names one of them in a piece, and a later
    piece is not TOML: that id is not taken (the mini agenda's meeting is no duplicate)."""
    text = entry(0).replace('"m-0"', '"board-12"') + "".join(entry(i) for i in range(1, 30))
    directory = data_dir(aaa=text + "title = = 1\n")
    in_pieces = told(directory)
    monkeypatch.setattr(datafiles, "PIECES_FROM", 10**12)
    assert in_pieces == told(directory)


def test_a_generated_agenda_read_a_piece_at_a_time_is_the_one_read_whole(
    tmp_path, small_pieces, monkeypatch
):
    folder = generate(tmp_path / "data", 300, 40, revisions=3, people=30)
    in_pieces = load_agenda(folder)
    monkeypatch.setattr(datafiles, "PIECES_FROM", 10**12)
    assert in_pieces == load_agenda(folder)


def test_a_file_with_a_piece_that_does_not_parse_alone_is_read_whole_as_rtoml_reads_it(
    data_dir, small_pieces, monkeypatch
):
    """Cut before its most frequent header (here `[[body]]`), a piece may hold a meeting's
    `[[meeting.history]]` written after a body and then the next `[[meeting]]`: alone, that
    piece is not TOML, though the file is. The file is then read whole by rtoml, as a small one
    is, not by tomllib, which refuses what rtoml takes (a byte order mark, which Windows
    editors write): the agenda read in pieces was 'is not valid TOML'."""
    meeting = (
        '[[meeting]]\nid = "c-{k}"\ntitle = "T {k}"\nbodies = ["board"]\nkind = "session"\n'
        'timezone = "Europe/Brussels"\nstatus = "planned"\nstart = 2016-03-01\n'
    )
    history = (
        "[[meeting.history]]\nknown = 2016-02-22\n[[body]]\nid = 'h{k}'\nname = 'H'\n"
        "[[meeting.history]]\nknown = 2016-02-23\nvenue = 'W'\n[[body]]\nid = 'g{k}'\nname = 'G'\n"
    )
    text = "\ufeff" + "".join(meeting.format(k=k) + history.format(k=k) for k in range(12))
    assert datafiles._cuts(text)[0] == "body"
    directory = data_dir(zzz=text)
    in_pieces = told(directory)
    monkeypatch.setattr(datafiles, "PIECES_FROM", 10**12)
    assert in_pieces == told(directory)
    assert "problem" not in in_pieces
