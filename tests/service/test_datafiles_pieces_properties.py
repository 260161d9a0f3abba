"""Issue 16, as properties: a data file read a piece at a time (tiny pieces, so that every
boundary falls somewhere new) tells what reading it whole tells, for files written with the
TOML features that could make a piece mean something else: sub-tables and arrays of a meeting
after other tables, headers spelled with spaces or quotes, a header in a string or a comment,
other arrays and tables between the meetings, CRLF, a BOM, ids taken twice (within a file,
across its pieces and across files) and pieces that are not TOML."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import DataSetError
from bot.service import datafiles, load_agenda
from tests.conftest import MINI_DATA

HEADERS = ["[[meeting]]", "[[meeting]]", "[[ meeting ]]", '[["meeting"]]', "[[meeting]] # c"]
AFTER = [
    "",
    "[[meeting.history]]\nknown = 2016-02-22\nvenue = 'V'",
    # the meeting's own history, after another array's entry: it belongs to the meeting above
    "[[meeting.history]]\nknown = 2016-02-22\n[[body]]\nid = 'h{k}'\nname = 'H'\n"
    "[[meeting.history]]\nknown = 2016-02-23\nvenue = 'W'",
]
BETWEEN = ["", "", "", "", "[[body]]\nid = 'b{k}'\nname = 'B'\n\n"]
# What may make an entry or the file wrong, and a message told.
WRONG = [
    "",
    "[meeting.extra]\nx = 1",
    "[meeting.history]\nknown = 2016-01-01",
    "extra.x = 1",
    "topics = ['nope']",
    'kind = "sesion"',
]
WRONG_BETWEEN = [
    "[other]\nb = 2\n\n",
    '[ladders]\ndefault = ["1d"]\n\n',
    "[dataset.extra]\nx = 1\n\n",
    "[x.y]\nz = 1\n\n",
    "[x]\nw = 1\n\n",
    "title = = 1\n",
]
IDS = ["m-1", "board-12", "", "Bad Id"]


@st.composite
def data_file(draw: st.DrawFn, wrong: bool) -> str:
    """A file of meetings, valid unless `wrong` (then perhaps not)."""
    text = draw(st.sampled_from(["", "# [[meeting]]\n", '[durations]\ndefault = "2h"\n', "\ufeff"]))
    for k in range(draw(st.integers(8, 24))):
        name = f'id = "c-{k}"'
        if wrong and draw(st.integers(0, 4)) == 0:
            picked = draw(st.sampled_from([*IDS, None]))
            name = "" if picked is None else f"id = {picked!r}"
        lines = [
            draw(st.sampled_from(HEADERS)),
            name,
            draw(st.sampled_from(["title", '"title"'])) + f' = "T {k} [[meeting]]"',
            'bodies = ["board"]\nkind = "session"\ntimezone = "Europe/Brussels"',
            'status = "planned"',
            draw(
                st.sampled_from(
                    [
                        "start = 2016-03-01",
                        "start = 2016-03-01T10:00:00\nupdated = 2016-01-20T10:00:00+01:00",
                        "sessions = [1, 2]",
                        "sources = [{url = 'https://e.org/a', title = 'S'}]",
                        "aliases = [\n  'x', # [[meeting]]\n]",
                    ]
                )
            ),
            draw(st.sampled_from(AFTER)).format(k=k),
        ]
        if wrong:
            lines.append(draw(st.sampled_from(WRONG)))
        text += "\n".join(line for line in lines if line) + "\n\n"
        between = [*BETWEEN, *WRONG_BETWEEN] if wrong else BETWEEN
        text += draw(st.sampled_from(between)).format(k=k)
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return text


def told(directory: Path) -> str:
    try:
        agenda = load_agenda(directory)
    except DataSetError as error:
        return str(error)
    return repr((sorted(agenda.records.items()), agenda.bodies, agenda.ladders, agenda.topics))


def told_both_ways(directory: Path, piece: int) -> tuple[str, str]:
    saved = datafiles.PIECES_FROM, datafiles.PIECE
    try:
        datafiles.PIECES_FROM, datafiles.PIECE = 100, piece
        in_pieces = told(directory)
        datafiles.PIECES_FROM = 10**12
        return in_pieces, told(directory)
    finally:
        datafiles.PIECES_FROM, datafiles.PIECE = saved


def folder(tmp_path_factory, files: dict[str, str]) -> Path:
    target: Path = tmp_path_factory.mktemp("data")
    for source in MINI_DATA.glob("*.toml"):
        (target / source.name).write_text(source.read_text(encoding="utf-8"), "utf-8")
    for name, text in files.items():
        (target / f"{name}.toml").write_bytes(text.encode())
    return target


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=data_file(wrong=False), piece=st.integers(1, 5))
def test_a_valid_file_read_in_pieces_is_the_agenda_read_whole(tmp_path_factory, text, piece):
    in_pieces, whole = told_both_ways(folder(tmp_path_factory, {"zzz": text}), piece)
    assert in_pieces == whole
    assert not in_pieces.startswith("1 problem") and "problems in the data set" not in in_pieces


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first=data_file(wrong=True),
    second=data_file(wrong=True),
    names=st.permutations(["aaa", "meetings", "zzz"]),
    piece=st.integers(1, 5),
)
def test_files_read_in_pieces_tell_every_problem_as_read_whole(
    tmp_path_factory, first, second, names, piece
):
    files = {names[0]: first, names[1]: second}
    in_pieces, whole = told_both_ways(folder(tmp_path_factory, files), piece)
    assert in_pieces == whole
