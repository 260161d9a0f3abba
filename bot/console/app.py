"""The console: the bot in a terminal, a text backend for the same service the Discord bot uses."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import errno
import io
import itertools
import logging
import os
import stat
import sys
import tempfile
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import TextIO, TypeVar

from bot.core import COMMANDS_BY_NAME, Attachment, Reply, TimeStyle
from bot.core.formatting import date_long
from bot.core.reply import error
from bot.service import CommandRunner, Message
from schedules import Attempt, Outcome, State

from .parser import ParseError, parse_line

log = logging.getLogger(__name__)
T = TypeVar("T")
PROMPT = "agenda> "
QUIT_WORDS = frozenset({"/quit", "/exit", "quit", "exit"})


class Terminal:
    """Where the console writes, shared by the console (its replies) and the sender (reminders,
    printed when due, even while the user is at the prompt)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.prompting = False

    def announce(self, reply: Reply) -> None:
        prefix = "\n" if self.prompting else ""
        self.out.write(f"{prefix}🔔 {reply.markdown()}\n\n")
        if self.prompting:
            self.out.write(PROMPT)
        self.out.flush()


class Console:
    """Reads command lines, answers each with the service's reply, saves attachments to files;
    the reminders that fall due are printed on the same terminal by the ConsoleSender."""

    def __init__(
        self,
        runner: CommandRunner,
        out: TextIO | Terminal,
        *,
        times: TimeStyle | None = None,
        save_dir: Path | None = None,
        stop: asyncio.Event | None = None,
    ) -> None:
        self.runner = runner
        self.terminal = out if isinstance(out, Terminal) else Terminal(out)
        self.out = self.terminal.out
        self.times = times
        self.save_dir = save_dir or Path.cwd()
        self.reading = False  # waiting for the next line (not answering one)
        self.stop = stop  # set: leave after the line being answered

    async def answer(self, line: str) -> Reply | None:
        """The reply to one line (None for a blank one). Never raises."""
        try:
            invocation = parse_line(line)
            if invocation is None:
                return None
            return await self.runner.run(
                invocation.command.path, invocation.options, times=self.times
            )
        except ParseError as problem:
            return error(problem.title, problem.hint)
        except Exception:
            log.exception("command failed: %r", line)
            return error(
                "Sorry, that went wrong on my side",
                "The problem has been logged. Try another command, or `/help`.",
            )

    def show(self, reply: Reply) -> None:
        text = reply.markdown()
        if reply.attachment is not None:
            text += "\n\n" + self.save(reply.attachment)
        self.out.write(text + "\n\n")
        self.out.flush()

    def save(self, attachment: Attachment) -> str:
        target = self.save_dir / Path(attachment.filename).name
        try:
            write_atomically(target, attachment.content)
        except OSError as problem:
            return f"Could not save {target}: {problem.strerror}. Nothing was written."
        return f"Saved {target} ({len(attachment.content):,} bytes)."

    async def handle(self, line: str) -> bool:
        """Answer one line; False when the user asked to leave."""
        if line.strip().casefold() in QUIT_WORDS:
            return False
        reply = await self.answer(line)
        if reply is not None:
            self.show(reply)
        return self.stop is None or not self.stop.is_set()

    async def run(self, lines: Iterable[str] | AsyncIterator[str]) -> int:
        """Answer every line of a script or a pipe until it ends or the user quits."""
        if isinstance(lines, AsyncIterator):
            while True:
                self.reading = True
                try:
                    line = await anext(lines)
                except StopAsyncIteration:
                    break
                finally:
                    self.reading = False
                if not await self.handle(line):
                    break
            return 0
        for line in lines:
            if not await self.handle(line):
                break
        return 0

    async def interactive(self, history_file: Path | None, banner_text: str) -> int:
        """A terminal session with line editing, history and completion of command names."""
        import readline

        readline.set_completer_delims(" ")
        readline.set_completer(_completer(readline.get_line_buffer))
        readline.parse_and_bind("tab: complete")
        history = history_file
        if history is not None:
            with contextlib.suppress(OSError):
                readline.read_history_file(history)
        self.out.write(banner_text)
        if isinstance(sys.stdin, io.TextIOWrapper):
            sys.stdin.reconfigure(errors="replace")  # bytes that are not UTF-8: go on
        try:
            while True:
                self.terminal.prompting = self.reading = True
                try:
                    line = await off_loop(lambda: input(PROMPT))
                except EOFError:
                    self.out.write("\n")
                    break
                except KeyboardInterrupt:
                    self.out.write("\n")
                    continue
                finally:
                    self.terminal.prompting = self.reading = False
                if not await self.handle(line):
                    break
        finally:
            if history is not None:
                readline.set_history_length(1000)
                with contextlib.suppress(OSError):
                    readline.write_history_file(history)
        return 0


class ConsoleSender:
    """Reminders for the console user are printed on the console's terminal."""

    def __init__(self, times: TimeStyle, terminal: Terminal) -> None:
        self.times = times
        self.terminal = terminal
        self._numbers = itertools.count(1)

    async def send(self, destination: str, message: Message, attempt: Attempt) -> Outcome:
        self.terminal.announce(message.reply)
        return Outcome(State.SENT, message_id=f"console-{next(self._numbers)}")


