import pytest

from bot.core import DataSetError
from bot.service import BUNDLED_DATA, load_agenda


def test_bundled_data_loads():
    agenda = load_agenda(BUNDLED_DATA)
    assert agenda.meetings and agenda.topics and agenda.bodies


def test_every_file_problem_is_reported_together(data_dir):
    directory = data_dir(
        meetings="[[meeting]]\nid = 'x'\ntitle = \n",  # TOML syntax error
        topics=None,
    )
    (directory / "broken.toml").write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(DataSetError) as raised:
        load_agenda(directory)
    problems = [str(p) for p in raised.value.problems]
    assert any(p.startswith("broken.toml: is not UTF-8 text") for p in problems)
    assert any(
        p.startswith("meetings.toml: is not valid TOML: Invalid value (at line 3") for p in problems
    ), problems


def test_nothing_is_half_loaded(data_dir):
    directory = data_dir(extra="[[meeting]]\nid = 'x'\n")
    with pytest.raises(DataSetError):
        load_agenda(directory)


def test_a_missing_directory_says_which_setting_to_change(tmp_path):
    with pytest.raises(DataSetError, match="AGENDA_DATA_DIR"):
        load_agenda(tmp_path / "nowhere")


def test_an_empty_directory(tmp_path):
    with pytest.raises(DataSetError, match=r"holds no \.toml files"):
        load_agenda(tmp_path)


def test_other_files_in_the_directory_are_ignored(data_dir):
    directory = data_dir()
    (directory / "notes.txt").write_text("not toml")
    (directory / "sub").mkdir()
    (directory / "sub" / "x.toml").write_text("garbage =")
    assert load_agenda(directory).dataset.name == "Test Forum agenda"


DEEP_ENTRY = """
[[meeting]]
id = "deep"
title = "A meeting with a field nested too deep"
bodies = ["board"]
kind = "session"
timezone = "UTC"
status = "planned"
aliases = {value}
"""


@pytest.mark.parametrize(
    "value", ["[" * 5000 + "]" * 5000, "{a = " * 5000 + "1" + "}" * 5000], ids=["array", "table"]
)
def test_a_5000_deep_nesting_is_a_listed_problem_not_a_recursion_error(data_dir, value):
    # Regression (issue 9): `check` died with RecursionError in tomllib.
    directory = data_dir(extra=DEEP_ENTRY.format(value=value))
    with pytest.raises(DataSetError) as raised:
        load_agenda(directory)
    [problem] = raised.value.problems
    where = (problem.file, problem.entry, problem.field)
    assert where == ("extra.toml", "meeting 'deep'", "aliases")
    assert problem.message.startswith("nests arrays or tables 5000 deep (line 9)")


DATED_ENTRY = """
[[meeting]]
id = "far"
title = "A meeting out of time"
bodies = ["board"]
kind = "session"
timezone = "{zone}"
status = "planned"
start = {start}
"""


@pytest.mark.parametrize(
    ("start", "zone", "shown"),
    [
        ("9999-12-31", "UTC", "9999-12-31"),
        ("0001-01-01T00:30:00", "Asia/Tokyo", "0001-01-01T00:30:00"),
        ("1899-12-31", "America/New_York", "1899-12-31"),
        ('"2201"', "UTC", "'2201'"),
        ('"0001-01"', "UTC", "'0001-01'"),
    ],
)
def test_dates_out_of_range_are_listed_problems_not_overflow_errors(data_dir, start, zone, shown):
    # Regression (issue 9): OverflowError in the time code for 9999-12-31 and for
    # 0001-01-01T00:30:00 in Asia/Tokyo.
    directory = data_dir(extra=DATED_ENTRY.format(start=start, zone=zone))
    with pytest.raises(DataSetError) as raised:
        load_agenda(directory)
    [problem] = raised.value.problems
    assert (problem.file, problem.entry, problem.field) == ("extra.toml", "meeting 'far'", "start")
    assert problem.message.startswith(f"{shown} is outside the years 1900 to 2200; give ")


def test_any_date_of_an_entry_is_bounded(data_dir):
    directory = data_dir(
        extra=DATED_ENTRY.format(start="2016-03-02", zone="UTC")
        + "updated = 9999-12-31T23:59:59-05:00\nsources = [{ title = 't', "
        "url = 'https://example.org', verified = 0001-01-01 }]\n"
    )
    with pytest.raises(DataSetError) as raised:
        load_agenda(directory)
    assert [p.field for p in raised.value.problems] == ["updated", "sources[1].verified"]


def test_a_fifo_named_toml_is_skipped_with_a_warning_instead_of_hanging(data_dir):
    # Regression (issue 9): `check` waited forever for a writer on a FIFO named x.toml.
    import os
    import subprocess
    import sys
    from pathlib import Path

    directory = data_dir()
    os.mkfifo(directory / "x.toml")
    (directory / "folder.toml").mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check", str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=directory,
        env=dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2])),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"OK: {directory}: ")
    assert f"Warning: folder.toml in {directory} is not a regular file; skipped" in result.stderr
    assert f"Warning: x.toml in {directory} is not a regular file; skipped" in result.stderr


