"""`export --out` writes to what the user named: a file whole or not at all, through a link, to a
terminal or a pipe as it is, and never over a folder. Real files, links and FIFOs."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tests.conftest import MINI_DATA
from tests.console.test_console import run_bot


def test_export_to_dev_stdout_writes_through_instead_of_replacing_it(tmp_path):
    # Regression (issue 9): `--out /dev/stdout` renamed a file over /dev/stdout (as root).
    # /dev/stdout is a link to /proc/self/fd/1; the same link in tmp_path shows what happens
    # to it without touching the machine's own /dev.
    stdout = tmp_path / "stdout"
    stdout.symlink_to("/proc/self/fd/1")
    result = run_bot("export", "--data", str(MINI_DATA), "--out", str(stdout), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("BEGIN:VCALENDAR")
    assert stdout.is_symlink() and stdout.readlink() == Path("/proc/self/fd/1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stdout"]  # no temporary file left
    # Only once the stand-in survived: the real one.
    result = run_bot("export", "--data", str(MINI_DATA), "--out", "/dev/stdout", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("BEGIN:VCALENDAR")
    assert Path("/dev/stdout").is_symlink()


def test_export_to_a_fifo_writes_into_the_pipe_and_leaves_it_a_pipe(tmp_path):
    # Regression (issue 9): the FIFO was replaced by a regular file; the reader got nothing.
    fifo = tmp_path / "calendar.ics"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader is there: the writer opens
    try:
        result = run_bot("export", "--data", str(MINI_DATA), "--out", str(fifo), cwd=tmp_path)
        chunks = []
        while chunk := os.read(reader, 65536):  # the writer has gone: all there is, then EOF
            chunks.append(chunk)
    finally:
        os.close(reader)
    assert result.returncode == 0, result.stderr
    content = b"".join(chunks)
    assert content.startswith(b"BEGIN:VCALENDAR") and content.rstrip().endswith(b"END:VCALENDAR")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_export_through_a_symlink_replaces_the_file_it_points_to_and_keeps_the_link(tmp_path):
    # Regression (issue 9): the link itself was replaced by a regular file.
    folder = tmp_path / "calendars"
    folder.mkdir()
    real = folder / "agenda.ics"
    real.write_text("old\n")
    real.chmod(0o644)
    link = tmp_path / "agenda.ics"
    link.symlink_to(real)
    result = run_bot("export", "--data", str(MINI_DATA), "--out", str(link), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and link.resolve() == real
    assert real.read_text().startswith("BEGIN:VCALENDAR")
    assert stat.S_IMODE(real.stat().st_mode) == 0o644
    assert sorted(p.name for p in folder.iterdir()) == ["agenda.ics"]


def test_export_to_a_folder_says_to_give_a_file_name_and_writes_nothing(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    result = run_bot("export", "--data", str(MINI_DATA), "--out", str(folder), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().endswith(
        f"Cannot write {folder}: it is a folder; give a file name, e.g. --out {folder}/agenda.ics"
    )
    assert "Traceback" not in result.stderr
    assert list(folder.iterdir()) == []
