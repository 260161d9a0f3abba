"""Reading a data directory from disk into a validated Agenda (the core validates; this reads).

Validating 10,000 meetings from TOML takes over a second; a valid data set is therefore cached,
with its indexes, as a pickle named after a digest of the files' bytes and of the core's source,
so any change to either means a fresh load. The cache is only ever written by the bot itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import os
import pickle
import re
import stat
import tempfile
import tomllib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timezone
from pathlib import Path
from typing import Any

import rtoml

from bot.core import Agenda, DataSetError, Library, Problem
from bot.core.schema import ARRAYS, AgendaReader

from .collector import collection_paused

BUNDLED_DATA = Path(__file__).resolve().parents[2] / "data"
CORE_SOURCE = Path(__file__).resolve().parents[1] / "core"
log = logging.getLogger(__name__)


Warn = Callable[[str], None]


def load_agenda(directory: Path, warn: Warn = log.warning) -> Agenda:
    """Every `*.toml` file of `directory`, validated together. Raises DataSetError listing every
    problem (unreadable files, TOML syntax, fields, references) at once. What is not a regular
    file (a FIFO, a device, a folder named x.toml) is skipped, and `warn` is told."""
    return _parse(_read(directory, warn))


def load_library(
    directory: Path,
    cache_dir: Path | None = None,
    warn: Warn = log.warning,
    searched: bool = True,
) -> Library:
    """The agenda and its indexes, from the cache when the files are unchanged. `searched=False`
    (an export) skips the search index if it has to build; a library cached without one gets
    it, and is cached again, at the next load that wants it."""
    files = _read(directory, warn)
    if cache_dir is None:
        with collection_paused():
            return Library.build(_parse(files), searched)
    source = hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:12]
    cached = cache_dir / f"agenda-{source}-{_digest(files)}.pickle"
    library: Library | None = None
    if _private(cache_dir) and _private(cached):
        with contextlib.suppress(
            OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError
        ):
            with cached.open("rb") as stream, collection_paused():
                # Only a file this user wrote, in a folder only this user can write to.
                found = pickle.load(stream)  # noqa: S301
            if isinstance(found, Library):
                if not searched or found.has_search:
                    return found
                library = found
    with collection_paused():
        if library is None:
            library = Library.build(_parse(files), searched)
        else:
            library.search  # noqa: B018  (built now rather than at the first /search)
    try:
        cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if _private(cache_dir):
            _store(cached, library, f"agenda-{source}-")
        else:
            log.warning("not caching the agenda: %s is writable by others", cache_dir)
    except OSError as problem:
        log.warning("could not cache the agenda in %s: %s", cache_dir, problem)
    return library


def _private(path: Path) -> bool:
    """Owned by this user and writable by no one else: safe to unpickle from."""
    try:
        status = path.stat()
    except OSError:
        return False
    return status.st_uid == os.getuid() and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _read(directory: Path, warn: Warn) -> dict[str, bytes]:
    if not directory.is_dir():
        raise DataSetError(
            [
                Problem(
                    str(directory),
                    "",
                    "",
                    "is not a directory; point AGENDA_DATA_DIR (or "
                    "--data) at a folder of .toml files",
                )
            ]
        )
    files: dict[str, bytes] = {}
    problems: list[Problem] = []
    for path in sorted(directory.glob("*.toml")):
        try:
            content = _read_regular(path)
        except OSError as error:
            problems.append(Problem(path.name, "", "", f"cannot be read: {error.strerror}"))
            continue
        if content is None:
            warn(f"{path.name} in {directory} is not a regular file; skipped")
        else:
            files[path.name] = content
    if problems:
        raise DataSetError(problems)
    if not files:
        raise DataSetError(
            [Problem(str(directory), "", "", "holds no .toml files; see data/README.md")]
        )
    return files


def _read_regular(path: Path) -> bytes | None:
    """The bytes of a regular file (through links), or None for anything else. Opened without
    blocking, so a FIFO does not wait for a writer, and checked once open, so nothing can be
    swapped in between the check and the read."""
    handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            return None
        with os.fdopen(handle, "rb", closefd=False) as stream:
            return stream.read()
    finally:
        os.close(handle)


def _parse(files: dict[str, bytes]) -> Agenda:
    with collection_paused():
        return _parse_all(files)


def _parse_all(files: dict[str, bytes]) -> Agenda:
    """`files` is emptied as it is read: a large file's bytes are not kept while it is
    validated. Each file is validated as soon as it is read, a large one a piece at a time."""
    reader = AgendaReader()
    text = ""
    for name in sorted(files):  # in the order the agenda reads its documents
        content = files.pop(name)
        mark = reader.mark()
        document: dict[str, Any] | None = None
        try:
            text = content.decode("utf-8")
            del content
            try:
                read = _read_in_pieces(reader, name, text)
            except rtoml.TomlParsingError:
                read = False
            if not read:  # a piece may have been read: the file is read again, whole
                reader.undo(mark)
                document = _loads(text)
        except UnicodeDecodeError:
            reader.problem(Problem(name, "", "", "is not UTF-8 text"))
        except tomllib.TOMLDecodeError as error:
            reader.undo(mark)
            reader.problem(Problem(name, "", "", f"is not valid TOML: {error}"))
        except RecursionError:
            reader.undo(mark)
            reader.problem(_too_deep(name, text))
        if document is not None:
            reader.read(name, document)
            del document
    del text
    return reader.agenda()


def _loads(text: str) -> dict[str, Any]:
    """rtoml reads a file several times faster than tomllib (issue 16: most of a cold load was
    parsing). What it refuses, including nesting deeper than its limit, is read again by
    tomllib, whose messages (and RecursionError) the problems are made of."""
    try:
        document = _in_pieces(text)
    except rtoml.TomlParsingError:
        # A piece alone may not be TOML where the whole file is (a meeting's sub-table after
        # another array's entry, cut from the meeting): rtoml reads the file whole then, for
        # tomllib refuses some of what rtoml takes (a byte order mark).
        document = None
    try:
        if document is None:
            document = rtoml.loads(text)
    except rtoml.TomlParsingError:
        return tomllib.loads(text)
    if _OFFSET_TIME.search(text):  # walking every value of a large file costs more than parsing
        _plain_offsets(document)
    return document


# A file larger than this is read in pieces of PIECE entries: rtoml holds the whole file in its
# own form while it makes the Python one, several times the file's size (over 900 MB for 100,000
# meetings); a piece's form is small. Small enough to stay in the processor's caches, it is read
# faster too: 250 meetings at a time took about 60% of the time 2,000 at a time did (issue 16),
# and a file of 1 MB is read faster in pieces than whole.
PIECES_FROM = 1_000_000
PIECE = 250


def _cuts(text: str) -> tuple[str, list[int]] | None:
    """Where to cut a large file: before the lines `[[name]]` of its most frequent array of
    tables, every PIECE of them; None (read it whole) for a small file or one with a multi-line
    string (a line inside one may look like a header)."""
    if len(text) < PIECES_FROM or '"""' in text or "'''" in text:
        return None
    names = set(_ARRAY_HEADER.findall(text, 0, 65_536))
    if not names:
        return None
    name = max(sorted(names), key=lambda n: text.count(f"\n[[{n}]]"))
    header = f"\n[[{name}]]"
    cuts: list[int] = []
    at = 0 if text.startswith(header[1:]) else text.find(header)
    while at >= 0:
        start = at + 1 if text[at] == "\n" else at
        after = start + len(header) - 1
        if after == len(text) or text[after] in " \t\r\n":  # a header line, not [[name]]x
            cuts.append(start)
        at = text.find(header, after)
    if len(cuts) <= PIECE:
        return None
    return name, [0, *cuts[::PIECE], len(text)]


