"""`python -m bot`: run the bot, answer one command, export a calendar, or check a data set."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from collections.abc import Awaitable, Sequence
from pathlib import Path

from pydantic import ValidationError

from bot.console import (
    Console,
    ConsoleSender,
    Terminal,
    banner,
    stdin_lines,
    write_atomically,
)
from bot.core import (
    MAX_SPEED,
    Clock,
    DataSetError,
    LivingClock,
    PlainTimes,
    Reply,
    SystemClock,
    TimeStyle,
    Tone,
    parse_as_of,
    saved_zone,
)
from bot.service import AgendaService, EarlySubscriptions, Runtime, load_agenda, load_library
from bot.settings import Settings
from bot.storage import DatabaseLost, StorageError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
log = logging.getLogger("bot")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as problem:
        for detail in problem.errors():
            name = ".".join(str(part) for part in detail["loc"]).upper()
            print(f"Setting {name}: {detail['msg']}", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(
        level=settings.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command == "check":
        return _check(Path(args.path) if args.path else settings.agenda_data_dir, settings)
    try:
        clock = _clock(args, settings)
    except ValueError as problem:
        print(f"Cannot start: --as-of/--speed: {problem}", file=sys.stderr)
        return EXIT_FAILED
    data_dir = Path(args.data) if args.data else settings.agenda_data_dir
    # A bot, or one command, reads the subscriptions: begun now, beside the agenda's loading
    # (and in Discord the login), rather than after it.
    early = None
    if args.command in (None, "run", "ask"):
        early = EarlySubscriptions.begin(settings.database_url)
    try:
        return _run(args, settings, clock, data_dir, early)
    finally:
        if early is not None:
            early.cancel()  # not taken when the start failed first: it stops at its next chunk


def _run(
    args: argparse.Namespace,
    settings: Settings,
    clock: Clock,
    data_dir: Path,
    early: EarlySubscriptions | None,
) -> int:
    try:
        # An export reads no search index: it is the costliest to build.
        searched = args.command != "export"
        agenda = load_library(data_dir, settings.agenda_cache_dir, searched=searched)
    except DataSetError as problem:
        print(f"Cannot start: the data set in {data_dir} has problems.\n{problem}", file=sys.stderr)
        print("Fix them, then check with: python -m bot check", file=sys.stderr)
        return EXIT_FAILED
    service = AgendaService(agenda, clock, PlainTimes(settings.reader_zone))
    if args.command == "export":
        return _export(service, args)
    try:
        if args.command == "ask":
            return asyncio.run(_ask(service, settings, args.line, early))
        if args.command == "export-data":
            return asyncio.run(_export_data(service, settings, Path(args.directory)))
        if args.command == "import":
            return asyncio.run(_import(service, settings, args))
        if settings.discord_token is not None:
            from bot.discord import run_discord

            return run_discord(service, settings, data_dir, early)
        return asyncio.run(_console(service, settings, data_dir, early))
    except DatabaseLost as problem:
        print(f"Stopped: {problem}.", file=sys.stderr)
        return EXIT_FAILED
    except StorageError as problem:
        print(
            f"Cannot start: {problem}. Check DATABASE_URL (default: a SQLite file under ./var).",
            file=sys.stderr,
        )
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_OK


def _common(default: object) -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False, argument_default=default)
    common.add_argument("--data", metavar="DIR", help="agenda data directory (AGENDA_DATA_DIR)")
    common.add_argument(
        "--as-of", metavar="DATE", help="live as if it were DATE, e.g. 2015-10-23 (AGENDA_AS_OF)"
    )
    common.add_argument(
        "--speed", type=float, metavar="X", help="time runs X times faster (AGENDA_SPEED)"
    )
    return common


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        parents=[_common(None)],
        description="Agenda and reminder bot. Without DISCORD_TOKEN it runs in the console.",
    )
    # The options may come before the command or after it: the command's own copies have no
    # default, so that one given before it ("--as-of D ask ...") is not overwritten by None.
    common = _common(argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", parents=[common], help="start the bot (the default)")
    ask = commands.add_parser("ask", parents=[common], help="answer one command and exit")
    ask.add_argument("line", help='a command line, e.g. "/topic 3d printing"')
    export = commands.add_parser("export", parents=[common], help="write an iCalendar file")
    export.add_argument("--out", metavar="FILE", help="file to write (default: standard output)")
    export.add_argument("--body", help="only this body's meetings")
    export.add_argument("--topic", help="only meetings on this topic")
    export.add_argument("--alarms", action="store_true", help="add reminders (VALARM)")
    export_data = commands.add_parser(
        "export-data",
        parents=[common],
        help="write the agenda, with every revision (editors' too), as a data directory",
    )
    export_data.add_argument("directory", help="where to write the data files")
    imports = commands.add_parser(
        "import", parents=[common], help="add the events of an iCalendar file to the agenda, once"
    )
    imports.add_argument("file", help="the .ics file")
    imports.add_argument("--body", help="the body its meetings belong to (default: its own)")
    imports.add_argument(
        "--dry-run", action="store_true", help="only show what would be added or changed"
    )
    check = commands.add_parser("check", help="validate a data directory and exit")
    check.add_argument("path", nargs="?", help="directory (default: AGENDA_DATA_DIR)")
    return parser


def _clock(args: argparse.Namespace, settings: Settings) -> Clock:
    as_of = parse_as_of(args.as_of) if args.as_of else settings.agenda_as_of
    speed = args.speed if args.speed is not None else settings.agenda_speed
    if not speed > 0:
        raise ValueError("speed must be more than 0, e.g. --speed 60")
    if not speed <= MAX_SPEED:  # inf and 1e308 overflow the clock's arithmetic
        raise ValueError(f"--speed {speed:g} is too fast; give at most {MAX_SPEED}, e.g. 3600")
    if as_of is None and speed == 1:
        return SystemClock()
    real = SystemClock()
    return LivingClock(as_of or real.now(), speed, real)


def _check(path: Path, settings: Settings) -> int:
    """Validate the data set, then build the Discord bot and its command tree offline."""
    try:
        agenda = load_agenda(path, warn=lambda text: print(f"Warning: {text}", file=sys.stderr))
    except DataSetError as problem:
        print(problem, file=sys.stderr)
        return EXIT_FAILED
    undated = sum(1 for m in agenda.meetings.values() if not m.when.precision.has_day)
    print(
        f"OK: {path}: {len(agenda.meetings)} meetings ({undated} without a day yet), "
        f"{len(agenda.bodies)} bodies, {len(agenda.topics)} topics, {len(agenda.people)} people."
    )
    from bot.discord import check_bot

    service = AgendaService(agenda, SystemClock())
    names = asyncio.run(check_bot(service, settings))
    print(f"OK: Discord bot built offline with {len(names)} slash commands: /{', /'.join(names)}.")
    return EXIT_OK


async def open_runtime(
    service: AgendaService,
    settings: Settings,
    data_dir: Path | None,
    sender: ConsoleSender,
    site_url: str | None,
    early: EarlySubscriptions | None = None,
) -> Runtime:
    return await Runtime.open(
        service,
        sender,
        data_dir=data_dir,
        site_url=site_url,
        early=early,
        **settings.runtime_options(),
    )


async def _ask(
    service: AgendaService, settings: Settings, line: str, early: EarlySubscriptions | None
) -> int:
    """One command, then exit. Reminder commands write to the database; a running bot picks
    them up within AGENDA_RELOAD_SECONDS. /calendar link answers with the running bot's site."""
    from bot.web import site_address

    terminal = Terminal(sys.stdout)
    sender = ConsoleSender(service.times, terminal)
    runtime = await open_runtime(service, settings, None, sender, site_address(settings), early)
    try:
        console = Console(runtime.runner, terminal)
        reply = await console.answer(line)
        if reply is None:
            print('Nothing to answer: give a command, e.g. "/next".', file=sys.stderr)
            return EXIT_USAGE
        console.show(reply)
        return EXIT_OK if reply.tone is Tone.INFO else EXIT_FAILED
    finally:
        await runtime.store.close()


