"""The storage drivers the bot supports, each a real server or file: SQLite, and PostgreSQL
started from the local binaries in a throwaway directory (or AGENDA_TEST_POSTGRES_URL)."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

BINARIES = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)
_numbers = itertools.count(1)


def _as_postgres(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    """PostgreSQL refuses to run as root; the tests may be root (CI)."""
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(command, check=True, capture_output=True, timeout=120, **kwargs)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A base URL (without database) of a PostgreSQL server for this test session."""
    given = os.environ.get("AGENDA_TEST_POSTGRES_URL")
    if given:
        yield given.rstrip("/")
        return
    if not BINARIES:
        if os.environ.get("AGENDA_CI"):
            pytest.fail("PostgreSQL is not installed (apt-get install postgresql)")
        pytest.skip("PostgreSQL is not installed; CI installs it")
    bin_dir = BINARIES[-1]
    # Not under pytest's private temporary folder: the postgres user must reach it.
    root = Path(tempfile.mkdtemp(prefix="agenda-postgres-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data = root / "data"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _as_postgres(
        [
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "agenda",
            "--no-sync",
            "-E",
            "UTF8",
        ]
    )
    options = f"-p {port} -k {root} -h 127.0.0.1 -c fsync=off -c full_page_writes=off"
    # pg_ctl -w waits for the server to accept connections (no sleeping here).
    _as_postgres(
        [
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-w",
            "-l",
            str(root / "log"),
            "start",
        ]
    )
    try:
        yield f"postgresql+asyncpg://agenda@127.0.0.1:{port}"
    finally:
        _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request, tmp_path) -> str:
    """A fresh, empty database of each driver."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    base = request.getfixturevalue("postgres_server")
    import asyncpg

    name = f"test_{os.getpid()}_{next(_numbers)}"
    admin = await asyncpg.connect(base.replace("postgresql+asyncpg", "postgresql") + "/postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return f"{base}/{name}"
