"""The console adapter: the same commands as Discord, in a terminal."""

from .app import (
    PROMPT,
    Console,
    ConsoleSender,
    Terminal,
    banner,
    complete_line,
    stdin_lines,
    write_atomically,
)
from .parser import Invocation, ParseError, parse_line

__all__ = [
    "PROMPT",
    "Console",
    "ConsoleSender",
    "Invocation",
    "ParseError",
    "Terminal",
    "banner",
    "complete_line",
    "parse_line",
    "stdin_lines",
    "write_atomically",
]
