"""Reading a data directory from disk into a validated Agenda (the core validates; this reads).

Validating 10,000 meetings from TOML takes over a second; a valid data set is therefore cached,
with its indexes, as a pickle named after a digest of the files' bytes and of the core's source,
so any change to either means a fresh load. The cache is only ever written by the bot itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import stat
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from bot.core import Agenda, DataSetError, Library, Problem, build_agenda

BUNDLED_DATA = Path(__file__).resolve().parents[2] / "data"
CORE_SOURCE = Path(__file__).resolve().parents[1] / "core"
log = logging.getLogger(__name__)


def load_agenda(directory: Path) -> Agenda:
    """Every `*.toml` file of `directory`, validated together. Raises DataSetError listing every
    problem (unreadable files, TOML syntax, fields, references) at once."""
    return _parse(_read(directory))


def load_library(directory: Path, cache_dir: Path | None = None) -> Library:
    """The agenda and its indexes, from the cache when the files are unchanged."""
    files = _read(directory)
    if cache_dir is None:
        return Library.build(_parse(files))
    source = hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:12]
    cached = cache_dir / f"agenda-{source}-{_digest(files)}.pickle"
    if _private(cache_dir) and _private(cached):
        with contextlib.suppress(
            OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError
        ):
            with cached.open("rb") as stream:
                # Only a file this user wrote, in a folder only this user can write to.
                library = pickle.load(stream)  # noqa: S301
            if isinstance(library, Library):
                return library
    library = Library.build(_parse(files))
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


def _read(directory: Path) -> dict[str, bytes]:
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
            files[path.name] = path.read_bytes()
        except OSError as error:
            problems.append(Problem(path.name, "", "", f"cannot be read: {error.strerror}"))
    if problems:
        raise DataSetError(problems)
    if not files:
        raise DataSetError(
            [Problem(str(directory), "", "", "holds no .toml files; see data/README.md")]
        )
    return files


def _parse(files: dict[str, bytes]) -> Agenda:
    documents: dict[str, dict[str, Any]] = {}
    problems: list[Problem] = []
    for name, content in files.items():
        try:
            documents[name] = tomllib.loads(content.decode("utf-8"))
        except UnicodeDecodeError:
            problems.append(Problem(name, "", "", "is not UTF-8 text"))
        except tomllib.TOMLDecodeError as error:
            problems.append(Problem(name, "", "", f"is not valid TOML: {error}"))
    return build_agenda(documents, problems)


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
