"""The console adapter: the same commands as Discord, in a terminal."""

from .app import PROMPT, Console, banner, complete_line, write_atomically
from .parser import Invocation, ParseError, parse_line

__all__ = [
    "PROMPT",
    "Console",
    "Invocation",
    "ParseError",
    "banner",
    "complete_line",
    "parse_line",
    "write_atomically",
]