async def _console(
    service: AgendaService, settings: Settings, data_dir: Path, early: EarlySubscriptions | None
) -> int:
    from bot.web import listen, start_web

    terminal = Terminal(sys.stdout)
    sender = ConsoleSender(service.times, terminal)
    listener = listen(settings)
    site_url = listener.url if listener is not None else None
    try:
        runtime = await open_runtime(service, settings, data_dir, sender, site_url, early)
        async with runtime.abandoned_on_failure():  # nothing left running
            await _use_saved_zone(runtime, service.times)
            await runtime.start()
            if listener is not None:
                await start_web(runtime, settings, listener)
    except BaseException:
        if listener is not None:
            listener.close()
        raise
    console = Console(runtime.runner, terminal, times=service.times, stop=runtime.fatal)
    gc.freeze()  # what start-up built lives as long as the process: keep it out of GC scans
    try:
        if sys.stdin.isatty():
            work = console.interactive(settings.console_history_file, banner(runtime.runner))
        else:
            work = console.run(stdin_lines())
        code = await _until_fatal(console, runtime, work)
    finally:
        await runtime.stop()
    if runtime.lost is not None:
        raise runtime.lost
    return code


async def _use_saved_zone(runtime: Runtime, times: TimeStyle) -> None:
    """The console shows times in the zone saved with /timezone, when this machine knows it."""
    stored_zone = await runtime.store.user_timezone("console")
    if not stored_zone or not isinstance(times, PlainTimes):
        return
    zone = saved_zone(stored_zone)
    if zone is None:
        print(
            f"Warning: your time zone {stored_zone!r} (set with /timezone) is not in this "
            f"machine's time zone database; times are shown in {times.reader_zone.key}. "
            "Update the tzdata package, or choose another zone with /timezone.",
            file=sys.stderr,
        )
    else:
        times.reader_zone = zone


