"""The console end to end: in-process, and as the real `python -m bot` process."""

import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import icalendar
import pytest

from bot.console import Console, complete_line
from bot.core import COMMANDS
from bot.service import CommandRunner
from tests.conftest import MINI_DATA

ROOT = Path(__file__).resolve().parents[2]


def run_bot(*args, stdin="", cwd=None, env=None, timeout=60):
    database = Path(tempfile.mkdtemp()) / "bot.sqlite3"
    environment = dict(
        os.environ,
        DISCORD_TOKEN="",
        PYTHONPATH=str(ROOT),
        DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        AGENDA_RELOAD_SECONDS="0",
        WEB_PORT="0",
        AGENDA_CACHE_DIR="",
    )
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=environment,
        timeout=timeout,
        check=False,
    )


async def test_console_answers_each_line_and_saves_calendars(mini_service, tmp_path):
    out = io.StringIO()
    console = Console(CommandRunner(mini_service), out, save_dir=tmp_path)
    await console.run(["/next\n", "\n", "/calendar body:board\n", "/quit\n", "/topics\n"])
    text = out.getvalue()
    assert text.startswith("**Under way: Regional workshop, Americas**")
    assert f"Saved {tmp_path / 'agenda-board.ics'} (" in text
    assert "**Topics**" not in text  # nothing after /quit
    saved = icalendar.Calendar.from_ical((tmp_path / "agenda-board.ics").read_bytes())
    assert len(saved.walk("VEVENT")) == 3
    assert [p.name for p in tmp_path.iterdir()] == ["agenda-board.ics"]  # no temporary left


async def test_console_reports_a_file_it_cannot_write(mini_service, tmp_path):
    out = io.StringIO()
    console = Console(CommandRunner(mini_service), out, save_dir=tmp_path / "missing")
    await console.run(["/calendar\n"])
    assert "Could not save" in out.getvalue()
    assert "Nothing was written." in out.getvalue()


@pytest.mark.parametrize("page", ["²", "٣", "１", "-1", "0"])
async def test_agenda_page_superscript_digit_says_what_to_type_instead_of_failing(
    mini_service, page
):
    # Regression (issue 9): `/agenda page:²` answered "Sorry, that went wrong": isdigit()
    # accepts a superscript two, int() does not.
    reply = await Console(CommandRunner(mini_service), io.StringIO()).answer(f"/agenda page:{page}")
    assert reply.title == "That option does not work"
    assert reply.body == f"page: '{page}' is not a page number; write `page:2`"


async def test_an_unexpected_error_is_an_apology_not_a_traceback(mini_service, caplog):
    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    mini_service.asked = broken  # what every agenda command is answered from
    reply = await Console(CommandRunner(mini_service), io.StringIO()).answer("/next")
    assert reply.title == "Sorry, that went wrong on my side"
    assert "command failed: '/next'" in caplog.text


@pytest.mark.parametrize(
    ("buffer", "text", "expected"),
    [
        ("/to", "/to", ["/topics ", "/topic "]),
        ("", "", [f"/{c.name} " for c in COMMANDS]),
        ("/agenda b", "b", ["body:"]),
        ("/agenda ", "", ["body:", "kind:", "topic:", "status:", "past:", "page:"]),
        ("/nothing x", "x", []),
    ],
)
def test_completion(buffer, text, expected):
    assert complete_line(buffer, text) == expected


def test_the_real_process_in_console_mode_with_piped_input():
    result = run_bot("--as-of", "2015-10-23", stdin="/next\n/meeting PTC 211\n/tpoic x\n")
    assert result.returncode == 0, result.stderr
    assert (
        "**Under way: WCO Regional Workshop on the TFA and the Mercator Programme" in result.stdout
    )
    assert "**Permanent Technical Committee, 211th/212th Sessions**" in result.stdout
    assert "**Unknown command /tpoic**\n\nDid you mean `/topic`?" in result.stdout
    assert "Traceback" not in result.stderr


def test_the_console_user_says_they_go_and_is_told_events_belong_to_a_server():
    lines = "/attending PTC 211 answer:maybe\n/attendees PTC 211\n/events mirror on\n"
    result = run_bot("--as-of", "2015-10-23", stdin=lines + "/attending PTC 211 answer:perhaps\n")
    assert result.returncode == 0, result.stderr
    title = "Permanent Technical Committee, 211th/212th Sessions"
    assert (
        f"**Noted**\n\nYou might go to **{title}**. Going from this server so far: 0; "
        "`/attendees ptc-211-212` lists who." in result.stdout
    )
    assert f"**Attendees: {title}**\n\n**Maybe (1)**\nyou (console)" in result.stdout
    assert "**This works in a Discord server only**" in result.stdout
    assert "answer: 'perhaps' is not one of yes, no, maybe; write `answer:yes`." in result.stdout
    assert "Traceback" not in result.stderr


def test_ask_answers_one_command():
    result = run_bot("ask", "/topic 3d printng", "--as-of", "2015-10-23")
    assert result.returncode == 0
    assert result.stdout.startswith("**3D printing**\n\n")


def test_ask_exits_non_zero_when_nothing_matches():
    result = run_bot("ask", "/topic zzzzzz")
    assert result.returncode == 1
    assert result.stdout.startswith("**No topic matches 'zzzzzz'**")


def test_export_to_stdout_lists_undated_meetings_on_stderr():
    result = run_bot("export", "--data", str(MINI_DATA))
    assert result.returncode == 0
    assert result.stdout.startswith("BEGIN:VCALENDAR\n")  # text mode reads CRLF as \n
    assert result.stderr.splitlines() == [
        "left out (no day known yet): tc-8: Technical Committee, 8th Session",
        "left out (no day known yet): summit-2016: Forum Summit 2016",
        "left out (no day known yet): tc-next: Technical Committee, meeting after next",
    ]


