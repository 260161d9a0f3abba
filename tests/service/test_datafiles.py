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