def _read_in_pieces(reader: AgendaReader, file: str, text: str) -> bool:
    """A large file read in pieces as _in_pieces does, each piece's entries read by `reader`
    before the next piece is parsed, in the order the joined document gives them (the keys
    before the first cut, the array's entries, the keys after). False when the file is to be
    read whole (as _in_pieces says), some of it perhaps read already; rtoml's error when a
    piece is not TOML."""
    found = _cuts(text)
    if found is None:
        return False
    name, bounds = found
    if name not in ARRAYS:  # told once, of the whole array, as reading it whole does
        return False
    offsets = _OFFSET_TIME.search(text) is not None
    seen: set[str] = set()
    later: dict[str, Any] = {}
    count = 0
    for number, (start, end) in enumerate(itertools.pairwise(bounds)):
        piece = rtoml.loads(text[start:end])
        if offsets:
            _plain_offsets(piece)
        entries = piece.pop(name, None)
        if number and not (isinstance(entries, list) and all(type(e) is dict for e in entries)):
            return False
        if not number and entries is not None:  # defined before the first `[[name]]`
            return False
        if any(key in seen for key in piece):  # defined twice: reading it whole says what
            return False
        seen.update(piece)
        if number:
            reader.read(file, {name: entries}, offset=count)
            count += len(entries)
            later.update(piece)
        else:
            reader.read(file, piece)
        del entries, piece
    reader.read(file, later)
    return True


def _in_pieces(text: str) -> dict[str, Any] | None:
    """A large file read in pieces cut before the lines `[[name]]` of its most frequent array of
    tables, joined into what reading it whole gives; None (read it whole) when that cannot be
    sure: a small file, a multi-line string (a line inside one may look like a header), a
    table, key or array defined both before the first cut and after it, or in two pieces."""
    found = _cuts(text)
    if found is None:
        return None
    name, bounds = found
    document: dict[str, Any] = {}
    entries: list[Any] = []
    for number, (start, end) in enumerate(itertools.pairwise(bounds)):
        piece = rtoml.loads(text[start:end])
        if number:
            document.setdefault(name, entries)  # where reading it whole puts it
            found = piece.pop(name, None)
            if not isinstance(found, list):
                return None
            entries += found
        elif name in piece:  # defined before the first `[[name]]`
            return None
        for key, value in piece.items():
            if key in document:  # defined twice: reading the whole file says what it means
                return None
            document[key] = value
    return document


