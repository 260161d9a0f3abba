"""Start-ups that explain themselves, and a database that disappears under a running bot.

Each case runs the real `python -m bot` process in a temporary folder, as a user would.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.console.test_console import ROOT, run_bot

CONSOLE = {"WEB_ENABLED": "false", "AGENDA_RELOAD_SECONDS": "0"}


def fresh_database(tmp_path: Path) -> Path:
    """A migrated SQLite database, made by the bot itself."""
    database = tmp_path / "bot.sqlite3"
    made = run_bot("ask", "/help", env={"DATABASE_URL": f"sqlite+aiosqlite:///{database}"})
    assert made.returncode == 0, made.stderr
    return database


def assert_explained(result, start: str) -> None:
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(start), result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("how", ["read-only URI", "file mode 0444"])
def test_a_read_only_sqlite_file_says_cannot_start_instead_of_a_traceback(tmp_path, how):
    # Regression (issue 9): the reminder engine's first write failed with a traceback.
    if how == "file mode 0444" and os.geteuid() == 0:
        pytest.skip("root writes read-only files; the read-only URI case covers it")
    database = fresh_database(tmp_path)
    if how == "file mode 0444":
        database.chmod(0o444)
        url = f"sqlite+aiosqlite:///{database}"
    else:
        url = f"sqlite+aiosqlite:///file:{database}?mode=ro&uri=true"
    result = run_bot(stdin="/next\n", env={**CONSOLE, "DATABASE_URL": url})
    assert_explained(
        result,
        "Cannot start: the database at DATABASE_URL cannot be written (attempt to write a "
        "readonly database); let this user write the database file and its folder, or point "
        "DATABASE_URL at another database. Check DATABASE_URL",
    )


def test_a_sqlite_url_with_the_sync_driver_is_opened_with_aiosqlite(tmp_path):
    # Regression (issue 9): `sqlite:///file` failed with "The asyncio extension requires an
    # async driver". The same file is opened with the async driver instead.
    result = run_bot("ask", "/help", env={"DATABASE_URL": "sqlite:///bot.sqlite3"}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "bot.sqlite3").stat().st_size > 0


def test_another_sync_driver_says_which_async_driver_to_use(tmp_path):
    result = run_bot("ask", "/next", env={"DATABASE_URL": "mysql+pymysql://u@localhost/agenda"})
    assert_explained(
        result,
        "Cannot start: DATABASE_URL names mysql's synchronous driver 'pymysql'; the bot needs "
        "an async one, e.g. sqlite+aiosqlite:///var/agenda-bot.sqlite3 or postgresql+asyncpg://",
    )


@pytest.mark.parametrize("speed", ["inf", "1e308"])
def test_a_speed_too_fast_for_the_clock_says_cannot_start(tmp_path, speed):
    # Regression (issue 9): OverflowError in the clock, with a traceback.
    database = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    result = run_bot("--speed", speed, stdin="/next\n", env={**CONSOLE, "DATABASE_URL": database})
    shown = f"{float(speed):g}"
    assert_explained(
        result,
        f"Cannot start: --as-of/--speed: --speed {shown} is too fast; give at most 1000000, "
        "e.g. 3600",
    )


def test_invalid_utf8_on_standard_input_is_replaced_and_the_console_goes_on(tmp_path):
    # Regression (issue 9): a UnicodeDecodeError traceback ended the console. A UTF-8 locale
    # reads standard input strictly (PYTHONIOENCODING says so whatever this machine's locale).
    environment = dict(
        os.environ,
        **CONSOLE,
        DISCORD_TOKEN="",
        PYTHONPATH=str(ROOT),
        PYTHONIOENCODING="utf-8:strict",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--as-of", "2015-10-23"],
        input=b"/topic kyoto\xff\xfe\n/topic \xc3\n/meeting PTC 211\n",
        capture_output=True,
        cwd=tmp_path,
        env=environment,
        timeout=60,
        check=False,
    )
    stdout, stderr = result.stdout.decode(), result.stderr.decode()
    assert result.returncode == 0, stderr
    assert "Traceback" not in stderr
    titles = [line for line in stdout.splitlines() if line.startswith("**")]
    assert titles[0] == "**Revised Kyoto Convention (RKC)**"  # "kyoto\ufffd\ufffd"
    assert "**No topic matches '\ufffd'**" in titles  # the lone byte, as it was read
    assert "**Permanent Technical Committee, 211th/212th Sessions**" in titles


class Console:
    """`python -m bot` with a pipe for standard input, answered line by line."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, tmp_path: Path, database: Path) -> Console:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "--as-of",
            "2015-10-23",
            cwd=tmp_path,
            env=dict(
                os.environ,
                **CONSOLE,
                DISCORD_TOKEN="",
                PYTHONPATH=str(ROOT),
                DATABASE_URL=f"sqlite+aiosqlite:///{database}",
            ),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(process)

    async def ask(self, line: str, answer_ends: str) -> str:
        self.process.stdin.write(line.encode() + b"\n")
        await self.process.stdin.drain()
        text = await asyncio.wait_for(self.process.stdout.readuntil(answer_ends.encode()), 30)
        return text.decode()

    async def close(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


@pytest.mark.parametrize("how", ["deleted", "replaced"])
async def test_a_database_file_deleted_while_running_stops_the_bot_instead_of_losing_writes(
    tmp_path, how
):
    # Regression (issue 9): with its file deleted, the bot went on acknowledging subscriptions
    # that no file kept.
    database = tmp_path / "bot.sqlite3"
    console = await Console.start(tmp_path, database)
    try:
        answer = await console.ask("/subscribe PTC", "`/unsubscribe` stops._\n\n")
        assert answer.startswith("**Subscribed**")
        kept = tmp_path / "kept.sqlite3"
        shutil.copyfile(database, kept)
        for path in tmp_path.glob("bot.sqlite3*"):
            path.unlink()
        if how == "replaced":
            kept.rename(database)
        answer = await console.ask("/subscribe tfa", "start the bot again.\n\n")
        assert answer.startswith("**Not saved: the database is gone**\n\nThe database file ")
        code = await asyncio.wait_for(console.process.wait(), 30)
        stderr = (await console.process.stderr.read()).decode()
    finally:
        await console.close()
    assert code == 1, stderr
    assert "Traceback" not in stderr
    assert stderr.rstrip().endswith(
        f"Stopped: the database file {database} was deleted or replaced while the bot was "
        "running; nothing more is written to it. Put the file back (or keep the new one) and "
        "start the bot again."
    )


def changed_database(tmp_path: Path, statement: str) -> str:
    """A database the bot made, then changed by hand with `statement`: its URL."""
    database = fresh_database(tmp_path)
    with sqlite3.connect(database) as connection:
        connection.execute(statement)
    connection.close()
    return f"sqlite:///{database}"


@pytest.mark.parametrize(
    ("statement", "explained"),
    [
        (
            "UPDATE alembic_version SET version_num = 'f00d_newer'",
            "Cannot start: the database at DATABASE_URL has a schema this version of the bot "
            "does not know (Can't locate revision identified by 'f00d_newer'); a newer version "
            "probably wrote it: run that version, or point DATABASE_URL at another database. "
            "Check DATABASE_URL",
        ),
        (
            "INSERT INTO subscriptions (owner, delivery, guild_id, channel_id, scope_kind, "
            "scope_id, leads, created) VALUES ('console', 'channel', '', '', 'planet', 'x', "
            "NULL, 0)",
            "Cannot start: the subscriptions in the database cannot be read ('planet' is not a "
            "valid ScopeKind); a newer version of the bot probably wrote them: run that "
            "version. Check DATABASE_URL",
        ),
    ],
    ids=["migration", "subscription"],
)
def test_a_database_a_newer_version_wrote_says_cannot_start(tmp_path, statement, explained):
    # Regression: Alembic's "Can't locate revision", or "ValueError: 'planet' is not a valid
    # ScopeKind", ended the start with a traceback.
    url = changed_database(tmp_path, statement)
    result = run_bot(stdin="/next\n", env={**CONSOLE, "DATABASE_URL": url})
    assert_explained(result, explained)


def test_a_saved_time_zone_this_machine_lacks_is_a_warning(tmp_path):
    # Regression: UnknownZoneError ended the console's start with a traceback.
    url = changed_database(
        tmp_path, "INSERT INTO user_settings (owner, timezone) VALUES ('console', 'Mars/Olympus')"
    )
    result = run_bot("--as-of", "2015-10-23", stdin="/next\n", env={**CONSOLE, "DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        "Warning: your time zone 'Mars/Olympus' (set with /timezone) is not in this machine's "
        "time zone database; times are shown in UTC. Update the tzdata package, or choose "
        "another zone with /timezone.\n"
    )
    assert result.stdout.startswith("**Under way: WCO Regional Workshop on the TFA")


@pytest.mark.parametrize("command", [(), ("ask", "/next")])
def test_a_database_path_that_cannot_be_looked_at_says_cannot_start(tmp_path, command):
    # Regression (review of the early read of the subscriptions): the path was looked at before
    # Store.open, and an OSError other than "not there" (a name too long here; a folder this
    # user may not enter) ended the start with a traceback instead of Store.open's explanation.
    database = tmp_path / ("a" * 300) / "bot.sqlite3"
    result = run_bot(
        *command, stdin="/next\n", env={**CONSOLE, "DATABASE_URL": f"sqlite:///{database}"}
    )
    assert_explained(result, "Cannot start: DATABASE_URL cannot be used: [Errno")