def test_export_to_a_file_with_filters(tmp_path):
    target = tmp_path / "out.ics"
    result = run_bot(
        "export", "--data", str(MINI_DATA), "--out", str(target), "--topic", "drones", "--alarms"
    )
    assert result.returncode == 0, result.stderr
    calendar = icalendar.Calendar.from_ical(target.read_bytes())
    assert len(calendar.walk("VEVENT")) == 3
    assert all(event.walk("VALARM") for event in calendar.walk("VEVENT"))


def test_export_with_an_unknown_body_says_what_to_type(tmp_path):
    result = run_bot("export", "--data", str(MINI_DATA), "--body", "nobody at all")
    assert result.returncode == 2
    assert "No body matches 'nobody at all'" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ("--as-of", "2015-10-23", "ask", "/next"),
        ("ask", "/next", "--as-of", "2015-10-23"),
    ],
)
def test_as_of_works_before_the_command_and_after_it(args):
    # Regression (review of issue 14): given before `ask`, --as-of was overwritten by the
    # command's own default and the answer was for today.
    result = run_bot(*args)
    assert result.returncode == 0
    assert result.stdout.startswith("**Under way: WCO Regional Workshop on the TFA")


def test_who_answers_in_the_console_as_of_the_news_item():
    result = run_bot("ask", "/who Zhangzhu Gao", "--as-of", "2015-10-23")
    assert result.returncode == 0
    assert result.stdout.startswith("**Person: Gaozhang Zhu**\n")
    assert "**Also written**\nZhangzhu Gao," in result.stdout
    unknown = run_bot("ask", "/who Ana Hinojosa", "--as-of", "2015-10-23")  # known from 2016
    assert unknown.returncode != 0
    assert unknown.stdout.startswith("**No person matches 'Ana Hinojosa'**")


def test_check_passes_on_the_bundled_data():
    result = run_bot("check")
    assert result.returncode == 0
    data, discord = result.stdout.splitlines()
    assert data.startswith("OK: ") and data.endswith(" 14 topics, 18 people.")
    assert discord.startswith("OK: Discord bot built offline with 20 slash commands: /agenda, ")


def test_check_fails_and_lists_problems(data_dir):
    directory = data_dir(extra="[[meeting]]\nid = 'x'\n")
    result = run_bot("check", str(directory))
    assert result.returncode == 1
    assert (
        "extra.toml: meeting 'x', field 'title': missing; this field is required" in result.stderr
    )


def test_the_bot_does_not_start_on_a_broken_data_set(data_dir):
    directory = data_dir(extra="[[meeting]]\nid = 'x'\n")
    result = run_bot("--data", str(directory), stdin="/next\n")
    assert result.returncode == 1
    assert "Cannot start" in result.stderr and result.stdout == ""


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CONSOLE_TIMEZONE": "Mars/Base"}, "Setting CONSOLE_TIMEZONE"),
        ({"AGENDA_SPEED": "-2"}, "Setting AGENDA_SPEED"),
        ({"AGENDA_SPEED": "inf"}, "Setting AGENDA_SPEED"),
    ],
)
def test_bad_settings_are_explained_without_a_traceback(env, message):
    result = run_bot(stdin="/next\n", env=env)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "yesterday"], "Cannot start: --as-of/--speed: 'yesterday' is not a date"),
        (["--as-of", "9999-12-31"], "Cannot start: --as-of/--speed: '9999-12-31' is outside"),
        (["--speed", "0"], "Cannot start: --as-of/--speed: speed must be more than 0"),
    ],
)
def test_bad_clock_options_say_cannot_start_without_a_traceback(args, message):
    result = run_bot(*args, stdin="/next\n")
    assert result.returncode == 1
    assert result.stderr.startswith(message)
    assert "Traceback" not in result.stderr


def test_calendar_command_saves_in_the_working_directory(tmp_path):
    result = run_bot("--data", str(MINI_DATA), stdin="/calendar\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "agenda.ics").exists()


@pytest.mark.parametrize("url", ["sqlite+aiosqlite:////proc/no/such/dir/bot.db", "nonsense://"])
def test_a_database_that_cannot_be_opened_is_explained(url):
    result = run_bot("ask", "/next", env={"DATABASE_URL": url})
    assert result.returncode == 1
    assert result.stderr.startswith("Cannot start: ")
    assert "Check DATABASE_URL" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("env", "address"),
    [
        ({"PUBLIC_BASE_URL": "https://agenda.example.org"}, "https://agenda.example.org"),
        ({"WEB_HOST": "127.0.0.1", "WEB_PORT": "8123"}, "http://127.0.0.1:8123"),
    ],
)
def test_ask_calendar_link_answers_with_the_address_from_the_settings(env, address):
    # Regression (issue 9): `ask` said "Calendar feeds are not served here" although the site
    # is configured: the address comes from the settings, no server needs to run.
    result = run_bot("ask", "/calendar link PTC", env=env)
    assert result.returncode == 0, result.stderr
    webcal = address.replace("https://", "webcal://").replace("http://", "webcal://")
    assert result.stdout == (
        "**Calendar feed: Permanent Technical Committee (PTC)**\n\n"
        "Subscribe in your calendar application (it keeps it up to date):\n"
        f"{webcal}/feeds/body/ptc.ics\n{address}/feeds/body/ptc.ics\n\n"
    )