_ARRAY_HEADER = re.compile(r"^\[\[([A-Za-z0-9_-]+)\]\][ \t]*\r?$", re.MULTILINE)


# Where a TOML offset date-time can be: a time's minutes (seconds and fraction optional) followed
# at once by Z or an offset. Text that only looks like one (in a string) costs a walk, nothing else.
_OFFSET_TIME = re.compile(r":[0-9]{2}(?::[0-9]{2})?(?:\.[0-9]+)?[Zz+-]")  # led by a literal: fast


def _plain_offsets(node: dict[str, Any] | list[Any]) -> None:
    """rtoml gives offsets as its own tzinfo class, which cannot be pickled (the agenda cache);
    tomllib's `datetime.timezone` of the same offset replaces it. Nesting is shallow: rtoml
    refuses deep documents, and tomllib reads those."""
    keys: Iterable[Any] = node.keys() if isinstance(node, dict) else range(len(node))
    for key in keys:
        value = node[key]
        if isinstance(value, datetime) and value.tzinfo is not None:
            offset = value.utcoffset()
            assert offset is not None
            node[key] = value.replace(tzinfo=UTC if not offset else timezone(offset))
        elif isinstance(value, dict | list):
            _plain_offsets(value)


_HEADER = re.compile(r"^\s*\[(\[)?\s*([A-Za-z0-9_.-]+)\s*\]")
_KEY = re.compile(r"^\s*([A-Za-z0-9_.\"' -]+?)\s*=")
_ID = re.compile(r"^\s*id\s*=\s*[\"']([^\"'\n]*)[\"']", re.MULTILINE)


def _too_deep(name: str, text: str) -> Problem:
    """Where a file nests arrays or inline tables too deeply for the TOML reader: its entry and
    field, found without recursion (the reader gave up with a RecursionError)."""
    depth, deepest, line_number = 0, 0, 1
    statement = 1  # the line where the statement under way began
    quote = ""
    index = 0
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\" and quote in ('"', '"""'):
                index += 2
                continue
            if text.startswith(quote, index):
                index += len(quote)
                quote = ""
                continue
            line_number += char == "\n"
        elif char in "\"'":
            quote = char * 3 if text.startswith(char * 3, index) else char
            index += len(quote)
            continue
        elif char == "#":
            end = text.find("\n", index)
            index = len(text) if end < 0 else end
            continue
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest, line = depth, line_number
                begun = statement
        elif char in "]}":
            depth = max(0, depth - 1)
        elif char == "\n":
            line_number += 1
            if depth == 0:
                statement = line_number
        index += 1
    lines = text.splitlines()
    if not deepest:
        return Problem(name, "", "", "is nested too deeply to read; flatten it")
    key = _KEY.match(lines[begun - 1]) if begun <= len(lines) else None
    table, array, count, section_start = "", False, 0, 0
    for number, text_line in enumerate(lines[: begun - 1]):
        header = _HEADER.match(text_line)
        if header:
            count = count + 1 if header[2] == table else 1
            table, array, section_start = header[2], bool(header[1]), number
    entry = ""
    if table and not array:
        entry = f"[{table}]"
    elif table:
        end = next((n for n in range(begun, len(lines)) if _HEADER.match(lines[n])), len(lines))
        found = _ID.search("\n".join(lines[section_start + 1 : end]))
        entry = f"{table} '{found[1]}'" if found else f"{table} #{count}"
    return Problem(
        name,
        entry,
        key[1].strip() if key else "",
        f"nests arrays or tables {deepest} deep (line {line}); no agenda needs more than a few "
        "levels: flatten it",
    )


def _digest(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for source in sorted(CORE_SOURCE.glob("*.py")):
        digest.update(source.read_bytes())
    for name, content in files.items():
        digest.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
    return digest.hexdigest()[:32]


def _store(target: Path, library: Library, prefix: str) -> None:
    """Whole or not at all; older cache files of the same data directory are removed."""
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=".agenda-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            pickle.dump(library, stream, protocol=pickle.HIGHEST_PROTOCOL)
        Path(name).replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(name).unlink()
        raise
    for old in target.parent.glob(f"{prefix}*.pickle"):
        if old != target:
            with contextlib.suppress(OSError):
                old.unlink()


def files_signature(directory: Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when a data file is edited: names, sizes and modification times."""
    try:
        return tuple(
            sorted(
                (p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in directory.glob("*.toml")
            )
        )
    except OSError:
        return ()