EARLY_OUTCOME = """
[[meeting]]
id = "early"
title = "A meeting reported on before it met"
bodies = ["board"]
kind = "session"
start = 2016-06-01
timezone = "Europe/Brussels"
status = "planned"
announced = 2016-01-10
outcome = "The board adopted the budget."
"""


def test_an_outcome_known_before_its_meeting_ended_is_a_listed_problem(data_dir):
    # Regression (review of issue 11): the calendar file showed the outcome of a meeting that
    # had not met yet, although /meeting hid it.
    with pytest.raises(DataSetError) as raised:
        load_agenda(data_dir(extra=EARLY_OUTCOME))
    [problem] = raised.value.problems
    assert (problem.entry, problem.field) == ("meeting 'early'", "outcome")
    assert "known from 2016-01-10, before it ended" in problem.message


def test_the_fast_reader_reads_what_tomllib_reads_with_plain_offsets():
    # Issue 16: rtoml parses the files (most of a cold load was tomllib); what it gives must
    # be what tomllib gives, offsets as datetime.timezone (rtoml's own tzinfo cannot be pickled).
    import tomllib
    from datetime import datetime, timezone

    from bot.service.datafiles import _loads
    from tests.conftest import MINI_DATA

    for path in [*BUNDLED_DATA.glob("*.toml"), *MINI_DATA.glob("*.toml")]:
        text = path.read_text(encoding="utf-8")
        read = _loads(text)
        assert read == tomllib.loads(text), path.name
    text = "a = 2015-10-14T00:00:00+02:00\n[[m]]\nb = [{ c = 2015-01-01T00:00:00-05:30 }]\n"
    read = _loads(text)
    assert read == tomllib.loads(text)
    assert type(read["a"].tzinfo) is timezone
    assert type(read["m"][0]["b"][0]["c"].tzinfo) is timezone
    assert isinstance(read["a"], datetime)


def test_the_agenda_cache_stores_an_agenda_read_with_offsets(tmp_path):
    # Regression (issue 16): with rtoml's tzinfo in the data, pickling the agenda for the
    # cache failed and `python -m bot export` died with PicklingError.
    from bot.service import load_library

    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    first = load_library(BUNDLED_DATA, cache)
    assert list(cache.glob("agenda-*.pickle"))
    again = load_library(BUNDLED_DATA, cache)
    assert again.agenda.meetings == first.agenda.meetings


def test_a_data_set_whose_only_file_is_not_utf8_is_reported_not_crashed(tmp_path):
    # Regression (review of issue 16): with no file decoded, freeing the last file's text
    # raised UnboundLocalError instead of listing the problems.
    (tmp_path / "a.toml").write_bytes(b"\xff\xfe")
    with pytest.raises(DataSetError) as raised:
        load_agenda(tmp_path)
    problems = [str(p) for p in raised.value.problems]
    assert any(p.startswith("a.toml: is not UTF-8 text") for p in problems), problems


def test_a_load_leaves_the_collector_on_with_its_objects_among_the_oldest():
    # Issue 16: made with the collector off, the library is moved to the oldest generation at
    # once, not walked as young objects by the collector's next runs. In a fresh interpreter:
    # nothing frozen there before (a test that froze objects would keep them out of the move).
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import gc\n"
        "from bot.service import BUNDLED_DATA, load_library\n"
        "assert gc.isenabled() and gc.get_freeze_count() == 0\n"
        "library = load_library(BUNDLED_DATA)\n"
        "assert gc.isenabled() and gc.get_freeze_count() == 0\n"
        "assert any(found is library for found in gc.get_objects(generation=2))\n"
        "print('ok')\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        timeout=120,
    )
    assert done.stdout.strip() == "ok", done.stderr


def test_a_load_after_start_up_froze_its_objects_keeps_them_frozen(tmp_path):
    import gc

    from bot.service import load_library

    kept = [[]]
    gc.freeze()
    try:
        library = load_library(BUNDLED_DATA)
        assert gc.isenabled() and library.agenda.meetings
        assert gc.get_freeze_count() > 0
        assert not any(found is kept for found in gc.get_objects())  # still frozen
    finally:
        gc.unfreeze()
    assert any(found is kept for found in gc.get_objects())


def test_a_load_from_the_cache_unpickles_with_the_collector_paused(tmp_path, monkeypatch):
    # Issue 16 (start-up review): unpickling the cached library ran the collector, full walks
    # of the heap among its runs (three, about 0.5 s on every warm start), finding nothing.
    import gc
    import pickle

    from bot.service import datafiles, load_library

    load_library(BUNDLED_DATA, tmp_path)  # writes the cache
    collecting: list[bool] = []
    unpickle = pickle.load

    def load(stream):
        collecting.append(gc.isenabled())
        return unpickle(stream)

    monkeypatch.setattr(datafiles.pickle, "load", load)
    library = load_library(BUNDLED_DATA, tmp_path)
    assert library.agenda.meetings
    assert collecting == [False]
    assert gc.isenabled()