async def stdin_lines(fd: int | None = None) -> AsyncIterator[str]:
    """Lines of a pipe, read without blocking the event loop (reminders keep firing). Bytes
    that are not valid text become U+FFFD and the line is answered all the same."""
    fd = sys.stdin.fileno() if fd is None else fd
    encoding = getattr(sys.stdin, "encoding", None) or "utf-8"
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    pending = ""
    while True:
        chunk = await off_loop(lambda: os.read(fd, 65536))
        pending += decoder.decode(chunk, final=not chunk)
        *lines, pending = pending.split("\n")
        for line in lines:
            yield line + "\n"
        if not chunk:
            if pending:
                yield pending
            return


def off_loop(work: Callable[[], T]) -> asyncio.Future[T]:
    """`work()` in a daemon thread: a read of the terminal or a pipe that never returns keeps
    neither the loop nor the process from ending (the default executor's threads would)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, problem: BaseException | None) -> None:
        if future.done():
            return
        if problem is not None:
            future.set_exception(problem)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        result: T | None = None
        problem: BaseException | None = None
        try:
            result = work()
        except BaseException as failure:  # EOFError, KeyboardInterrupt: the awaiting task's
            problem = failure
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits
            loop.call_soon_threadsafe(settle, result, problem)

    threading.Thread(target=run, name="console-input", daemon=True).start()
    return future


def banner(runner: CommandRunner) -> str:
    agenda = runner.agenda
    today = date_long(agenda.clock.now().date())
    return (
        f"{agenda.agenda.dataset.name}: {len(agenda.agenda.meetings)} meetings, "
        f"{len(agenda.agenda.topics)} topics. Today is {today} (UTC) here.\n"
        "Type /help for the commands and /next for what is coming; /quit or Ctrl-D to leave.\n\n"
    )


def complete_line(buffer: str, text: str) -> list[str]:
    """Completions for the word `text` being typed at the end of `buffer`."""
    head = buffer[: len(buffer) - len(text)]
    if not head.strip():
        return [f"/{name} " for name in COMMANDS_BY_NAME if f"/{name}".startswith(text.casefold())]
    words = head.split()
    command = COMMANDS_BY_NAME.get(words[0].lstrip("/").casefold())
    if command is None:
        return []
    if command.subcommands:
        chosen = command.subcommand(words[1].casefold()) if len(words) > 1 else None
        if chosen is None:
            subs = [f"{sub.name} " for sub in command.subcommands if sub.name.startswith(text)]
            default = command.subcommand(command.default or "")
            options = default.options if default is not None and len(words) == 1 else ()
            return subs + [f"{o.name}:" for o in options if o.name.startswith(text.casefold())]
        command = chosen
    return [f"{o.name}:" for o in command.options if o.name.startswith(text.casefold())]


def _completer(buffer: Callable[[], str]) -> Callable[[str, int], str | None]:
    def complete(text: str, state: int) -> str | None:
        matches = complete_line(buffer(), text)
        return matches[state] if state < len(matches) else None

    return complete


def write_atomically(target: Path, content: bytes) -> None:
    """Write `content` to `target` as a user means it.

    A regular file (or a new one) gets the whole content or nothing: a temporary file beside it,
    renamed over it. A symbolic link is followed first, so the file it points to is replaced and
    the link stays. A character device or a pipe (`/dev/stdout`, a FIFO) is written to straight:
    renaming over it would replace the device with a file. A directory, a block device or a
    socket is refused (OSError, with a message that says what to give instead).
    """
    try:
        status = target.stat()  # through every link, /proc/self/fd included
    except FileNotFoundError:
        status = None
    if status is not None and not stat.S_ISREG(status.st_mode):
        if stat.S_ISCHR(status.st_mode) or stat.S_ISFIFO(status.st_mode):
            with target.open("wb") as stream:
                stream.write(content)
            return
        if stat.S_ISDIR(status.st_mode):
            raise IsADirectoryError(
                errno.EISDIR, "it is a folder; give the name of a file (in it, or elsewhere)"
            )
        raise OSError(errno.EINVAL, "it is not a file, a terminal or a pipe; give a file name")
    real = target.resolve()
    if status is not None and not _same_file(real, status):
        # A link that names no path (/dev/stdout redirected to a file: /proc/self/fd/1): the
        # file can only be reached through it.
        with target.open("wb") as stream:
            stream.write(content)
        return
    _replace(real, content)


def _same_file(path: Path, status: os.stat_result) -> bool:
    try:
        found = path.stat()
    except OSError:
        return False
    return (found.st_dev, found.st_ino) == (status.st_dev, status.st_ino)


def _replace(target: Path, content: bytes) -> None:
    """The whole file or nothing: a temporary file beside the target, renamed over it."""
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        with contextlib.suppress(OSError):  # keep the permissions of the file being replaced
            temporary.chmod(stat.S_IMODE(target.stat().st_mode))
        temporary.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
