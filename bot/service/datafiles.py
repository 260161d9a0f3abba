"""Reading a data directory from disk into a validated Agenda (the core validates; this reads)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from bot.core import Agenda, DataSetError, Problem, build_agenda

BUNDLED_DATA = Path(__file__).resolve().parents[2] / "data"


def load_agenda(directory: Path) -> Agenda:
    """Every `*.toml` file of `directory`, validated together. Raises DataSetError listing every
    problem (unreadable files, TOML syntax, fields, references) at once."""
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
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise DataSetError(
            [Problem(str(directory), "", "", "holds no .toml files; see data/README.md")]
        )
    documents: dict[str, dict[str, Any]] = {}
    problems: list[Problem] = []
    for path in files:
        try:
            documents[path.name] = tomllib.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            problems.append(Problem(path.name, "", "", "is not UTF-8 text"))
        except tomllib.TOMLDecodeError as error:
            problems.append(Problem(path.name, "", "", f"is not valid TOML: {error}"))
        except OSError as error:
            problems.append(Problem(path.name, "", "", f"cannot be read: {error.strerror}"))
    return build_agenda(documents, problems)