async def _until_fatal(console: Console, runtime: Runtime, work: Awaitable[int]) -> int:
    """Run the console until it ends, or until the runtime cannot go on (the database file was
    deleted): a line being answered is finished (its reply says it was not saved), a wait for
    the next line is cut short."""
    session = asyncio.ensure_future(work)
    fatal = asyncio.ensure_future(runtime.fatal.wait())
    await asyncio.wait({session, fatal}, return_when=asyncio.FIRST_COMPLETED)
    fatal.cancel()
    if not session.done() and console.reading:
        session.cancel()
    await asyncio.wait({session})
    return EXIT_FAILED if session.cancelled() else session.result()


async def _import(service: AgendaService, settings: Settings, args: argparse.Namespace) -> int:
    """One .ics file's events added or changed, as the operator; a running bot picks them up
    within AGENDA_RELOAD_SECONDS."""
    path = Path(args.file)
    try:
        content = await asyncio.to_thread(path.read_bytes)
    except OSError as problem:
        print(f"Cannot read {path}: {problem.strerror or problem}", file=sys.stderr)
        return EXIT_FAILED
    terminal = Terminal(sys.stdout)
    sender = ConsoleSender(service.times, terminal)
    runtime = await open_runtime(service, settings, None, sender, None)
    try:
        reply = await runtime.follower.import_file(content, path.name, args.body, args.dry_run)
    finally:
        await runtime.store.close()
    Console(runtime.runner, terminal).show(reply)
    return EXIT_OK if reply.tone is Tone.INFO else EXIT_FAILED


async def _export_data(service: AgendaService, settings: Settings, directory: Path) -> int:
    """The data files' revisions and the database's (with the calendars followed, and the
    bodies made for them), written as data files."""
    from dataclasses import replace

    from bot.core.data_out import data_files
    from bot.service import revisions_by_meeting
    from bot.service.following import feed_bodies, feed_specs
    from bot.storage import Edits, FollowedFeeds, Store, async_url

    store = await Store.open(async_url(settings.database_url))
    try:
        stored = await Edits(store.engine).all()
        followed = await FollowedFeeds(store.engine).all()
    finally:
        await store.close()
    service.set_bodies(feed_bodies(followed))
    service.set_revisions(revisions_by_meeting(stored))
    unfollowed = {row.url for row in followed if not row.active}  # an editor's /unfollow stands
    listed = {
        spec.url: spec
        for spec in (*service.everything.follows, *feed_specs(followed))
        if spec.url not in unfollowed
    }
    everything = replace(service.everything, follows=tuple(listed.values()))

    def write() -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in data_files(everything).items():
            write_atomically(directory / name, text.encode("utf-8"))

    try:
        await asyncio.to_thread(write)
    except OSError as problem:
        print(f"Cannot write {directory}: {problem.strerror or problem}", file=sys.stderr)
        return EXIT_FAILED
    revisions = sum(len(r.revisions) for r in everything.records.values())
    print(
        f"Wrote {directory}: {len(everything.records)} meetings, {revisions} revisions "
        f"({len(stored)} from the database). Check it with: python -m bot check {directory}",
        file=sys.stderr,
    )
    return EXIT_OK


def _export(service: AgendaService, args: argparse.Namespace) -> int:
    exported = service.export_calendar(args.body, args.topic, args.alarms)
    if isinstance(exported, Reply):
        print(exported.markdown(), file=sys.stderr)
        return EXIT_USAGE
    for meeting in exported.left_out:
        print(f"left out (no day known yet): {meeting.id}: {meeting.title}", file=sys.stderr)
    if args.out in (None, "-"):
        sys.stdout.buffer.write(exported.content)
        sys.stdout.flush()
        return EXIT_OK
    try:
        write_atomically(Path(args.out), exported.content)
    except IsADirectoryError:
        example = Path(args.out) / "agenda.ics"
        print(
            f"Cannot write {args.out}: it is a folder; give a file name, e.g. --out {example}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    except OSError as problem:
        print(f"Cannot write {args.out}: {problem.strerror}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Wrote {args.out}: {len(exported.included)} meetings.", file=sys.stderr)
    return EXIT_OK
