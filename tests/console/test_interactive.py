"""The interactive console in a real terminal (a pseudo-terminal): prompt, completion, history."""

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX terminal")


class Terminal:
    def __init__(self, tmp_path: Path) -> None:
        self.master, slave = pty.openpty()
        env = dict(
            os.environ,
            DISCORD_TOKEN="",
            PYTHONPATH=str(ROOT),
            TERM="dumb",
            CONSOLE_HISTORY_FILE=str(tmp_path / "history"),
            WEB_PORT="0",
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "--as-of", "2015-10-23"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=tmp_path,
            env=env,
            close_fds=True,
        )
        os.close(slave)
        self.seen = b""
        self.position = 0  # what earlier expectations consumed

    def expect(self, text: str, timeout: float = 30) -> None:
        """Read until `text` appears (waiting on the terminal, not on a timer)."""
        deadline = time.monotonic() + timeout
        needle = text.encode()
        while needle not in self.seen[self.position :]:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{text!r} never appeared; got {self.seen[-2000:]!r}")
            ready, _, _ = select.select([self.master], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"terminal closed before {text!r}; got {self.seen!r}")
                self.seen += chunk
        self.position = self.seen.index(needle, self.position) + len(needle)

    def send(self, text: str) -> None:
        os.write(self.master, text.encode())

    def close(self) -> int:
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"did not exit; terminal showed {self.seen[-1500:]!r}") from None
        os.close(self.master)
        return code


def test_prompt_completion_and_history(tmp_path):
    terminal = Terminal(tmp_path)
    terminal.expect("Type /help for the commands")
    terminal.expect("agenda> ")
    terminal.send("/nex\t\n")  # tab completes the command name
    terminal.expect("**Under way: WCO Regional Workshop")
    terminal.expect("agenda> ")
    terminal.send("/topic 3d printng\n")
    terminal.expect("**3D printing**")
    terminal.expect("agenda> ")
    terminal.send("\x04")  # Ctrl-D leaves
    assert terminal.close() == 0
    history = (tmp_path / "history").read_text()
    assert "/next" in history and "/topic 3d printng" in history
